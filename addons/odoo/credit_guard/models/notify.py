# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Tell `creditguard serve` which customers a change touches, once the change is committed.

A notice is a JSON body signed with the shared secret (header
X-Creditguard-Signature: sha256=HMAC-SHA256 of the body), posted after the
transaction commits, from a background thread with a short timeout: a service that
is down costs the user nothing (the next scheduled cycle catches up). Configured by
the system parameters credit_guard.webhook_url and credit_guard.webhook_secret
(empty url: no notices)."""

import hashlib
import hmac
import json
import logging
import threading
import urllib.request

from odoo import api, models

_logger = logging.getLogger(__name__)
URL_PARAM = "credit_guard.webhook_url"
SECRET_PARAM = "credit_guard.webhook_secret"
TIMEOUT = 2
NOTICES = "credit_guard.notices"


def notify(env, event, model, ids, partners):
    """Queue a notice of ``event`` on ``model`` ``ids`` for the commercial partners of
    ``partners``; the transaction's notices are sent together after its commit, one per
    event and model (a write that Odoo passes on to a company's contacts, or a batch of
    reconciliations, is one notice)."""
    customers = partners.commercial_partner_id.ids if partners else []
    if not customers:
        return
    params = env["ir.config_parameter"].sudo()
    url = params.get_param(URL_PARAM)
    if not url:
        return
    postcommit = env.cr.postcommit
    if NOTICES not in postcommit.data:
        postcommit.data[NOTICES] = {"url": url, "secret": params.get_param(SECRET_PARAM) or "",
                                    "changes": []}
        postcommit.add(_send_after_commit(postcommit.data))
    changes = postcommit.data[NOTICES]["changes"]
    for n, (e, m, queued_ids, queued_customers) in enumerate(changes):
        if (e, m) == (event, model):  # one notice per kind of change and transaction
            changes[n] = (e, m, sorted(set(queued_ids) | set(ids)),
                          sorted(set(queued_customers) | set(customers)))
            return
    changes.append((event, model, sorted(set(ids)), sorted(set(customers))))


def _send_after_commit(data):
    def send():
        batch = data.pop(NOTICES, None)
        if batch and batch["changes"]:
            threading.Thread(target=_send, args=(batch,), daemon=True).start()

    return send


def _send(batch):
    for event, model, ids, customers in batch["changes"]:
        body = json.dumps(
            {"event": event, "model": model, "ids": [int(i) for i in ids],
             "customers": [str(c) for c in sorted(set(customers))]}
        ).encode()
        signature = "sha256=" + hmac.new(batch["secret"].encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            batch["url"], data=body, method="POST",
            headers={"Content-Type": "application/json", "X-Creditguard-Signature": signature},
        )
        try:
            urllib.request.urlopen(request, timeout=TIMEOUT).close()  # noqa: S310 (an admin's URL)
        except Exception as exc:  # the service may be down: the next cycle catches up
            _logger.info("Credit Guard service not told of %s: %s", event, exc)


class AccountPartialReconcile(models.Model):
    """Every reconciliation (payment registered, bank statement matched, manual
    matching) makes partials, and undoing one removes them: both move exposure."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._credit_guard_notify("account.move.line.reconcile")
        return partials

    def unlink(self):
        self._credit_guard_notify("account.move.line.unreconcile")
        return super().unlink()

    def _credit_guard_notify(self, event):
        lines = self.debit_move_id | self.credit_move_id
        notify(self.env, event, "account.move.line", lines.ids, lines.partner_id)
