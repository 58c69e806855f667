"""Open a Tryton session for a cycle: the JSON-RPC client logged in, its reader and writer."""
from __future__ import annotations

from creditguard.connector.erp.contract import ErpSession
from creditguard.connector.erp.tryton.reader import TrytonReader
from creditguard.connector.erp.tryton.rpc import TrytonClient
from creditguard.connector.erp.tryton.writeback import TrytonWriter

__all__ = ["open_session"]

ACCESS_HINT = ("give the user {user!r} the group \"Credit Guard connector\" (Administration > Users > Groups), "
               "and the read access to the accounting and sales records it reads (e.g. the group "
               "\"Account\" or \"Sales\")")


def open_session(erp, streams, memo=None) -> ErpSession:
    """`memo` is not used: a Tryton session is checked in full each time."""
    client = TrytonClient(erp.url, erp.database, timeout=erp.timeout)
    client.login(erp.user, erp.password)
    return ErpSession(kind="tryton", streams=streams, reader=TrytonReader(client), writer=TrytonWriter(client),
                      logout=client.logout,
                      access_hint=ACCESS_HINT.format(user=erp.user))
