"""Receivables KPIs per company and per customer: DSO (two methods), ageing, lateness, concentration, WCR.

Every formula is defined once, here, and written out in docs/kpis.md. Amounts are whole cents in,
Decimal out; days and ratios are computed exactly and rounded once (figures.py). A figure the data
cannot support is None, with its reason under "not_computed"."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from creditguard.rules.analytics.books import BUCKETS, Book, month_end, month_index
from creditguard.rules.analytics.figures import days, money, quantile, ratio

TREND_MONTHS = 3
NO_HISTORY = ("the snapshot has no payment history: add each invoice's payments "
              "(snapshot contract 1.1, `creditguard snapshot` from Tryton writes them)")

__all__ = ["kpis", "concentration", "dso_trend", "quantile", "money", "TREND_MONTHS"]


def dso_standard(book: Book, period_days: int):
    """receivables / net credit sales of the period × period days; None without positive sales."""
    if book.period_sales <= 0:
        return None
    return days(book.receivable * period_days, book.period_sales)


def dso_count_back(book: Book, bounds: list[int]):
    """Count-back: take the receivables back through each whole month's sales, latest month first
    (month k = (bounds[k + 1], bounds[k]]), counting the month's days while they last and a pro-rata
    share of the month that exhausts them. Returns (days, complete): complete False when the look-back's
    whole months ran out before the receivables did (the days are then a lower bound)."""
    left, total = book.receivable, Fraction(0)
    if left <= 0:
        return days(0), True
    for k, sales in enumerate(book.monthly_sales):
        month_days = bounds[k] - bounds[k + 1]
        if sales > 0 and left <= sales:
            return days(total + Fraction(month_days * left, sales)), True
        left -= max(0, sales)
        total += month_days
    return days(total), False


def best_possible_dso(book: Book, period_days: int):
    """Current (not yet due) receivables / net credit sales of the period × period days."""
    if book.period_sales <= 0:
        return None
    return days(book.ageing[0] * period_days, book.period_sales)


def overdue_share(book: Book):
    """Overdue open invoices' residual / all open invoices' residual; None without open invoices."""
    gross = sum(book.ageing)
    return ratio(gross - book.ageing[0], gross) if gross > 0 else None


def days_late(book: Book) -> dict:
    """Average and 90th percentile (nearest rank) of max(0, settlement - due) over settled invoices."""
    late = [max(0, d) for d in book.lateness]
    return {"settled_invoices": len(late), "written_off": book.written_off,
            "avg_days_late": days(sum(late), len(late)) if late else None,
            "p90_days_late": quantile(late, 0.9),
            "paid_late_share": ratio(sum(1 for d in late if d > 0), len(late)) if late else None}


def book_kpis(book: Book, books) -> dict:
    period = books.period_days
    count_back, complete = dso_count_back(book, books.bounds)
    figures = {
        "open_receivables": money(book.receivable),
        "ageing": {name: money(cents) for name, cents in zip(BUCKETS, book.ageing)},
        "unapplied_credit_notes": money(book.open_credits),
        "disputed": money(book.disputed),
        "overdue_share": overdue_share(book),
        "sales_in_period": money(book.period_sales),
        "dso_standard": dso_standard(book, period),
        "dso_count_back": count_back,
        "dso_count_back_complete": complete,
        "best_possible_dso": best_possible_dso(book, period),
        **days_late(book),
    }
    figures["not_computed"] = reasons(figures, books)
    return figures


def reasons(figures: dict, books) -> dict:
    """Why each figure that is None (or only a bound) could not be computed, and what would let it."""
    why = {}
    if figures["dso_standard"] is None:
        why["dso_standard"] = why["best_possible_dso"] = (
            f"no net credit sales in the {books.period_days} days to as_of (only credit notes, or none)")
    if not figures["dso_count_back_complete"]:
        why["dso_count_back"] = (f"the look-back's {books.months} whole months do not cover the receivables: "
                                 f"{figures['dso_count_back']} days is a lower bound; widen --lookback")
    if figures["overdue_share"] is None:
        why["overdue_share"] = "nothing open at as_of"
    if figures["avg_days_late"] is None:
        text = (NO_HISTORY if not books.with_history else
                f"no invoice settled by payments in the {books.lookback_days}-day look-back")
        for name in ("avg_days_late", "p90_days_late", "paid_late_share"):
            why[name] = text
    return why


def concentration(books, top: int = 10) -> dict:
    """Top customers' share of the positive open receivables, and exposure per country risk grade."""
    owed = sorted((max(0, f["open_receivables"]) for f in books.facts), reverse=True)
    total = sum(owed)
    by_grade: dict = {}
    for facts in books.facts:
        grade = facts["country_risk"]
        key = "unknown" if grade is None else str(grade)
        by_grade[key] = by_grade.get(key, Decimal(0)) + facts["exposure"]
    return {"top_customers": top, "top_share": ratio(Fraction(sum(owed[:top])), Fraction(total)) if total > 0 else None,
            "exposure_by_country_grade": dict(sorted(by_grade.items()))}


