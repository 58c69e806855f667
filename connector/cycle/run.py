"""One cycle: read (full or incremental) -> snapshot -> evaluate -> plan writes -> outbox -> write ->
store the records and move the bookmarks. Also `sync` alone (read and store, no decisions).

Crash safety: decisions, episodes and the outbox are committed before the first ERP write; each write is
marked done in its own transaction right after Tryton accepted it; the records and bookmarks are committed
last, only when every write succeeded. A cycle that dies anywhere is simply run again: planning compares
with what the ERP has now, notes carry a marker the writer looks for, so nothing is written twice.

Fault injection (tests, drills): CREDITGUARD_FAULT_CRASH_AFTER_WRITES=N kills the process (os._exit) right
after the N-th ERP write of a cycle, before the store records it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import logging
import os
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from creditguard.mappings import clock
from creditguard.mappings.errors import ConfigError, ErpRefused, TransientError
from creditguard.mappings.vocab import Action, Operation
from creditguard.rules.evaluate import evaluate, make_engine
from creditguard.rules.policy import load_policy

from creditguard.connector.erp.contract import connect
from creditguard.connector.insurer import flow as insurer_flow
from creditguard.connector.erp.operations import apply_or_refusal
from creditguard.connector.cycle.planner import needs_state, plan_allowances, plan_writes
from creditguard.connector.cycle.store import Store
from creditguard.connector.cycle.sync import (build_snapshot, merged_records, read_changes, save_changes,
    touched_customers)

__all__ = ["CycleReport", "run_cycle", "sync", "FAULT_ENV", "CRASH_EXIT"]

log = logging.getLogger(__name__)
FAULT_ENV = "CREDITGUARD_FAULT_CRASH_AFTER_WRITES"
CRASH_EXIT = 86


@dataclass(kw_only=True)
class CycleReport:
    """What a cycle did, for the user (CLI) and the store's cycle summary."""
    cycle_id: int | None = None
    mode: str = "incremental"
    dry_run: bool = False
    as_of: dt.date | None = None
    read: dict = field(default_factory=dict)           # stream -> ERP records read
    customers: int = 0
    statuses: Counter = field(default_factory=Counter)
    decisions: Counter = field(default_factory=Counter)
    planned: list = field(default_factory=list)        # operations.Write
    done: list = field(default_factory=list)           # (Write, operations.Outcome)
    skipped: int = 0                                   # planned again, already done by an earlier cycle
    unchanged: int = 0                                 # desired state already in the ERP
    failed: list = field(default_factory=list)         # (Write, message)
    results: list = field(default_factory=list)
    write_seconds: float = 0.0                         # time the ERP writes took
    insurer: insurer_flow.InsurerReport | None = None  # None: no [insurer] in the config

    def summary(self) -> dict:
        summary = {"read": self.read, "customers": self.customers, "statuses": dict(self.statuses),
                   "decisions": dict(self.decisions), "planned": len(self.planned), "done": len(self.done),
                   "skipped": self.skipped, "unchanged": self.unchanged, "failed": len(self.failed)}
        if self.insurer is not None:
            summary["insurer"] = self.insurer.summary()
        return summary


def sync(config, *, full=False, progress=None) -> CycleReport:
    """Read the ERP and store the records (bookmarks move); no decisions, no writes."""
    session = connect(config.erp, memo=erp_memo(config), recall=not full)
    with _cycle_lock(config), Store(config.store_path) as store:
        try:
            changes = read_changes(session.reader, session.streams, store, full=full, progress=progress)
        finally:
            session.close()
        report = CycleReport(mode="full" if all(c.full for c in changes.values()) else "incremental",
                             as_of=dt.date.today(), read={name: c.read for name, c in changes.items()})
        with store.transaction():
            report.cycle_id = store.start_cycle("sync", as_of=report.as_of)
            save_changes(store, changes)
            report.customers = len(store.records("customers"))
            store.finish_cycle(report.cycle_id, "ok", report.summary())
        return report


