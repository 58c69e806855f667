"""Sync: read the mapped streams from the ERP (everything, or what changed since the bookmarks), merge the
changes into the stored records, and assemble the canonical snapshot (contract v1) from them."""
from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from creditguard.mappings.errors import BadInput
from creditguard.mappings.models import SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_HISTORY, Snapshot
from creditguard.mappings.snapshot import check_references

__all__ = ["StreamChanges", "read_changes", "merged_records", "save_changes", "build_snapshot",
           "touched_customers"]

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class StreamChanges:
    """What one stream's read brought: mapped records by ERP id, ERP ids gone, the next bookmark."""
    stream: str
    full: bool
    mapped: dict = field(default_factory=dict)      # ERP id -> [canonical records]
    deleted: set = field(default_factory=set)
    bookmark: str | None = None
    read: int = 0


def read_changes(reader, streams, store, *, full=False, progress=None, customers=None) -> dict[str, StreamChanges]:
    """Read every stream in order (lookups first; they are always read in full). No store writes.

    `customers` (canonical ids; the service's re-check): a stream that names its customer field and has a
    bookmark is read for those customers only — their records changed since the bookmark — and its bookmark
    stays where it is (the others' changes are the next cycle's), with no search for deleted records."""
    lookups, changes = {}, {}
    for name, stream in streams.items():
        since = None if full or stream.is_lookup else store.bookmark(name)
        narrow = customers is not None and since is not None and stream.customer_field is not None
        change = StreamChanges(stream=name, full=since is None, bookmark=since)
        pages = reader.pages(stream, since, customers) if narrow else reader.pages(stream, since)
        for page in read_ahead(pages):
            for source_id, records in stream.map_page(page.records, page.related, lookups):
                change.mapped[source_id] = records
            change.read += len(page.records)
            if not narrow:
                change.bookmark = max(filter(None, [change.bookmark, reader.bookmark(stream, page.records)]),
                                      default=None)
            if progress:
                progress(name, change.read)
        if not change.full and not narrow:
            change.deleted = store.source_ids(name) - reader.ids(stream) - set(change.mapped)
        if stream.is_lookup:
            lookups[name] = {r["id"]: r for records in change.mapped.values() for r in records}
        changes[name] = change
    return changes


_END = object()


def read_ahead(pages, depth: int = 2):
    """The pages of `pages`, fetched by a background thread up to `depth` ahead, so that the ERP works on the
    next page while this one is mapped. The generator alone talks to the ERP while it runs; an error it
    raises comes out here, in order; leaving early stops it."""
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch():
        try:
            for page in pages:
                if not offer(page):
                    return
            offer(_END)
        except BaseException as error:           # handed to the consumer, which raises it
            offer(error)

    worker = threading.Thread(target=fetch, name="creditguard-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def merged_records(store, changes) -> dict[str, list[dict]]:
    """The stored records of each stream with the changes applied (nothing is written)."""
    merged = {}
    for name, change in changes.items():
        by_source = {} if change.full else store.records_by_source(name)
        for source_id in change.deleted:
            by_source.pop(source_id, None)
        by_source.update(change.mapped)
        merged[name] = [record for records in by_source.values() for record in records]
    return merged


def touched_customers(store, changes) -> set[str]:
    """Customers whose documents (invoices, orders) this read brought new, changed or deleted: a record read
    again as it was stored is no change. (A customer record changes when Credit Guard writes to it: that is no
    reason to write again.)"""
    touched = set()
    for name in ("invoices", "orders"):
        change = changes.get(name)
        if change is None:
            continue
        stored = store.records_of_sources(name, [*change.mapped, *change.deleted])
        for source_id, records in change.mapped.items():
            if change.full or stored.get(str(source_id)) != records:
                touched.update(r["customer_id"] for r in [*records, *stored.get(str(source_id), [])])
        for source_id in change.deleted:
            touched.update(r["customer_id"] for r in stored.get(str(source_id), []))
    return touched


def save_changes(store, changes) -> None:
    """Store the changed records and move the bookmarks (call inside a store transaction)."""
    for name, change in changes.items():
        if change.full:
            store.clear_stream(name)
        store.delete_sources(name, change.deleted)
        for source_id, records in change.mapped.items():
            store.replace_source(name, source_id, records)
        if change.bookmark:
            store.set_bookmark(name, change.bookmark)


def build_snapshot(records: dict, *, as_of: dt.date, policy_terms=None, country_risk=None,
                   source="the synced records") -> Snapshot:
    """The snapshot of the merged records (contract 1.1 when the invoices carry their payment history): the
    company's own party and documents of parties that are not customers (e.g. archived) are left out; fx_rates
    come from the currencies' rates."""
    if not records.get("company"):
        raise BadInput("nothing has been synced yet", where=source,
                       hint="run `creditguard sync --config FILE` first")
    company = records["company"][0]
    customers = [c for c in records.get("customers", []) if c["id"] != company.get("party_id")]
    known = {c["id"] for c in customers}
    invoices = [i for i in records.get("invoices", []) if i["customer_id"] in known]
    orders = [o for o in records.get("orders", []) if o["customer_id"] in known]
    dropped = len(records.get("invoices", [])) + len(records.get("orders", [])) - len(invoices) - len(orders)
    if dropped:
        log.info("%d documents of parties that are not customers left out of the snapshot", dropped)
    history = any(i.get("payments") is not None for i in invoices)
    snapshot = Snapshot.model_validate({
        "format": SNAPSHOT_FORMAT_HISTORY if history else SNAPSHOT_FORMAT, "as_of": as_of,
        "company": {"name": company["name"], "currency": company["currency"]},
        "fx_rates": fx_rates(records.get("currencies", []), company["currency"]),
        "policy_terms": policy_terms, "country_risk": country_risk or {},
        "customers": customers, "invoices": invoices, "orders": orders})
    check_references(snapshot, source)
    return snapshot


def fx_rates(currencies, company_currency) -> dict[str, Decimal]:
    """Value in company currency of one unit of each currency, from rates against a common base; currencies
    without a rate are left out (a document in one is then reported by the snapshot check)."""
    rates = {c["code"]: Decimal(str(c["rate"])) for c in currencies if c.get("rate")}
    base = rates.get(company_currency)
    if not base:
        return {}
    return {code: (base / rate).quantize(Decimal("0.000001")) for code, rate in rates.items()
            if code != company_currency}
