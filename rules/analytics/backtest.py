"""Replay a snapshot's history date by date under one or more policies: who each would have held, for
how long, which sales it would have stopped and how those sales actually ended. No I/O.

The replay is incremental: the history becomes one sorted list of events (invoice issued, invoice
falls due, payment), each moving its customer's running totals; at each replay date only the
customers an event touched, those with something overdue (their days overdue grow) and those whose
cover lapsed are evaluated again. What the history does not carry is taken as it is in the snapshot
(covers, countries, terms) or left out (orders: nothing to invoice)."""
from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field

from creditguard.mappings.money import round_cent, sign as sign_of, to_cents
from creditguard.mappings.vocab import Action
from creditguard.rules.evaluate import numeric_view, with_defaults
from creditguard.rules.facts import Ledger, customer_facts

from creditguard.rules.analytics.figures import days as days_figure
from creditguard.rules.analytics.figures import money

ISSUE, DUE, PAY, COVER = range(4)       # same-day order: an invoice exists before it falls due or is paid


@dataclass(kw_only=True)
class PolicyRun:
    """One policy's replay: holds as they start and end, and the invoices issued while held."""
    policy: object
    engine: object
    hold_rules: frozenset
    held: dict = field(default_factory=dict)        # customer index -> date the hold began
    spells: list = field(default_factory=list)      # (customer index, start, end)
    stopped: list = field(default_factory=list)     # invoice indexes issued while the customer was held
    held_per_date: list = field(default_factory=list)

    def holds(self, facts) -> bool:
        fired = self.engine.fired(numeric_view(with_defaults(facts, self.policy.defaults)))
        return any(i in self.hold_rules for i in fired)


def policy_run(policy, engine) -> PolicyRun:
    """A replay of `policy`: a customer is held when a rule with a hold action fires (DESIGN.md §6)."""
    holding = frozenset(i for i, rule in enumerate(policy.rules) if any(a.kind == Action.HOLD for a in rule.actions))
    return PolicyRun(policy=policy, engine=engine, hold_rules=holding)


def replay_dates(start: dt.date, end: dt.date, every_days: int) -> list[dt.date]:
    dates, day = [], start
    while day <= end:
        dates.append(day)
        day += dt.timedelta(days=every_days)
    return dates


