"""Open an Odoo session for a cycle: the client logged in (JSON-RPC or JSON-2), the company, its reader and
writer. Says plainly when the credit_guard add-on is missing: holds then cannot be enforced."""
from __future__ import annotations

import logging

from creditguard.mappings.errors import ConfigError

from creditguard.connector.erp.contract import ErpSession
from creditguard.connector.erp.odoo.client import OdooClient
from creditguard.connector.erp.odoo.reader import OdooReader
from creditguard.connector.erp.odoo.writeback import HOLD, OdooWriter

__all__ = ["open_session"]

log = logging.getLogger(__name__)

ACCESS_HINT = ("give the user {user!r} the group \"Credit Guard connector\" (Settings > Users), and the rights to "
               "read invoices and sales (e.g. \"Invoicing: Billing\" and \"Sales: All Documents\")")


def open_session(erp, streams, memo=None) -> ErpSession:
    """`memo` (erp.connect's, of the last session that passed its checks): the user's id, spares the login; its
    fields are taken as they are when the server's signature (version, installed modules, the user's groups) is
    the one remembered."""
    memo = memo or {}
    client = OdooClient(erp.url, erp.database, erp.user, erp.api_key or erp.password, timeout=erp.timeout,
                        protocol=erp.protocol, key=bool(erp.api_key)).connect(user_id=memo.get("user_id"))
    try:
        company, groups = _company(client, erp)
        signature = _signature(client, groups)
        same = memo.get("signature") == signature
        reader = OdooReader(client, company, memo.get("fields") if same else None)
        enforced = HOLD in reader.fields_of("res.partner")
        if not enforced:
            log.warning("the credit_guard add-on is not installed in the Odoo database %r: Odoo cannot refuse a "
                        "held customer's orders. Credit Guard will post notes and to-dos instead of holds; install "
                        "the add-on (addons/odoo/credit_guard) to enforce them.", erp.database)
        writer = OdooWriter(client, enforced=enforced, controller_id=_controller(client, erp))
    except BaseException:
        client.close()
        raise
    return ErpSession(kind="odoo", streams=streams, reader=reader, writer=writer, logout=client.close,
                      access_hint=ACCESS_HINT.format(user=erp.user),
                      memo={"user_id": client.user_id, "signature": signature, "fields": reader.known_fields},
                      remembered=same)


def _signature(client, groups) -> list:
    """What changes when the fields or rights the connector checked at connect may have changed: the server's
    version, the last module installed or updated, the user's groups."""
    latest = client.search_read("ir.module.module", [("state", "=", "installed")], ["write_date"],
                                order="write_date desc", limit=1)
    return [list(client.version), latest[0]["write_date"] if latest else None, sorted(groups)]


def _company(client, erp) -> tuple[int, list[int]]:
    """The config's company (`[erp] company`: an id or a name), else the user's current company; and the
    user's groups."""
    groups = "group_ids" if client.version[0] >= 19 else "groups_id"       # renamed in Odoo 19
    [user] = client.read("res.users", [client.user_id], ["company_id", "company_ids", "email", groups])
    if not user["email"]:
        raise ConfigError(f"the Odoo user {erp.user!r} has no email address, and Odoo refuses notes without one",
                          where=f"{erp.url}/{erp.database}",
                          hint=f"give the user {erp.user!r} an email address (Settings > Users)")
    if not erp.company:
        return user["company_id"][0], user[groups]
    wanted = str(erp.company)
    rows = client.read("res.company", user["company_ids"], ["name"])
    for row in rows:
        if str(row["id"]) == wanted or row["name"] == wanted:
            return row["id"], user[groups]
    raise ConfigError(f"the ERP user {erp.user!r} has no company {wanted!r}", where=f"{erp.source}: [erp] company",
                      hint="companies of the user: " + ", ".join(f"{r['id']} {r['name']}" for r in rows))


def _controller(client, erp) -> int | None:
    """The user who gets the credit team's to-dos (`[erp] credit_controller`: a login); default the connector's."""
    if not erp.credit_controller:
        return None
    found = client.search("res.users", [("login", "=", erp.credit_controller)], limit=1)
    if not found:
        raise ConfigError(f"no Odoo user with the login {erp.credit_controller!r}",
                          where=f"{erp.source}: [erp] credit_controller")
    return found[0]
