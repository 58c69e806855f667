"""One pass over a snapshot's invoices into each customer's book, the raw material of every KPI. No I/O.

Amounts are whole cents of company currency, converted per document as rules.facts.Ledger does;
the same pass feeds the Ledger, so the §5 facts (exposure, cover in force) come with the books."""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from creditguard.mappings.money import sign as sign_of, signed, to_cents
from creditguard.rules.facts import Ledger

LOOKBACK_DAYS = 400          # settled invoices and sales this far back feed the KPIs
DSO_PERIOD_DAYS = 90         # the standard DSO's period
BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")
BATCH = 20_000


@dataclass(kw_only=True)
class Book:
    """One customer's (or the company's) receivables, sales and payment behaviour, in cents."""
    receivable: int = 0            # posted invoices' residual, credit notes negative (= open_receivables)
    ageing: list = field(default_factory=lambda: [0] * len(BUCKETS))   # open invoices' residual by lateness
    open_credits: int = 0          # residual of posted credit notes not yet applied (positive)
    disputed: int = 0              # residual of open disputed invoices
    period_sales: int = 0          # invoices - credit notes issued in the DSO period
    monthly_sales: list = field(default_factory=list)   # the same per whole month back from as_of, latest first
    lateness: list = field(default_factory=list)        # days from due date to settlement, settled invoices
    # Books(keep_history=...): (issued ordinal, due ordinal, amount_total cents, disputed,
    # ((day, cents, is cash), ...), residual cents) of each invoice with payment history: "window" keeps
    # those open at as_of or settled in the look-back, "all" every one
    history: list = field(default_factory=list)
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


def month_index(day: dt.date) -> int:
    """Calendar months counted from year 0: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_end(index: int) -> dt.date:
    """The last day of the calendar month `index` (see month_index)."""
    year, month = divmod(index + 1, 12)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


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
    """Every customer's Book and §5 facts. Read a source with Books.read(); or fold pieces of invoices
    anywhere (a forked process: fold(), then share()) and absorb() the shares, then finish()."""

    def __init__(self, header, customers, lookback_days: int = LOOKBACK_DAYS, period_days: int = DSO_PERIOD_DAYS,
                 keep_history: str | None = None):
        self.header = header
        self.customers = customers
        self.as_of = header.as_of
        self.lookback_days, self.period_days = lookback_days, period_days
        self.keep_history = keep_history
        self.ledger = Ledger(header, customers)
        self.bounds = months_back(self.as_of, lookback_days)
        # the count-back's whole months: month k = (bounds[k + 1], bounds[k]] inside the look-back window
        floor = self.as_of.toordinal() - lookback_days
        self.months = sum(1 for b in self.bounds[1:] if b >= floor)
        self._desc = [-b for b in self.bounds]       # ascending, for bisect
        self.books = [Book(monthly_sales=[0] * self.months) for _ in customers]
        # the company per calendar month (month_index): net sales, and what its receivables moved by
        self.month_sales: dict[int, int] = {}
        self.month_moves: dict[int, int] = {}
        self.first_issued: int | None = None         # ordinal of the earliest posted invoice's date
        self.with_history = 0                        # posted documents that carry their payments
        self.facts: list = []

    @classmethod
    def read(cls, source, lookback_days: int = LOOKBACK_DAYS, period_days: int = DSO_PERIOD_DAYS,
             keep_history: str | None = None) -> "Books":
        """Fold a whole Snapshot or SnapshotSource; every record is validated before anything is returned."""
        books = cls(source.header, source.customers, lookback_days, period_days, keep_history)
        books.fold(source.iter_invoices())
        books.finish(source.iter_orders())
        return books

    def fold(self, invoices) -> None:
        batch = []
        for invoice in invoices:
            batch.append(invoice)
            if len(batch) == BATCH:
                self._fold(batch)
                batch = []
        self._fold(batch)

    def share(self):
        """What this copy folded, for absorb() in another copy (the same customers, nothing folded yet)."""
        return (dict(enumerate(self.ledger.totals)), self.books,
                (self.month_sales, self.month_moves, self.first_issued, self.with_history))

    def absorb(self, share) -> None:
        ledger_totals, books, (sales, moves, first, with_history) = share
        self.ledger.absorb(ledger_totals)
        for mine, theirs in zip(self.books, books):
            mine.add(theirs)
            mine.open_items += theirs.open_items
            mine.history += theirs.history
        for mine, theirs in ((self.month_sales, sales), (self.month_moves, moves)):
            for month, amount in theirs.items():
                mine[month] = mine.get(month, 0) + amount
        if first is not None and (self.first_issued is None or first < self.first_issued):
            self.first_issued = first
        self.with_history += with_history

    def finish(self, orders) -> None:
        """Fold the orders and compute the §5 facts: the books are complete."""
        self.ledger.absorb(self.ledger.fold_orders(orders))
        self.facts = self.ledger.facts()

    def receivable_at_month_end(self, month: int) -> int:
        """The company's receivables at the end of calendar month `month`, from the history: an invoice
        counts its amount_total from its invoice date, less each payment from the payment's date; one
        without history counts its residual from its invoice date; credit notes negative."""
        return sum(amount for m, amount in self.month_moves.items() if m <= month)

    def company(self) -> Book:
        total = Book(monthly_sales=[0] * self.months)
        for book in self.books:
            total.add(book)
        return total

    def _fold(self, invoices) -> None:
        ledger = self.ledger
        ledger.absorb(ledger.fold_invoices(invoices))
        index, rates, books = ledger.index, ledger.cents_rate, self.books
        desc = self._desc
        sales_of, moves = self.month_sales, self.month_moves
        keep = self.keep_history
        as_of = self.as_of.toordinal()
        period_start = as_of - self.period_days
        window_start = as_of - self.lookback_days
        months = self.months
        for inv in invoices:
            if inv.state != "posted":
                continue
            book = books[index[inv.customer_id]]
            rate = rates[inv.currency]
            residual = to_cents(inv.amount_residual, rate)
            sign = sign_of(inv.kind)
            payments = inv.payments
            closed, written_off = 0, False
            events = None
            if inv.invoice_date is not None:
                issued = inv.invoice_date.toordinal()
                if self.first_issued is None or issued < self.first_issued:
                    self.first_issued = issued
                month = month_index(inv.invoice_date)
                total = signed(inv.kind, to_cents(inv.amount_total, rate))
                sales_of[month] = sales_of.get(month, 0) + total
                if payments is None:
                    moves[month] = moves.get(month, 0) + signed(inv.kind, residual)
                else:
                    self.with_history += 1
                    moves[month] = moves.get(month, 0) + total
                    events = [] if keep else None
                    for p in payments:
                        day = p.date.toordinal()
                        cents = to_cents(p.amount, rate)
                        paid_month = month_index(p.date)
                        moves[paid_month] = moves.get(paid_month, 0) - sign * cents
                        if keep:
                            events.append((day, cents, p.kind == "payment"))
                        if day > closed:
                            closed = day
                        if p.kind == "write_off":
                            written_off = True
                if window_start < issued <= as_of:
                    if issued > period_start:
                        book.period_sales += total
                    k = bisect.bisect_right(desc, -issued) - 1      # bounds[k + 1] < issued <= bounds[k]
                    if 0 <= k < months:
                        book.monthly_sales[k] += total
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
            if keep and events is not None and (keep == "all" or residual > 0 or closed > window_start):
                book.history.append((issued, due, total, inv.disputed, tuple(events), residual))
            if residual <= 0 and closed > window_start:
                if written_off:
                    book.written_off += 1
                else:
                    book.lateness.append(closed - due)
