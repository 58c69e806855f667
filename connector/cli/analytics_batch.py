"""Fold a snapshot's invoices into the analytics books on every core, as connector/cli/batch.py does for facts.

The invoice pieces are split into one contiguous group per process; each forked process validates and
folds its group into its own copy of the (empty) books and hands back one share, so the parent merges
a few shares, not one per piece. Ids are checked for duplicates across all pieces in the parent."""
from __future__ import annotations

from creditguard.mappings.snapshot import ChunkUnreadable
from creditguard.rules.analytics.books import DSO_PERIOD_DAYS, LOOKBACK_DAYS, Books

from creditguard.connector.cli import batch

_work: dict = {}          # what forked workers read: set just before the pool starts


def books_of(source, jobs: int | None = None, lookback_days: int = LOOKBACK_DAYS,
             period_days: int = DSO_PERIOD_DAYS, keep_history: str | None = None) -> Books:
    """The complete books of `source`; the whole snapshot is validated before this returns."""
    jobs = jobs or batch.default_jobs(source)
    windows = (lookback_days, period_days, keep_history)
    books = Books(source.header, source.customers, *windows)
    pieces = source.chunks("invoices")
    if jobs <= 1 or len(pieces) <= 1:
        return Books.read(source, *windows)
    size = -(-len(pieces) // jobs)
    groups = [pieces[start:start + size] for start in range(0, len(pieces), size)]
    _work.update(source=source, groups=groups, windows=windows)
    try:
        shares = batch._map(_fold_group, range(len(groups)), jobs)
        seen: set = set()
        for ids, share in shares:
            source.check_unique("invoices", ids, seen)
            books.absorb(share)
    except ChunkUnreadable:
        source.read_whole()
        return Books.read(source, *windows)
    finally:
        _work.clear()
    books.finish(source.iter_orders())
    return books


def _fold_group(n):
    # fresh books for each group: a worker process may be handed more than one group
    source = _work["source"]
    books = Books(source.header, source.customers, *_work["windows"])
    ids = []
    for chunk in _work["groups"][n]:
        records = source.read_chunk("invoices", chunk)
        ids += [r.id for r in records]
        books.fold(records)
    return ids, books.share()
