"""The ERP adapter contract: what a cycle needs from an ERP, the registry of adapters, and `connect`.

A cycle needs four things from an ERP, and nothing else:
    connect      log in, check the mapped fields and the write-back's fields exist (fail before reading)
    read         a stream's pages since a bookmark (ErpReader), ids to notice deletions
    hold state   what the ERP says about customers' holds now (ErpWriter.hold_states)
    write        one operation at a time, checking what the ERP holds first (ErpWriter, connector/erp/operations.py)

An adapter is a package `connector/<kind>/` whose module `adapter` has
    def open_session(erp: config.ErpConfig, streams, memo: dict) -> ErpSession
(it logs in; it raises ConfigError / ErpRefused for what a person must fix, TransientError when the ERP is
unreachable), plus its mappings in `mappings/<kind>/*.yaml`. Adding an ERP is that package, that mappings
folder, and one line in ADAPTERS below; nothing else changes. ERP ids become canonical ids, and back,
through mappings/ids.py (`ErpSession.ids`).
"""
from __future__ import annotations

import importlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from creditguard.mappings.errors import ConfigError, ErpRefused, MappingError, TransientError
from creditguard.mappings.mapper import Stream, load_mappings
from creditguard.mappings.vocab import HoldOrigin, Outcome


log = logging.getLogger(__name__)

__all__ = ["ADAPTERS", "ErpReader", "ErpWriter", "ErpSession", "HoldState", "Page", "connect", "kinds", "MANUAL",
           "CREDIT_GUARD"]

# [erp] kind -> the module that opens a session on that ERP
ADAPTERS = {
    "tryton": "creditguard.connector.erp.tryton.adapter",
    "odoo": "creditguard.connector.erp.odoo.adapter",
}


def kinds() -> tuple[str, ...]:
    return tuple(ADAPTERS)


@dataclass
class Page:
    """Records of one stream read in one call, with the related records the mapping asked for."""
    records: list
    related: dict = field(default_factory=dict)      # related name -> {ERP id: record}


MANUAL, CREDIT_GUARD = HoldOrigin.MANUAL, HoldOrigin.CREDIT_GUARD    # whose hold it is (mappings/vocab.py)


@dataclass(frozen=True, kw_only=True)
class HoldState:
    """What the ERP says about a customer's hold and flag now."""
    on_hold: bool
    reason: str | None = None
    rules: str | None = None
    since: str | None = None
    request_pending: bool = False
    origin: str | None = None          # CREDIT_GUARD, MANUAL, or None (not held, or unknown)
    flagged: bool = False
    flag_reason: str | None = None

    @property
    def manual(self) -> bool:
        return self.on_hold and self.origin == MANUAL


class ErpReader(Protocol):
    def fields_of(self, model: str) -> dict[str, dict]:
        """The fields of the ERP's `model` the connector's user may read: name -> definition, where
        `readonly` is true for a field the user may not write."""

    def access(self, needed: dict[str, set[str]]) -> dict[str, set[str]]:
        """Which of the rights `needed` ({model: {"read", "write", "create"}}) the connector's user has."""

    def field_exists(self, model: str, name: str) -> bool:
        """Whether `model` has the field at all (fields_of lists only those the user may read)."""

    def pages(self, stream: Stream, since: str | None = None, customers=None) -> Iterator[Page]:
        """The stream's records (all, or changed since the bookmark `since`), a page at a time; with
        `customers` (canonical ids), only the records whose `stream.customer_field` names one of them."""

    def ids(self, stream: Stream) -> set[str]:
        """Every canonical id the stream selects now (to notice deleted records)."""

    def documents(self, invoice_numbers) -> dict[str, dict]:
        """For a claim file: per customer invoice number, the numbers of its sales orders ("orders") and of its
        deliveries done ("deliveries"); what the ERP does not hold, or the user may not read, is left empty."""

    def bookmark(self, stream: Stream, records: list) -> str | None:
        """The bookmark after these records (their latest replication value), or None."""


