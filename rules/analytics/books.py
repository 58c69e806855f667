"""One pass over a snapshot's invoices into each customer's book, the raw material of every KPI. No I/O.

Amounts are whole cents of company currency, converted per document as rules.facts.Ledger does;
the same pass feeds the Ledger, so the §5 facts (exposure, cover in force) come with the books."""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP

from rules.facts import Ledger

LOOKBACK_DAYS = 400          # settled invoices and sales this far back feed the KPIs
DSO_PERIOD_DAYS = 90         # the standard DSO's period
BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")
BATCH = 20_000


@dataclass
class Book:
    """One customer's (or the company's) receivables, sales and payment behaviour, in cents."""
    receivable: int = 0            # posted invoices' residual, credit notes negative (= open_receivables)
    ageing: list = field(default_factory=lambda: [0] * len(BUCKETS))   # open invoices' residual by lateness
    open_credits: int = 0          # residual of posted credit notes not yet applied (positive)
    disputed: int = 0              # residual of open disputed invoices
    period_sales: int = 0          # invoices - credit notes issued in the DSO period
    monthly_sales: list = field(default_factory=list)   # the same per month back from as_of, latest first
    lateness: list = field(default_factory=list)        # days from due date to settlement, settled invoices
    written_off: int = 0           # settled invoices closed (at least partly) by a write-off
    open_items: list = field(default_factory=list)      # (due ordinal, residual cents, disputed) open invoices

    def add(self, other: "Book") -> None:
        self.receivable += other.receivable
        self.ageing = [a + b for a, b in zip(self.ageing, other.ageing)]
        self.open_credits += other.open_credits
        self.disputed += other.disputed
        self.period_sales += other.period_sales
        if len(other.monthly_sales) > len(self.monthly_sales):
            self.monthly_sales += [0] * (len(other.monthly_sales) - len(self.monthly_sales))
        for k, amount in enumerate(other.monthly_sales):
            self.monthly_sales[k] += amount
        self.lateness += other.lateness
        self.written_off += other.written_off


def months_back(as_of: dt.date, window_days: int) -> list[int]:
    """Ordinals of as_of, as_of - 1 month, - 2 months ... down past the window: month k is
    (bounds[k + 1], bounds[k]]. A day missing in a shorter month becomes its last day."""
    bounds, k = [as_of.toordinal()], 0
    floor = as_of.toordinal() - window_days
    while bounds[-1] > floor:
        k += 1
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - k, 12)
        month += 1
        day = as_of.day
        while True:
            try:
                bounds.append(dt.date(year, month, day).toordinal())
                break
            except ValueError:
                day -= 1
    return bounds


class Books:
    """Every customer's Book and §5 facts, folded from one read of the snapshot."""

    def __init__(self, source, lookback_days: int = LOOKBACK_DAYS, period_days: int = DSO_PERIOD_DAYS):
        self.header = source.header
        self.customers = source.customers
        self.as_of = source.header.as_of
        self.lookback_days, self.period_days = lookback_days, period_days
        self.ledger = Ledger(source.header, source.customers)
        self.bounds = months_back(self.as_of, lookback_days)
        self._desc = [-b for b in self.bounds]       # ascending, for bisect
        self.books = [Book(monthly_sales=[0] * (len(self.bounds) - 1)) for _ in source.customers]
        self._receivable_steps = [0] * (len(self.bounds) + 1)   # see receivable_at()
        batch = []
        for invoice in source.iter_invoices():       # every record validated before anything is returned
            batch.append(invoice)
            if len(batch) == BATCH:
                self._fold(batch)
                batch = []
        self._fold(batch)
        self.ledger.absorb(self.ledger.fold_orders(source.iter_orders()))
        self.facts = self.ledger.facts()

    def receivable_at(self) -> list[int]:
        """The company's receivables at each month bound (as_of first), from the history: an invoice
        counts from its invoice date, less each payment from the payment's date; an invoice without
        history counts its residual from its invoice date."""
        result, running = [], 0
        for step in reversed(self._receivable_steps[1:]):
            running += step
            result.append(running)
        return result[::-1]

    def _step(self, day: int, cents: int) -> None:
        """`cents` counts at every month bound on or after `day`."""
        self._receivable_steps[bisect.bisect_right(self._desc, -day)] += cents

    def company(self) -> Book:
        total = Book(monthly_sales=[0] * (len(self.bounds) - 1))
        for book in self.books:
            total.add(book)
        return total

    def _fold(self, invoices) -> None:
        ledger = self.ledger
        ledger.absorb(ledger.fold_invoices(invoices))
        index, rates, books = ledger.index, ledger.cents_rate, self.books
        as_of = self.as_of.toordinal()
        period_start = as_of - self.period_days
        window_start = as_of - self.lookback_days
        for inv in invoices:
            if inv.state != "posted":
                continue
            book = books[index[inv.customer_id]]
            rate = rates[inv.currency]
            residual = int((inv.amount_residual * rate).to_integral_value(ROUND_HALF_UP))
            issued = inv.invoice_date.toordinal() if inv.invoice_date else None
            sign = -1 if inv.kind == "credit_note" else 1
            if issued is not None and window_start < issued <= as_of:
                total = sign * int((inv.amount_total * rate).to_integral_value(ROUND_HALF_UP))
                if issued > period_start:
                    book.period_sales += total
                k = bisect.bisect_left(self._desc, -issued) - 1
                if 0 <= k < len(book.monthly_sales):
                    book.monthly_sales[k] += total
            if issued is not None:
                if inv.payments is None:
                    self._step(issued, sign * residual)
                else:
                    self._step(issued, sign * int((inv.amount_total * rate).to_integral_value(ROUND_HALF_UP)))
                    for p in inv.payments:
                        self._step(p.date.toordinal(),
                                   -sign * int((p.amount * rate).to_integral_value(ROUND_HALF_UP)))
            if sign < 0:
                book.receivable -= abs(residual)
                book.open_credits += abs(residual)
                continue
            book.receivable += residual
            due = (inv.due_date or inv.invoice_date).toordinal()
            if residual > 0:
                late = as_of - due
                bucket = 0 if late <= 0 else 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4
                book.ageing[bucket] += residual
                book.open_items.append((due, residual, inv.disputed))
                if inv.disputed:
                    book.disputed += residual
            elif inv.payments:
                closed = max(p.date for p in inv.payments).toordinal()
                if closed > window_start:
                    if any(p.kind == "write_off" for p in inv.payments):
                        book.written_off += 1
                    else:
                        book.lateness.append(closed - due)
