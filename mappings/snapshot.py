"""Read a snapshot file: validate it completely, or fail naming file, record and field.

Large files are read without holding every record at once: the top-level layout is found by a
light scan, and the record lists are validated by pydantic in chunks of a few MiB, each chunk
checked (ids, customers, exchange rates) as it is handed over. A chunk cut that the scan got wrong
(a record separator inside a text) can only give invalid JSON, and any JSON problem sends the whole
file through pydantic in one piece: that path is the authority for what is valid and what the
error says."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterator

from pydantic import TypeAdapter, ValidationError

from creditguard.mappings.errors import SnapshotError, first_problem
from creditguard.mappings.history import check_header, check_history
from creditguard.mappings.models import (SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_HISTORY, Customer, Invoice, SaleOrder,
    Snapshot, SnapshotHeader)
from creditguard.mappings.scan import Unscannable, scan

RECORD_LISTS = {"customers": Customer, "invoices": Invoice, "orders": SaleOrder}
_ADAPTERS = {name: TypeAdapter(list[model]) for name, model in RECORD_LISTS.items()}


class ChunkUnreadable(Exception):
    """The light scan cut the file where it should not have: call read_whole() and start again."""


class SnapshotSource:
    """A validated snapshot whose invoices and orders are read piece by piece.

    `header` and `customers` are read at once; `chunks(kind)` lists the pieces of the invoices or
    orders and `read_chunk` validates one (in any process: the pieces are independent); duplicate
    ids across pieces are caught by `check_unique`. iter_invoices()/iter_orders() do all of that in
    order, for a reader that wants the records one by one."""

    def __init__(self, raw: bytes, source: str):
        self.source = source
        self.size = len(raw)          # bytes
        self._raw = raw
        self._whole = None
        try:
            self._layout = scan(raw, RECORD_LISTS, (*SnapshotHeader.model_fields, *RECORD_LISTS))
            self.header = self._validate_header()
            self.customers = [c for chunk in self.chunks("customers") for c in self._validate(chunk, "customers")]
        except (Unscannable, ChunkUnreadable):
            self.read_whole()
        check_customers(self.header, self.customers, source)
        check_header(self.header, source)
        self._customer_ids = {c.id for c in self.customers}

    def iter_invoices(self) -> Iterator[Invoice]:
        return self._checked("invoices")

    def iter_orders(self) -> Iterator[SaleOrder]:
        return self._checked("orders")

    def chunks(self, kind) -> list:
        """The pieces of one record list, in file order: byte ranges, or [None] once read whole."""
        if self._whole is not None:
            return [None]
        entry = self._layout.get(kind)
        return list(entry[1]) if entry else []

    def read_chunk(self, kind, chunk) -> list:
        """One piece's records, validated and checked against the customers and the rates."""
        records = self._validate(chunk, kind)
        header, customer_ids = self.header, self._customer_ids
        currencies = set(header.fx_rates) | {header.company.currency}
        for doc in records:
            if doc.customer_id not in customer_ids or doc.currency not in currencies or (
                    kind == "invoices" and (doc.due_date is None or not _residual_fits(doc))):
                check_document(header, customer_ids, set(), kind, doc, self.source)   # says what is wrong
            if kind == "invoices" and doc.payments is not None:
                check_history(header, doc, self.source)
        return records

    def check_unique(self, kind, ids, seen: set) -> None:
        """Add a piece's ids to `seen` (the ids of the pieces before); raise on a duplicate."""
        mine = set(ids)
        if len(mine) != len(ids) or not seen.isdisjoint(mine):
            counted: set = set()
            for record_id in ids:
                if record_id in seen or record_id in counted:
                    raise SnapshotError(f"duplicate {kind[:-1]} id",
                                        where=f"{self.source}: {kind}[id={record_id}].id")
                counted.add(record_id)
        seen |= mine

    def release(self) -> None:
        """Drop the file's bytes once every record has been read: the header and customers stay."""
        self._raw = None

    def read_whole(self) -> None:
        """Give up the light scan: validate the whole file in one piece (the authority on errors)."""
        if self._whole is None:
            self._whole = parse_whole(self._raw, self.source)
            self.header = self._whole.header
            self.customers = self._whole.customers

    def _checked(self, kind):
        seen: set = set()
        count = 0
        try:
            for chunk in self.chunks(kind):
                records = self.read_chunk(kind, chunk)
                self.check_unique(kind, [r.id for r in records], seen)
                count += len(records)
                yield from records
        except ChunkUnreadable:
            # Only a cut inside a text makes a piece unreadable, and the pieces before it were whole
            # JSON: they are the list's first `count` records. Go on from there, read whole.
            self.read_whole()
            rest = self.read_chunk(kind, None)[count:]
            self.check_unique(kind, [r.id for r in rest], seen)
            yield from rest

    def _validate(self, chunk, kind) -> list:
        if chunk is None:
            return getattr(self._whole, kind)
        start, end = chunk
        text = b"[" + self._raw[start:end] + b"]"
        try:
            return _ADAPTERS[kind].validate_json(text)
        except ValidationError as exc:
            if exc.errors()[0]["type"] == "json_invalid":
                raise ChunkUnreadable() from None
            raise _record_error(exc, kind, text, self.source) from None

    def _validate_header(self):
        fields = {}
        for key, entry in self._layout.items():
            if entry[0] == "value":
                if key in RECORD_LISTS:      # e.g. "invoices": null: let the whole-file path say so
                    raise Unscannable()
                fields[key] = json.loads(self._raw[entry[1]:entry[2]])
        if "customers" not in self._layout:
            raise Unscannable()
        try:
            return SnapshotHeader.model_validate(fields)
        except ValidationError:
            raise Unscannable() from None   # the whole-file path words the error, with its full path


