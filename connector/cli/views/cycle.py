"""Show people what a sync or a cycle did, the current holds, and progress on long reads."""
from __future__ import annotations

import sys

from creditguard.connector.cli.views import insurer, terminal
from creditguard.mappings.vocab import Outcome


def write_sync(report, out) -> None:
    read = ", ".join(f"{name} {count:,}" for name, count in report.read.items())
    out.write(f"Sync {report.cycle_id} ({report.mode}): read {read}\n")
    out.write(f"{terminal.count(report.customers, 'customer')} in the store\n")


def write_cycle(report, out) -> None:
    """What a `run` cycle read, decided and wrote; a dry run words its writes as a real run would."""
    title = "Dry run" if report.dry_run else f"Cycle {report.cycle_id}"
    out.write(f"{title} ({report.mode}) as of {report.as_of.isoformat()}\n")
    out.write("  read:      " + ", ".join(f"{name} {count:,}" for name, count in report.read.items()) + "\n")
    s = report.statuses
    out.write(f"  customers: {report.customers:,} evaluated: {s.get('hold', 0):,} on hold, {s.get('flag', 0):,} "
              f"flagged, {s.get('ok', 0):,} ok\n")
    decisions = ", ".join(f"{action} {n:,}" for action, n in sorted(report.decisions.items())) or "none"
    out.write(f"  decisions: {sum(report.decisions.values()):,} ({decisions})\n")
    if report.dry_run:
        out.write(f"  writes:    {len(report.planned):,} planned, nothing written (dry run); "
                  f"{report.skipped:,} already done, {report.unchanged:,} already in the ERP\n")
        for write in report.planned:
            out.write(f"    {write.operation.would} {_who(write)}{_rules(write)}: {terminal.clean(write.reason)}\n")
        return
    written = [(w, o) for w, o in report.done if o is Outcome.WRITTEN]
    found = len(report.done) - len(written)
    out.write(f"  writes:    {len(written):,} done, {report.skipped + found:,} skipped (already done), "
              f"{report.unchanged:,} unchanged (already in the ERP), {len(report.failed):,} failed\n")
    for write, outcome in report.done:
        detail = f": {terminal.clean(write.reason)}" if write.reason else ""
        suffix = "" if outcome is Outcome.WRITTEN else f" ({outcome.value})"
        out.write(f"    {write.operation.done}{suffix} for {_who(write)}{_rules(write)}{detail}\n")
    if report.insurer is not None:
        insurer.write_cycle_insurer(report.insurer, out)


def _rules(write) -> str:
    return f" [{write.rules}]" if write.rules else ""


def _who(write) -> str:
    return terminal.clean(f"{write.customer_id} {write.customer_name}")


def write_holds(holds, on_hold_elsewhere, out) -> None:
    """The holds Credit Guard placed, with their reasons; then parties held in the ERP by someone else."""
    if not holds:
        out.write("No customer is on hold by Credit Guard.\n")
    for hold in holds:
        out.write(f"{terminal.clean(hold['customer_id'])} {terminal.clean(hold['customer_name'])}: on hold since "
                  f"{hold['since']} [{hold['rules']}]\n    {terminal.clean(hold['reason'])}\n")
    for customer in on_hold_elsewhere:
        out.write(f"{terminal.clean(customer['id'])} {terminal.clean(customer['name'])}: on hold in the ERP "
                  f"(not placed by Credit Guard)\n")
    out.write(f"{terminal.count(len(holds), 'hold')} by Credit Guard\n")


class Progress:
    """`progress(stream, records_read)` for sync: a one-line counter on stderr, only in a terminal."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.current = None

    def __call__(self, name, count):
        if not self.enabled:
            return
        if self.current and self.current != name:
            self.stream.write("\n")
        self.current = name
        self.stream.write(f"\r  reading {name}: {count} records")
        self.stream.flush()

    def done(self):
        if self.enabled and self.current:
            self.stream.write("\n")
            self.stream.flush()
        self.current = None