class ErpWriter(Protocol):
    actor: str                                   # who writes, for the audit: "user@url/database"
    required_fields: dict[str, tuple[str, ...]]  # model -> fields the write-back writes (the add-on's)
    required_access: dict[str, tuple[str, ...]]  # model -> what the write-back does there: read, write, create

    def hold_states(self, customer_ids: Iterable[str]) -> dict[str, HoldState]: ...

    def flagged(self) -> set[str]:
        """Every customer the ERP shows as flagged now."""

    def place_hold(self, customer_id: str, *, reason: str, rules: str) -> Outcome: ...

    def update_hold(self, customer_id: str, *, reason: str, rules: str) -> Outcome: ...

    def release_hold(self, customer_id: str) -> Outcome: ...

    def set_flag(self, customer_id: str, *, reason: str) -> Outcome: ...

    def clear_flag(self, customer_id: str) -> Outcome: ...

    def add_note(self, customer_id: str, *, text: str, marker: str) -> Outcome:
        """A note on the customer unless one carrying `marker` is there already."""

    def notify(self, customer_id: str, *, text: str, marker: str) -> Outcome:
        """A note, and a to-do for the credit team where the ERP has them, unless `marker` is there already."""

    def request_cover(self, customer_id: str, *, text: str, marker: str) -> Outcome: ...

    def set_cover(self, customer_id: str, *, amount: str | None, currency: str | None, status: str | None,
                  valid_until: str | None, request_pending: bool) -> Outcome:
        """The customer's insurer cover as the insurer decided it (connector/insurer/flow.py): `amount` a decimal
        string (None: no cover), `currency` its ISO code, `status` a cover status of mappings/models.py (None:
        no cover), `valid_until` an ISO date or None, `request_pending` whether a request awaits the insurer.
        Reads the fields first: ALREADY_THERE when the ERP has these values, else writes them (WRITTEN).
        An ERP that keeps covers in company currency only refuses another currency with ErpRefused."""

    def set_allowance(self, customer_id: str, *, allowance: str | None, allowance_rule: str, allowance_bound: str,
                      flag_allowance: str | None, flag_rule: str, flag_bound: str, exposure: str, currency: str,
                      as_of: str) -> Outcome:
        """The customer's order allowance (docs/allowance.md): `allowance` / `flag_allowance` decimal strings with
        cents (None: no limit), the rule that bounds each and its bound as a salesperson reads it ("its credit
        limit 10,000.00"), `exposure` at `as_of` (ISO UTC date-time, no zone, seconds), all in `currency` (the
        company's ISO code). Reads the fields first: ALREADY_THERE when the ERP has these values, else WRITTEN."""


@dataclass(kw_only=True)
class ErpSession:
    """A logged-in ERP: its checked streams, reader and writer. Close it when the cycle is done."""
    kind: str
    streams: dict                    # stream name -> Stream, in reading order
    reader: ErpReader
    writer: ErpWriter
    logout: Callable[[], None] = lambda: None
    access_hint: str = ""            # how an admin grants the connector's user what it lacks
    memo: dict | None = None         # what the next connect may take as known (JSON); None: nothing
    remembered: bool = False         # the memo given to the adapter still holds (its checks need not be asked)

    def close(self) -> None:
        """Log out; an ERP that is gone by now does not matter."""
        try:
            self.logout()
        except (TransientError, ConfigError):
            pass


