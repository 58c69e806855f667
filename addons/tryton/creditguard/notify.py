# This file is part of Credit Guard.  Licensed under the LGPL-3.0-or-later.
"""Tell `creditguard serve` which customers a change touches, after the change is committed.

The notice is a JSON body signed with the shared secret (header X-Creditguard-Signature: sha256=HMAC-SHA256
of the body), posted by a background thread once the transaction has committed, with a short timeout; a
service that is down costs nothing here (the next scheduled cycle catches up)."""
import hashlib
import hmac
import json
import logging
import threading
import urllib.request

from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)
TIMEOUT = 2


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Credit Guard Configuration"
    __name__ = 'creditguard.configuration'
    webhook_url = fields.Char(
        "Service URL",
        help="Where `creditguard serve` listens for changes, "
        "e.g. http://127.0.0.1:8765/webhook (empty: no notices).")
    webhook_secret = fields.Char(
        "Shared Secret",
        help="The same secret as [serve] secret in Credit Guard's config.")


def notify(event, model, ids, parties):
    "Queue a change notice for the parties, sent when the transaction commits"
    parties = {p for p in parties if p is not None}
    if not parties:
        return
    transaction = Transaction()
    notices = transaction.join(_Notices())
    notices.add(event, model, ids, [p.id for p in parties])


class _Notices:
    "A data manager: the notices of one transaction, sent only after it committed"

    def __init__(self):
        self.changes = []

    def __eq__(self, other):
        return isinstance(other, _Notices)

    def __hash__(self):
        return hash(_Notices)

    def add(self, event, model, ids, parties):
        self.changes.append((event, model, [int(i) for i in ids], parties))

    def tpc_begin(self, transaction):
        with without_check_access():
            config = Pool().get('creditguard.configuration')(1)
            self.url = config.webhook_url
            self.secret = config.webhook_secret or ''

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_finish(self, transaction):
        if self.url and self.changes:
            threading.Thread(target=_send, args=(self.url, self.secret, self.changes), daemon=True).start()

    def tpc_abort(self, transaction):
        self.changes = []


def _send(url, secret, changes):
    for event, model, ids, parties in changes:
        body = json.dumps({'event': event, 'model': model, 'ids': ids,
                'customers': [str(p) for p in parties]}).encode()
        signature = 'sha256=' + hmac.new(
            secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(url, data=body, method='POST', headers={
                'Content-Type': 'application/json',
                'X-Creditguard-Signature': signature})
        try:
            urllib.request.urlopen(request, timeout=TIMEOUT).close()
        except Exception as exc:  # the service may be down: the next cycle catches up
            logger.info('Credit Guard service not told of %s: %s', event, exc)


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def post(cls, invoices):
        super().post(invoices)
        notify('account.invoice.post', cls.__name__, [i.id for i in invoices],
            [i.party for i in invoices if i.type == 'out'])


class MoveLine(metaclass=PoolMeta):
    __name__ = 'account.move.line'

    @classmethod
    def reconcile(cls, *lines_list, **kwargs):
        result = super().reconcile(*lines_list, **kwargs)
        lines = [line for lines in lines_list for line in lines]
        notify('account.move.line.reconcile', cls.__name__, [line.id for line in lines],
            [line.party for line in lines])
        return result
