"""The ERP adapter contract: what a cycle needs from an ERP, the registry of adapters, and `connect`.

A cycle needs four things from an ERP, and nothing else:
    connect      log in, check the mapped fields and the write-back's fields exist (fail before reading)
    read         a stream's pages since a bookmark (ErpReader), ids to notice deletions
    hold state   what the ERP says about customers' holds now (ErpWriter.hold_states)
    write        one operation at a time, checking what the ERP holds first (ErpWriter, connector/operations.py)

An adapter is a package `connector/<kind>/` whose module `adapter` has
    def open_session(erp: config.ErpConfig) -> ErpSession
(it logs in; it raises ConfigError / ErpRefused for what a person must fix, TransientError when the ERP is
unreachable), plus its mappings in `mappings/<kind>/*.yaml`. Adding an ERP is that package, that mappings
folder, and one line in ADAPTERS below; nothing else changes. ERP ids become canonical ids, and back,
through mappings/ids.py (`ErpSession.ids`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol

from mappings.errors import ConfigError, MappingError, TransientError
from mappings.mapper import Stream, load_mappings

from .operations import Outcome

__all__ = ["ADAPTERS", "ErpReader", "ErpWriter", "ErpSession", "HoldState", "Page", "connect", "kinds"]

# [erp] kind -> the module that opens a session on that ERP
ADAPTERS = {
    "tryton": "connector.tryton.adapter",
}


def kinds() -> tuple[str, ...]:
    return tuple(ADAPTERS)


@dataclass
class Page:
    """Records of one stream read in one call, with the related records the mapping asked for."""
    records: list
    related: dict = field(default_factory=dict)      # related name -> {ERP id: record}


@dataclass(frozen=True)
class HoldState:
    """What the ERP says about a customer's hold now."""
    on_hold: bool
    reason: str | None = None
    rules: str | None = None
    since: str | None = None
    request_pending: bool = False


class ErpReader(Protocol):
    def fields_of(self, model: str) -> set[str]:
        """The field names the ERP's `model` has, as the connector's user sees them."""

    def pages(self, stream: Stream, since: str | None = None) -> Iterator[Page]:
        """The stream's records (all, or changed since the bookmark `since`), a page at a time."""

    def ids(self, stream: Stream) -> set[str]:
        """Every canonical id the stream selects now (to notice deleted records)."""

    def bookmark(self, stream: Stream, records: list) -> str | None:
        """The bookmark after these records (their latest replication value), or None."""


class ErpWriter(Protocol):
    actor: str                                   # who writes, for the audit: "user@url/database"
    required_fields: dict[str, tuple[str, ...]]  # model -> fields the write-back needs (the add-on's)

    def hold_states(self, customer_ids: Iterable[str]) -> dict[str, HoldState]: ...

    def place_hold(self, customer_id: str, *, reason: str, rules: str) -> Outcome: ...

    def update_hold(self, customer_id: str, *, reason: str, rules: str) -> Outcome: ...

    def release_hold(self, customer_id: str) -> Outcome: ...

    def add_note(self, customer_id: str, *, text: str, marker: str) -> Outcome:
        """A note on the customer unless one carrying `marker` is there already."""

    def request_cover(self, customer_id: str, *, text: str, marker: str) -> Outcome: ...


@dataclass
class ErpSession:
    """A logged-in ERP: its checked streams, reader and writer. Close it when the cycle is done."""
    kind: str
    streams: dict                    # stream name -> Stream, in reading order
    reader: ErpReader
    writer: ErpWriter
    logout: Callable[[], None] = lambda: None

    def close(self) -> None:
        """Log out; an ERP that is gone by now does not matter."""
        try:
            self.logout()
        except (TransientError, ConfigError):
            pass


def connect(erp, *, first_contact=True) -> ErpSession:
    """Log in to the ERP of `erp` (config.ErpConfig): load its mappings, open a session through its adapter,
    and check that every field the mappings read and the write-back writes exists there.

    An unreachable ERP on first contact is a configuration error (wrong URL, or a server that is not
    running); later it is a TransientError, retried on the next cycle."""
    streams = load_mappings(erp.kind, erp.mappings)
    if erp.kind not in ADAPTERS:
        raise ConfigError(f"no adapter for ERP kind {erp.kind!r}", where=f"{erp.source}: [erp] kind",
                          hint=f"supported: {', '.join(ADAPTERS)}")
    if not erp.password:
        raise ConfigError("no password for the ERP user", where=f"{erp.source}: [erp] password",
                          hint="set password under [erp], or the environment variable CREDITGUARD_ERP_PASSWORD")
    adapter = importlib.import_module(ADAPTERS[erp.kind])
    try:
        session = adapter.open_session(erp, streams)
    except TransientError as exc:
        if not first_contact:
            raise
        raise ConfigError(f"cannot reach the ERP: {exc}", where=f"{erp.url} (database {erp.database})",
                          hint="check [erp] url in the config and that the ERP server is running") from None
    try:
        for stream in streams.values():
            stream.check_fields(session.reader.fields_of)
        _check_write_fields(session.writer, session.reader.fields_of, erp)
    except BaseException:
        session.close()
        raise
    return session


def _check_write_fields(writer, fields_of, erp) -> None:
    for model, names in writer.required_fields.items():
        known = fields_of(model)
        for name in names:
            if name not in known:
                raise MappingError(f"the ERP's model {model} has no field {name!r}, which the write-back needs",
                                   where=f"{erp.url}/{erp.database}",
                                   hint="install or update the Credit Guard add-on in the ERP")