def run_cycle(config, *, full=False, dry_run=False, progress=None, as_of=None, insurer=None,
              session=None, only=None, narrow=True) -> CycleReport:
    """Run one cycle against the configured ERP; returns what it did. `as_of` (default today) is the date the
    facts are computed for; `insurer` an InsurerClient to use instead of the one `[insurer]` configures;
    `session` an ErpSession kept open between cycles (the service's), else one is opened and closed here.

    `only` (a set of customer ids; the service's re-check after an ERP change) evaluates and writes just those
    customers and the ones whose records this read brought; the insurer is not called (the requests such a
    cycle makes are sent by the next scheduled one). With `narrow` (a change notice named its customers) the
    read is of just their records where the mappings allow (sync.read_changes); else every change is read."""
    policy = load_policy(config.policy_file)
    engine, warning = make_engine(config.engine, policy)
    if warning:
        log.warning(warning)
    client = insurer if insurer is not None or config.insurer is None else insurer_flow.make_client(config.insurer)
    own = session is None
    session = session or connect(config.erp, memo=erp_memo(config), recall=not full)
    try:
        with _cycle_lock(config), Store(config.store_path) as store:
            report = CycleReport(mode="full" if full else "incremental", dry_run=dry_run,
                                 as_of=as_of or dt.date.today())
            read_at = clock.naive().isoformat()
            changes, records = _read(store, session, report, full=full, progress=progress,
                                     customers=only if only is not None and narrow and not full else None)
            focus = None if only is None else focus_customers(store, changes, only)
            if focus is not None:
                report.mode = "re-check"
                records = _restricted(records, focus)
            step = None if config.insurer is None else insurer_flow.InsurerStep(
                config.insurer, store, as_of=report.as_of, client=client, dry_run=dry_run, talk=focus is None,
                terms=config.policy_terms, documents=getattr(session.reader, "documents", None))
            seen = step.before_evaluation(records) if step else records
            snapshot = _decide(config, policy, engine, seen, report)
            if step:
                step.after_evaluation(report.results, snapshot)
                _reevaluate(config, policy, engine, seen, step.overlay(records), report)
            flagged = session.writer.flagged()
            states = session.writer.hold_states(needs_state(report.results, flagged if focus is None
                                                            else flagged & focus))
            cycle_tag = f"cycle-{uuid.uuid4().hex[:12]}"
            plan = plan_writes(report.results, states, store.episodes(), today=report.as_of.isoformat(),
                               cycle=cycle_tag)
            if step:
                plan.writes = insurer_flow.note_only(plan.writes) + step.cover_writes(cycle_tag) + \
                    step.deadline_writes(cycle_tag)
                report.insurer = step.report
            plan_allowances(plan, report.results, store.allowances(), touched_customers(store, changes),
                            currency=snapshot.company.currency, as_of=read_at, cycle=cycle_tag)
            report.unchanged = plan.unchanged
            if dry_run:
                report.planned = [w for w in plan.writes if not store.is_done(w.key)]
                report.skipped = len(plan.writes) - len(report.planned)
                return report
            _record_plan(store, report, plan, focus)
            _write(store, session.writer, report)
            _finish(store, report, changes, records, states, session.writer.actor)
            return report
    finally:
        if own:
            session.close()


def focus_customers(store, changes, only) -> set[str]:
    """The customers a re-check evaluates: those named, those whose documents changed, and those whose own
    record changed (a credit limit edited in the ERP)."""
    changed = set()
    if "customers" in changes:
        customers = changes["customers"]
        stored = store.records_of_sources("customers", customers.mapped)
        changed = {r["id"] for source_id, records in customers.mapped.items()
                   if stored.get(str(source_id)) != records for r in records}
    return set(only) | touched_customers(store, changes) | changed


def _restricted(records, focus) -> dict:
    """The records of the focused customers and their documents; lookups (company, currencies ...) whole."""
    restricted = dict(records)
    restricted["customers"] = [c for c in records.get("customers", []) if c["id"] in focus]
    for name in ("invoices", "orders"):
        restricted[name] = [r for r in records.get(name, []) if r["customer_id"] in focus]
    return restricted


def _read(store, session, report, *, full, progress, customers=None):
    """Read the changes from the ERP (of `customers` only, where a stream allows: see read_changes); the
    merged records they give (nothing stored yet)."""
    changes = read_changes(session.reader, session.streams, store, full=full, progress=progress,
                           customers=customers)
    report.read = {name: c.read for name, c in changes.items()}
    if all(c.full for c in changes.values()):
        report.mode = "full"
    return changes, merged_records(store, changes)