def connect(erp, *, memo: Path | None = None, recall: bool = True) -> ErpSession:
    """Log in to the ERP of `erp` (config.ErpConfig): load its mappings, open a session through its adapter,
    and check that every field the mappings read and the write-back writes exists there.

    `memo` (a JSON file beside the store; cycles pass it) keeps what the last session that passed these checks
    learnt: the user's id, the fields of each model and the rights checked, with the adapter's signature of
    the ERP (Odoo: version, installed modules, the user's groups). With `recall` (a full cycle passes False,
    so that it checks everything and renews the memo), when the adapter finds the same signature,
    and the rights needed are the ones checked then, they are not asked again: a one-shot cycle makes about 20
    calls fewer. The fields are still checked, against the remembered ones. An unreadable memo is ignored.

    An unreachable ERP is a TransientError (exit 75; `run --every` tries again): a server that is restarting
    and a wrong port look the same from here, and only the first is worth waiting for. What a person must
    fix (a wrong password, database, mapping, missing access) is a BadInput (exit 2)."""
    streams = load_mappings(erp.kind, erp.mappings)
    if erp.kind not in ADAPTERS:
        raise ConfigError(f"no adapter for ERP kind {erp.kind!r}", where=f"{erp.source}: [erp] kind",
                          hint=f"supported: {', '.join(ADAPTERS)}")
    if not (erp.password or erp.api_key):
        raise ConfigError("no password (or API key) for the ERP user", where=f"{erp.source}: [erp] password",
                          hint="set password (or api_key) under [erp], or the environment variable "
                               "CREDITGUARD_ERP_PASSWORD (or CREDITGUARD_ERP_API_KEY)")
    adapter = importlib.import_module(ADAPTERS[erp.kind])
    key = [erp.kind, erp.url, erp.database, erp.user]
    known = _recall(memo, key) if recall else {}
    session = adapter.open_session(erp, streams, known)
    try:
        needed = _needed(session)
        if not (session.remembered and known.get("access") == needed):
            _check_access(session, erp, needed)
        _check_read_fields(session, erp)
        _check_write_fields(session, erp)
    except BaseException:
        session.close()
        raise
    if memo is not None and session.memo is not None:
        _remember(memo, {**session.memo, "erp": key, "access": needed}, known)
    return session


def _recall(path, key) -> dict:
    try:
        known = json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) and known.get("erp") == key else {}


def _remember(path, memo, known) -> None:
    """Write the memo when it differs from the one read (atomically; a memo that cannot be written is lost)."""
    memo = json.loads(json.dumps(memo))
    if memo == known:
        return
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(memo), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        log.warning("could not keep the ERP memo %s (%s); the next cycle checks the ERP again", path, error)


def _refused(session, erp, what, where=None) -> ErpRefused:
    return ErpRefused(f"the ERP user {erp.user!r} may not {what}", where=where or f"{erp.url}/{erp.database}",
                      hint=session.access_hint or None)


def _needed(session) -> dict[str, list[str]]:
    """The rights the cycle needs: read every model read, and what the write-back does."""
    needed: dict[str, set] = {}
    for stream in session.streams.values():
        for model in stream.models:
            needed.setdefault(model, set()).add("read")
    for model, perms in session.writer.required_access.items():
        needed.setdefault(model, set()).update(perms)
    return {model: sorted(perms) for model, perms in sorted(needed.items())}


def _check_access(session, erp, needed) -> None:
    """Every model read may be read, and the write-back may do what it does, before anything is read."""
    granted = session.reader.access(needed)
    for model, perms in needed.items():
        for perm in ("read", "write", "create"):
            if perm in perms and perm not in granted.get(model, set()):
                raise _refused(session, erp, f"{perm} {model}" + (" records" if perm != "create" else ""))


def _check_read_fields(session, erp) -> None:
    reader = session.reader
    for stream in session.streams.values():
        for model, name, line in stream.missing_fields(reader.fields_of):
            if reader.field_exists(model, name):
                raise _refused(session, erp, f"read the field {name!r} of {model}", where=f"{stream.source}:{line}")
            raise stream.no_such_field(model, name, line, reader.fields_of(model))


def _check_write_fields(session, erp) -> None:
    fields_of = session.reader.fields_of
    for model, names in session.writer.required_fields.items():
        known = fields_of(model)
        for name in names:
            if name not in known and not session.reader.field_exists(model, name):
                raise MappingError(f"the ERP's model {model} has no field {name!r}, which the write-back needs",
                                   where=f"{erp.url}/{erp.database}",
                                   hint="install or update the Credit Guard add-on in the ERP")
            if name not in known or known[name].get("readonly"):
                raise _refused(session, erp, f"write the field {name!r} of {model}")

