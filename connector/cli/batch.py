"""Evaluate a snapshot file on every core: fold the record pieces, then evaluate blocks of customers.

The work partitions as docs/architecture.md says: record pieces fold into per-customer totals in any
process (rules.facts.Ledger), customers are evaluated and rendered in contiguous blocks. Worker
processes are forked, so they share the file and the customers with the parent without copying.
With one job everything runs in this process, through the same functions."""
from __future__ import annotations

import multiprocessing
import os
import signal

from creditguard.mappings.snapshot import ChunkUnreadable
from creditguard.rules.evaluate import evaluate_customer, make_engine
from creditguard.rules.facts import Ledger, compute_facts

from creditguard.connector.cli.views import evaluation as report

SMALL_FILE = 8 << 20      # below this, processes cost more than they save
_work: dict = {}          # what forked workers read: set just before the pool starts


def default_jobs(source) -> int:
    if source.size < SMALL_FILE or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def facts_of(source, as_of, jobs: int) -> list[dict]:
    """Every customer's facts; the whole snapshot is validated before this returns."""
    ledger = Ledger(source.header, source.customers, as_of)
    pieces = [(kind, chunk) for kind in ("invoices", "orders") for chunk in source.chunks(kind)]
    _work.update(source=source, ledger=ledger, pieces=pieces)
    folded = _imap(_fold_piece, range(len(pieces)), jobs)        # taken as they come: never all at once
    try:
        seen = {"invoices": set(), "orders": set()}
        for (kind, _), (ids, partial) in zip(pieces, folded):
            source.check_unique(kind, ids, seen[kind])
            ledger.absorb(partial)
    except ChunkUnreadable:
        source.read_whole()
        return compute_facts(source, as_of)
    finally:
        folded.close()            # stops the workers at once if a piece went wrong
        _work.clear()
    return ledger.facts()


def render(policy, engine_name, source, all_facts, fmt, jobs: int, style=None):
    """The results as blocks in customer order (JSON text, or report.table_block's rows by status, drawn
    in `style`), each with its count per status."""
    customers = source.customers
    size = max(1, -(-len(customers) // (jobs * 4)))
    blocks = [(start, min(start + size, len(customers))) for start in range(0, len(customers), size)]
    _work.update(policy=policy, engine_name=engine_name, customers=customers, facts=all_facts, fmt=fmt,
                 style=style or report.TableStyle())
    try:
        return _map(_render_block, blocks, jobs)
    finally:
        _work.clear()


def _fold_piece(n):
    kind, chunk = _work["pieces"][n]
    records = _work["source"].read_chunk(kind, chunk)
    ledger = _work["ledger"]
    partial = ledger.fold_invoices(records) if kind == "invoices" else ledger.fold_orders(records)
    return [r.id for r in records], partial


def _render_block(block):
    start, end = block
    policy = _work["policy"]
    engine, _ = make_engine(_work["engine_name"], policy)
    results = [evaluate_customer(policy, engine, c.id, c.name, f)
               for c, f in zip(_work["customers"][start:end], _work["facts"][start:end])]
    if _work["fmt"] == "json":
        return report.json_block(results), report.count_statuses(results)
    return report.table_block(results, _work["style"]), report.count_statuses(results)


def _map(func, items, jobs):
    return list(_imap(func, items, jobs))


def _imap(func, items, jobs):
    """func over items, in order, one result at a time; on `jobs` forked workers when there is more than one
    item. Interrupted (Ctrl-C, SIGTERM, an error, the caller stopping early), the workers are killed at once:
    they never outlive the command."""
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        yield from (func(item) for item in items)
        return
    pool = multiprocessing.get_context("fork").Pool(min(jobs, len(items)), initializer=_worker_signals)
    try:
        yield from pool.imap(func, items, chunksize=1)
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


def _worker_signals():
    """Workers leave Ctrl-C to the parent (which stops them) and die at once on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