def wcr(books, receivable_cents: int) -> dict:
    """trade receivables + inventory - trade payables, when the snapshot has both totals."""
    company = books.header.company
    missing = [name for name in ("inventory_value", "trade_payables") if getattr(company, name) is None]
    if missing:
        return {"wcr": None, "missing": missing,
                "reason": "the snapshot has no " + " and no ".join(missing) + " (company totals, contract 1.1)"}
    receivables = money(receivable_cents)
    return {"wcr": receivables + company.inventory_value - company.trade_payables, "missing": [],
            "trade_receivables": receivables, "inventory_value": company.inventory_value,
            "trade_payables": company.trade_payables}


def dso_trend(books, months: int = TREND_MONTHS) -> dict:
    """At each calendar month-end B on or before as_of: receivables at B / net sales of the `months`
    calendar months ending at B × the days of those months. A point needs those months inside the
    look-back window and on or after the month of the snapshot's earliest invoice; a month-end in both
    whose window is not is left out (listed under "partial"), never scaled. A point depends on B and the history
    only: the same whatever as_of it is computed from."""
    if not books.with_history:
        return {"points": [], "partial": [], "reason": NO_HISTORY + " to rebuild past receivables"}
    as_of = books.as_of
    latest = month_index(as_of) - (0 if (as_of + dt.timedelta(days=1)).day == 1 else 1)
    floor = as_of.toordinal() - books.lookback_days       # the window is (floor, as_of]
    first = month_index(dt.date.fromordinal(books.first_issued))
    points, partial = [], []
    month = latest
    while month_end(month).toordinal() > floor and month >= first:
        start = month - months + 1                          # first month of the point's window
        opens = month_end(start - 1).toordinal() + 1        # its first day
        end = month_end(month)
        if opens <= floor or start < first:
            why = (f"its {months} months start {dt.date.fromordinal(opens)}, before the look-back window"
                   if opens <= floor else
                   f"its {months} months start {dt.date.fromordinal(opens)}, before the history does "
                   f"(earliest invoice {dt.date.fromordinal(books.first_issued)})")
            partial.append({"date": end, "reason": why})
        else:
            sales = sum(books.month_sales.get(m, 0) for m in range(start, month + 1))
            receivable = books.receivable_at_month_end(month)
            span = end.toordinal() - opens + 1
            points.append({"date": end, "receivables": money(receivable),
                           "dso": days(receivable * span, sales) if sales > 0 else None,
                           **({} if sales > 0 else {"reason": f"no net sales in the {months} months"})})
        month -= 1
    reason = None if points else (
        f"no month-end has {months} whole months of history inside the look-back window")
    return {"points": points, "partial": partial, "reason": reason}


def kpis(books) -> dict:
    """The company's KPIs and each customer's, as plain values (Decimals for money)."""
    company = books.company()
    figures = {**book_kpis(company, books), **concentration(books)}
    if figures["top_share"] is None:
        figures["not_computed"]["top_share"] = "no customer owes anything at as_of"
    return {
        "as_of": books.as_of, "currency": books.header.company.currency,
        "period_days": books.period_days, "lookback_days": books.lookback_days,
        "company": {**figures, "working_capital": wcr(books, company.receivable), "dso_trend": dso_trend(books)},
        "customers": [{"customer_id": c.id, "name": c.name, **book_kpis(b, books)}
                      for c, b in zip(books.customers, books.books)],
    }