def backtest(source, runs: list[PolicyRun], dates: list[dt.date]) -> dict:
    header, customers = source.header, source.customers
    ledger = Ledger(header, customers)
    index, cents = ledger.index, ledger.cents_rate
    invoices, events = [], []
    for inv in source.iter_invoices():
        if inv.state != "posted" or inv.invoice_date is None:
            continue
        n, rate = len(invoices), cents[inv.currency]
        sign = sign_of(inv.kind)
        # amounts as their size, `sign` says which way they count: a credit note written negative is no refund
        residual, total = to_cents(inv.amount_residual, rate), to_cents(inv.amount_total, rate)
        if sign < 0:
            residual, total = abs(residual), abs(total)
        if inv.payments is None:            # no history: its residual as of the invoice date
            start = residual
        else:
            start = total
            for p in inv.payments:
                events.append((p.date.toordinal(), PAY, n, to_cents(p.amount, rate)))
        issued, due = inv.invoice_date.toordinal(), (inv.due_date or inv.invoice_date).toordinal()
        # the outcome, not the record: a million validated records would double the peak memory
        invoices.append((index[inv.customer_id], sign, start, due, inv.disputed, outcome(inv) if sign > 0 else None,
                         total))
        events.append((issued, ISSUE, n, 0))
        if sign > 0 and not inv.disputed:
            events.append((max(due + 1, issued), DUE, n, 0))
    for i, customer in enumerate(customers):
        cover = customer.insurer_cover
        if cover is not None and cover.valid_until is not None:
            events.append((cover.valid_until.toordinal() + 1, COVER, i, 0))
    events.sort()

    open_, overdue = [0] * len(customers), [0] * len(customers)
    residual, is_overdue = [0] * len(invoices), [False] * len(invoices)
    oldest: list = [[] for _ in customers]          # heap of (due, invoice) of overdue invoices
    rates = dict(header.fx_rates)
    rates[header.company.currency] = None
    pt = header.policy_terms
    notification = pt.overdue_notification_days if pt else None
    discretionary = round_cent(pt.discretionary_limit) if pt else None
    terms = [c.payment_term_days or 0 for c in customers]
    dirty, late = set(range(len(customers))), set()
    k = 0
    for when in dates:
        today = when.toordinal()
        while k < len(events) and events[k][0] <= today:
            day, kind, n, amount = events[k]
            k += 1
            if kind == COVER:
                dirty.add(n)
                continue
            c, sign = invoices[n][0], invoices[n][1]
            dirty.add(c)
            if kind == ISSUE:
                residual[n] = invoices[n][2]
                open_[c] += sign * residual[n]
                for run in runs:
                    if sign > 0 and c in run.held:
                        run.stopped.append(n)
            elif kind == DUE:
                if residual[n] > 0:
                    is_overdue[n] = True
                    overdue[c] += residual[n]
                    heapq.heappush(oldest[c], (invoices[n][3], n))
                    late.add(c)
            else:
                residual[n] -= amount
                open_[c] -= sign * amount
                if is_overdue[n]:
                    overdue[c] -= amount
        for c in dirty | late:
            heap = oldest[c]
            while heap and residual[heap[0][1]] <= 0:
                heapq.heappop(heap)
            if not heap:
                late.discard(c)
            first = dt.date.fromordinal(heap[0][0]) if heap else None
            facts = customer_facts(header, customers[c], when, rates, money(open_[c]), money(overdue[c]), first,
                                   money(0), terms[c], notification, discretionary)
            for run in runs:
                held = run.holds(facts)
                if held and c not in run.held:
                    run.held[c] = when
                elif not held and c in run.held:
                    run.spells.append((c, run.held.pop(c), when))
        dirty = set()
        for run in runs:
            run.held_per_date.append(len(run.held))
    end = dates[-1] if dates else header.as_of
    for run in runs:
        run.spells += [(c, start, end) for c, start in run.held.items()]
    return {"as_of": header.as_of, "currency": header.company.currency,
            "from": dates[0] if dates else None, "to": end, "dates": dates,
            "policies": [summary(run, invoices, dates) for run in runs]}


def outcome(inv) -> tuple[str, int | None]:
    """How an invoice ended, as the snapshot's history tells: unpaid, written off, paid on time or late."""
    if inv.amount_residual > 0:
        return "unpaid", None
    if not inv.payments:
        return "paid, date unknown", None
    if any(p.kind == "write_off" for p in inv.payments):
        return "written off", None
    late = (max(p.date for p in inv.payments) - (inv.due_date or inv.invoice_date)).days
    return ("paid late", late) if late > 0 else ("paid on time", None)


OUTCOMES = ("paid on time", "paid late", "unpaid", "written off", "paid, date unknown")


def summary(run: PolicyRun, invoices, dates) -> dict:
    days = [(end - start).days for _, start, end in run.spells]
    customers = {c for c, _, _ in run.spells}
    ended = {name: {"invoices": 0, "amount": 0} for name in OUTCOMES}
    late_days = []
    for n in run.stopped:
        name, late = invoices[n][5]
        ended[name]["invoices"] += 1
        ended[name]["amount"] += invoices[n][6]
        if late is not None:
            late_days.append(late)
    for item in ended.values():
        item["amount"] = money(item["amount"])
    avoided = ended["unpaid"]["amount"] + ended["written off"]["amount"]
    return {"policy": run.policy.name, "version": run.policy.version, "source": str(run.policy.source),
            "customers_held": len(customers), "holds": len(run.spells), "hold_days": sum(days),
            "avg_hold_days": days_figure(sum(days), len(days)) if days else None,
            "stopped_invoices": len(run.stopped), "stopped_amount": money(sum(invoices[n][6] for n in run.stopped)),
            "outcomes": ended, "avg_days_late_of_late": days_figure(sum(late_days), len(late_days)) if late_days else None,
            "losses_avoided": avoided, "good_sales_blocked": ended["paid on time"]["amount"],
            "held_per_date": [{"date": d, "held": h} for d, h in zip(dates, run.held_per_date)]}