def open_snapshot(path) -> SnapshotSource:
    """Open the snapshot at `path` (`-`: standard input) for reading; raise SnapshotError on any problem."""
    return SnapshotSource(_read(path), "<stdin>" if str(path) == "-" else str(path))


def load_snapshot(path) -> Snapshot:
    """Read, validate and check the whole snapshot at `path` into memory."""
    return parse_snapshot(_read(path), str(path))


def parse_snapshot(raw: bytes | str, source: str = "<snapshot>") -> Snapshot:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    src = SnapshotSource(raw, source)
    invoices, orders = list(src.iter_invoices()), list(src.iter_orders())
    return Snapshot.model_construct(**dict(src.header), customers=src.customers, invoices=invoices,
                                    orders=orders)


def parse_whole(raw: bytes, source: str) -> Snapshot:
    try:
        return Snapshot.model_validate_json(raw)
    except ValidationError as exc:
        raise _snapshot_error(exc, raw, source) from None


def _read(path) -> bytes:
    """The file's bytes; `-` is standard input."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SnapshotError(f"cannot read the snapshot: {exc.strerror}", where=str(path)) from None


# --- checks across records -----------------------------------------------------------------------

def check_references(snapshot: Snapshot, source: str = "<snapshot>") -> None:
    """Every id unique, every document's customer known, every currency with a rate."""
    header = snapshot.header
    check_customers(header, snapshot.customers, source)
    check_header(header, source)
    ids = {c.id for c in snapshot.customers}
    for kind in ("invoices", "orders"):
        seen: set = set()
        for doc in getattr(snapshot, kind):
            check_document(header, ids, seen, kind, doc, source)


def check_customers(header, customers, source):
    seen = set()
    for customer in customers:
        if customer.id in seen:
            raise SnapshotError("duplicate customer id", where=f"{source}: customers[id={customer.id}].id")
        seen.add(customer.id)
        cover = customer.insurer_cover
        if cover is not None and header.rate(cover.currency) is None:
            raise _missing_rate(source, f"customers[id={customer.id}].insurer_cover.currency", cover.currency,
                                header.company.currency)