def _decide(config, policy, engine, records, report):
    """Evaluate the policy over the snapshot of the records; the snapshot."""
    snapshot = build_snapshot(records, as_of=report.as_of,
                              policy_terms=config.policy_terms, country_risk=config.country_risk)
    report.results = list(evaluate(policy, snapshot, engine, report.as_of))
    _count(report)
    return snapshot


def _count(report) -> None:
    report.customers = len(report.results)
    report.statuses = Counter(r.status for r in report.results)
    report.decisions = Counter(d.action for r in report.results for d in r.decisions)


def _reevaluate(config, policy, engine, seen, now, report) -> None:
    """Evaluate again the customers whose insurer view (cover, declaration, claim) the insurer step changed in
    this cycle — `seen` is what the first evaluation saw, `now` the same records with the step's view of now —
    so that a decision or declaration acts in this cycle, not the next one. The cover requests the first
    evaluation made keep their note."""
    before = {c["id"]: c for c in seen.get("customers", [])}
    touched = {c["id"] for c in now.get("customers", []) if before.get(c["id"]) != c}
    if not touched:
        return
    snapshot = build_snapshot(_restricted(now, touched), as_of=report.as_of, policy_terms=config.policy_terms,
                              country_risk=config.country_risk)
    first = {r.customer_id: r for r in report.results}
    again = {r.customer_id: _with_requests(r, first[r.customer_id])
             for r in evaluate(policy, snapshot, engine, report.as_of)}
    report.results = [again.get(r.customer_id, r) for r in report.results]
    _count(report)


def _with_requests(result, first):
    """`result` with the request_limit decisions of the `first` evaluation, if it lost them."""
    keys = {d.key for d in result.decisions}
    missing = [d for d in first.decisions if d.action == Action.REQUEST_LIMIT and d.key not in keys]
    return dataclasses.replace(result, decisions=(*result.decisions, *missing)) if missing else result


def _record_plan(store, report, plan, focus=None) -> None:
    """Decisions, episodes and the outbox, in one transaction, before the first ERP write (a re-check's
    `focus`: only those customers' episodes and pending writes are replaced)."""
    with store.transaction():
        report.cycle_id = store.start_cycle(report.mode, as_of=report.as_of)
        store.add_decisions(report.cycle_id, [d for r in report.results for d in r.decisions])
        store.set_episodes(plan.episodes, customers=focus)
        store.supersede_pending(report.cycle_id, customers=focus)
        for write in plan.writes:
            if store.enqueue(report.cycle_id, write.key, write.customer_id, write.operation,
                             write.payload) == "done":
                report.skipped += 1
            else:
                report.planned.append(write)


BATCH = 200     # writes handed to a writer's apply_many at once


def _write(store, writer, report) -> None:
    """Apply the planned writes, a batch at a time where the writer can (apply_many: few ERP calls for many
    writes), else one by one; each batch's successes are recorded at once, in one transaction. Refused writes
    are collected and reported together; an unreachable ERP stops the cycle (it is retried as a whole, and what
    reached the ERP before is found there, not written twice)."""
    crash_after = _crash_after()
    many = getattr(writer, "apply_many", None)
    size = BATCH if many else 1
    count = 0
    while count < len(report.planned):
        end = count + size
        if crash_after and count < crash_after:
            end = min(end, crash_after)             # the drill crashes after exactly that many writes
        batch = report.planned[count:end]
        started = time.monotonic()
        try:
            outcomes = many(batch) if many else [apply_or_refusal(writer, batch[0])]
        except TransientError:
            with store.transaction():
                store.finish_cycle(report.cycle_id, "interrupted", report.summary())
            raise
        finally:
            report.write_seconds += time.monotonic() - started
        count += len(batch)
        if crash_after and count >= crash_after:
            log.error("fault injection: crashing after %d ERP writes", count)
            os._exit(CRASH_EXIT)
        for write, outcome in zip(batch, outcomes):
            if isinstance(outcome, ErpRefused):
                _record_refusal(store, report, write, outcome)
        with store.transaction():
            for write, outcome in zip(batch, outcomes):
                if isinstance(outcome, ErpRefused):
                    continue
                store.mark(write.key, "done", outcome.value)
                _record_hold(store, write, writer.actor, report.cycle_id)
                if write.operation is Operation.SET_ALLOWANCE:
                    store.set_allowance(write.customer_id, write.payload)
                report.done.append((write, outcome))
    if report.failed:
        _fail_refused(store, report)


