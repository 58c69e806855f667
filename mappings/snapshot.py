"""Load a snapshot file: validate it completely, or fail naming file, record and field."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from .errors import SnapshotError
from .models import SNAPSHOT_FORMAT, Snapshot

_RECORD_LISTS = ("customers", "invoices", "orders")


def load_snapshot(path) -> Snapshot:
    """Read and validate the snapshot at `path`; raise SnapshotError on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"cannot read the snapshot: {exc.strerror}", where=str(path)) from None
    return parse_snapshot(raw, source=str(path))


def parse_snapshot(raw: bytes | str, source: str = "<snapshot>") -> Snapshot:
    """Validate snapshot JSON text; check ids, references and exchange rates."""
    try:
        snapshot = Snapshot.model_validate_json(raw)
    except ValidationError as exc:
        raise _snapshot_error(exc, raw, source) from None
    check_references(snapshot, source)
    return snapshot


def check_references(snapshot: Snapshot, source: str) -> None:
    """Every id unique, every document's customer known, every currency with a rate."""
    customers = set()
    for customer in snapshot.customers:
        if customer.id in customers:
            raise SnapshotError("duplicate customer id", where=f"{source}: customers[id={customer.id}].id")
        customers.add(customer.id)
    rates = set(snapshot.fx_rates) | {snapshot.company.currency}
    for customer in snapshot.customers:
        cover = customer.insurer_cover
        if cover is not None and cover.currency not in rates:
            raise _missing_rate(source, f"customers[id={customer.id}].insurer_cover.currency", cover.currency,
                                snapshot.company.currency)
    for kind in ("invoices", "orders"):
        seen = set()
        for doc in getattr(snapshot, kind):
            where = f"{source}: {kind}[id={doc.id}]"
            if doc.id in seen:
                raise SnapshotError(f"duplicate {kind[:-1]} id", where=f"{where}.id")
            seen.add(doc.id)
            if doc.customer_id not in customers:
                raise SnapshotError(f"customer {doc.customer_id!r} is not in the snapshot's customers",
                                    where=f"{where}.customer_id",
                                    hint="add the customer or drop the document from the snapshot")
            if doc.currency not in rates:
                raise _missing_rate(source, f"{kind}[id={doc.id}].currency", doc.currency, snapshot.company.currency)
    for invoice in snapshot.invoices:
        if invoice.state == "posted" and invoice.due_date is None and invoice.invoice_date is None:
            raise SnapshotError("a posted invoice needs a due_date (or at least an invoice_date)",
                                where=f"{source}: invoices[id={invoice.id}].due_date")


def _missing_rate(source, where, currency, company_currency):
    return SnapshotError(f"no exchange rate for currency {currency!r}", where=f"{source}: {where}",
                         hint=f'add "{currency}": "<value of 1 {currency} in {company_currency}>" to fx_rates')


def _snapshot_error(exc: ValidationError, raw, source: str) -> SnapshotError:
    """Turn pydantic's first error into a message naming the record by its id."""
    first = exc.errors(include_url=False)[0]
    loc = list(first["loc"])
    if first["type"] == "json_invalid":
        return SnapshotError(f"not valid JSON ({first['msg']})", where=source,
                             hint="check the file is a complete JSON document")
    if loc == ["format"]:
        return SnapshotError(f"unknown format {first.get('input')!r}; expected {SNAPSHOT_FORMAT!r}",
                             where=f"{source}: format")
    path = _readable_path(loc, raw)
    count = exc.error_count()
    more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
    value = first.get("input")
    shown = f" (got {value!r})" if not isinstance(value, (dict, list)) else ""
    return SnapshotError(f"{first['msg']}{shown}{more}", where=f"{source}: {path}")


def _readable_path(loc, raw) -> str:
    """customers.3.credit_limit -> customers[id=42].credit_limit, using the record's own id."""
    parts = []
    records = None
    for i, item in enumerate(loc):
        if isinstance(item, int) and i > 0 and loc[i - 1] in _RECORD_LISTS:
            if records is None:
                records = _load_plain(raw)
            record_id = _record_id(records, loc[i - 1], item)
            parts[-1] = f"{parts[-1]}[{'id=' + record_id if record_id else '#' + str(item + 1)}]"
        elif isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


def _load_plain(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return {}


def _record_id(document, list_name, index):
    try:
        record_id = document[list_name][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return str(record_id) if record_id is not None else None
