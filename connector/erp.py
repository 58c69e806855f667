"""Open the configured ERP: log in, load and check its mappings, hand out its reader and writer."""
from __future__ import annotations

from dataclasses import dataclass

from mappings.errors import ConfigError, MappingError, TransientError
from mappings.mapper import load_mappings

__all__ = ["ErpSession", "connect"]


@dataclass
class ErpSession:
    streams: dict          # name -> mappings.mapper.Stream, in reading order
    reader: object         # pages(stream, since), ids(stream), bookmark(stream, records)
    writer: object         # hold_states(ids), apply(operation, customer_id, payload), actor
    client: object

    def close(self):
        try:
            self.client.logout()
        except (TransientError, ConfigError):
            pass


def connect(erp, *, first_contact=True) -> ErpSession:
    """Log in to the ERP of `erp` (config.ErpConfig) and check every mapped field exists there.

    An unreachable ERP on first contact is a configuration error (wrong URL, or a server that is not
    running); later it is a TransientError, retried on the next cycle."""
    streams = load_mappings(erp.kind, erp.mappings)
    if erp.kind != "tryton":
        raise ConfigError(f"no adapter for ERP kind {erp.kind!r}")
    if not erp.password:
        raise ConfigError("no password for the ERP user", where=f"{erp.source}: [erp] password",
                          hint="set password under [erp], or the environment variable CREDITGUARD_ERP_PASSWORD")
    from .tryton.reader import TrytonReader
    from .tryton.rpc import TrytonClient
    from .tryton.writeback import TrytonWriter
    client = TrytonClient(erp.url, erp.database, timeout=erp.timeout)
    try:
        _load_tryton_database(client)
        client.login(erp.user, erp.password)
    except TransientError as exc:
        if not first_contact:
            raise
        raise ConfigError(f"cannot reach Tryton: {exc}", where=f"{erp.url} (database {erp.database})",
                          hint="check [erp] url in the config and that the Tryton server is running") from None
    reader, writer = TrytonReader(client), TrytonWriter(client)
    reader.check(streams.values())
    missing = writer.check(reader.fields_of)
    if missing:
        model, name = missing[0]
        raise MappingError(f"the ERP's model {model} has no field {name!r}, which the write-back needs",
                           where=f"{erp.url}/{erp.database}",
                           hint="install or update the Credit Guard add-on (trytond-admin -u creditguard)")
    return ErpSession(streams, reader, writer, client)


def _load_tryton_database(client):
    """Tryton 8.2 breaks a database whose first request is a login (until it restarts): any request to
    the database first loads it. The answer (404) does not matter; an unreachable server shows at login."""
    import requests
    try:
        client.http.get(f"{client.url}/{client.database}/r/creditguard-warmup", timeout=client.timeout)
    except requests.RequestException:
        pass