def _crash_after() -> int | None:
    """Fault injection for drills: crash after this many ERP writes (CREDITGUARD_FAULT_CRASH_AFTER_WRITES)."""
    return int(os.environ.get(FAULT_ENV) or 0) or None


def _record_refusal(store, report, write, exc) -> None:
    log.error("write %s for customer %s refused: %s", write.operation.value, write.customer_id, exc)
    with store.transaction():
        store.mark(write.key, "failed", exc.render())
    report.failed.append((write, exc.render()))


def _fail_refused(store, report) -> None:
    with store.transaction():
        store.finish_cycle(report.cycle_id, "failed", report.summary())
    write, message = report.failed[0]
    raise ErpRefused(f"{len(report.failed)} of {len(report.planned)} ERP writes were refused; the first: "
                     f"{write.operation.value} for customer {write.customer_id} {write.customer_name!r}: {message}",
                     hint="the refused writes are retried by the next cycle; the bookmarks did not move")


def _finish(store, report, changes, records, states, actor) -> None:
    """Every write succeeded: store the records and move the bookmarks, last."""
    _note_written_holds(changes, records, report.done)
    with store.transaction():
        _reconcile_holds(store, report, states, actor)
        save_changes(store, changes)
        store.finish_cycle(report.cycle_id, "ok", report.summary())


def _note_written_holds(changes, records, done) -> None:
    """The stored customers say what the ERP says after this cycle's hold writes."""
    on_hold = {w.customer_id: w.operation.holds_after for w, _ in done if w.operation.is_hold_write}
    for customer in records.get("customers", []):
        if customer["id"] in on_hold:
            changes["customers"].mapped[customer["id"]] = [dict(customer, on_hold=on_hold[customer["id"]])]


def _record_hold(store, write, actor, cycle_id) -> None:
    operation = write.operation
    if not operation.is_hold_write:
        return
    store.audit(write.customer_id, operation.audit_event, name=write.customer_name, rules=write.rules or None,
                reason=write.reason or None, actor=actor, cycle_id=cycle_id)
    if operation.holds_after:
        store.set_hold(write.customer_id, name=write.customer_name, since=clock.iso(), rules=write.rules,
                       reason=write.reason, cycle_id=cycle_id)
    else:
        store.drop_hold(write.customer_id)


def _reconcile_holds(store, report, states, actor) -> None:
    """The holds table lists exactly the customers held now; fill in what an interrupted cycle missed."""
    held = {h["customer_id"]: h for h in store.holds()}
    for result in report.results:
        hold = result.hold
        if hold and result.customer_id not in held:
            state = states.get(result.customer_id)
            store.set_hold(result.customer_id, name=result.name, rules=hold.rules, reason=hold.reason,
                           cycle_id=report.cycle_id, since=state.since if state and state.since else clock.iso())
            store.audit(result.customer_id, "placed (found held in the ERP)", name=result.name, rules=hold.rules,
                        reason=hold.reason, actor=actor, cycle_id=report.cycle_id)
        elif not hold and result.customer_id in held and not result.facts["on_hold"]:
            store.drop_hold(result.customer_id)
            store.audit(result.customer_id, "released (found released in the ERP)", name=result.name,
                        actor=actor, cycle_id=report.cycle_id)



def erp_memo(config) -> Path:
    """The file beside the store where erp.connect keeps what the last checked session learnt of the ERP."""
    return config.store_path.with_name(config.store_path.name + ".erp.json")


@contextmanager
def _cycle_lock(config):
    """One cycle at a time per store."""
    path = config.store_path.with_name(config.store_path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "w")
    except OSError as exc:
        raise ConfigError(f"cannot create the store's lock file: {exc.strerror}", where=str(path),
                          hint="check [store] path in the config") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TransientError(f"another Credit Guard cycle is running on the store {config.store_path}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