def check_document(header, customer_ids, seen, kind, doc, source):
    if doc.id in seen:
        raise SnapshotError(f"duplicate {kind[:-1]} id", where=f"{source}: {kind}[id={doc.id}].id")
    seen.add(doc.id)
    if doc.customer_id not in customer_ids:
        raise SnapshotError(f"customer {doc.customer_id!r} is not in the snapshot's customers",
                            where=f"{source}: {kind}[id={doc.id}].customer_id",
                            hint="add the customer or drop the document from the snapshot")
    if header.rate(doc.currency) is None:
        raise _missing_rate(source, f"{kind}[id={doc.id}].currency", doc.currency, header.company.currency)
    if kind == "invoices" and doc.state == "posted" and doc.due_date is None and doc.invoice_date is None:
        raise SnapshotError("a posted invoice needs a due_date (or at least an invoice_date)",
                            where=f"{source}: invoices[id={doc.id}].due_date")
    if kind == "invoices" and not _residual_fits(doc):
        raise SnapshotError(f"the residual {doc.amount_residual} is not between 0 and the total {doc.amount_total} "
                            f"(what is left to pay can be neither negative nor more than the invoice)",
                            where=f"{source}: invoices[id={doc.id}].amount_residual",
                            hint="check the residual (amount still due) and the total of this invoice")
    if kind == "invoices" and doc.payments is not None:
        check_history(header, doc, source)


def _residual_fits(doc) -> bool:
    """0 <= residual <= total, on the total's side of zero (credit notes may be written negative)."""
    residual, total = doc.amount_residual, doc.amount_total
    if not residual:
        return True
    return 0 < residual <= total if total > 0 else total <= residual < 0


def _missing_rate(source, where, currency, company_currency):
    return SnapshotError(f"no exchange rate for currency {currency!r}", where=f"{source}: {where}",
                         hint=f'add "{currency}": "<value of 1 {currency} in {company_currency}>" to fx_rates')


# --- error messages -------------------------------------------------------------------------------

def _record_error(exc, kind, text, source) -> SnapshotError:
    problem = first_problem(exc)
    index, *rest = problem.loc
    record_id = _record_id(_load_plain(text), None, index)
    label = f"{kind}[id={record_id}]" if record_id else f"{kind}[#{index + 1} of its piece]"
    path = label + "".join(f"[{item}]" if isinstance(item, int) else f".{item}" for item in rest)
    return _error(problem, path, source)


def _snapshot_error(exc: ValidationError, raw, source: str) -> SnapshotError:
    """Turn pydantic's first error into a message naming the record by its id."""
    problem = first_problem(exc)
    if problem.kind == "json_invalid":
        return SnapshotError(f"not valid JSON ({problem.message})", where=source,
                             hint="check the file is a complete JSON document")
    if problem.loc == ("format",):
        if problem.kind == "missing":
            return SnapshotError("the snapshot has no format", where=f"{source}: format",
                                 hint=f'add "format": "{SNAPSHOT_FORMAT}" at the top of the document')
        return SnapshotError(f"unknown format {problem.value!r}; expected {SNAPSHOT_FORMAT!r} or "
                             f"{SNAPSHOT_FORMAT_HISTORY!r}",
                             where=f"{source}: format")
    if not problem.loc:
        return SnapshotError(f"the snapshot must be a JSON object ({{\"format\": ..., \"customers\": [...]}}), "
                             f"not {_json_kind(problem.value)}", where=source)
    return _error(problem, _readable_path(list(problem.loc), raw), source)


HINTS = {"greater_than_equal": "this value cannot be negative: correct it where it comes from (the ERP's "
                               "record, or the snapshot file); for a credit limit, 0 or null means none set"}


def _error(problem, path, source):
    shown = f" (got {problem.value!r})" if not isinstance(problem.value, (dict, list)) else ""
    return SnapshotError(f"{problem.message}{shown}{problem.more}", where=f"{source}: {path}",
                         hint=HINTS.get(problem.kind))


def _readable_path(loc, raw) -> str:
    """customers.3.credit_limit -> customers[id=42].credit_limit, using the record's own id."""
    parts = []
    document = None
    for i, item in enumerate(loc):
        if isinstance(item, int) and i > 0 and loc[i - 1] in RECORD_LISTS:
            if document is None:
                document = _load_plain(raw)
            record_id = _record_id(document, loc[i - 1], item)
            parts[-1] = f"{parts[-1]}[{'id=' + record_id if record_id else '#' + str(item + 1)}]"
        elif isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


def _json_kind(value) -> str:
    return {list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false",
            type(None): "null"}.get(type(value), "a value")


def _load_plain(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return {}


def _record_id(document, list_name, index):
    try:
        records = document[list_name] if list_name else document
        record_id = records[index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return str(record_id) if record_id is not None else None
