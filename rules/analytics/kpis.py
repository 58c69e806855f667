"""Receivables KPIs per company and per customer: DSO (two methods), ageing, lateness, concentration, WCR.

Every formula is written out in the README ("Receivables analytics"). Amounts in cents in, Decimal out."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from .books import BUCKETS, Book


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def quantile(values, p: float):
    """Nearest-rank quantile: the smallest value with at least p of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else None


def dso_standard(book: Book, period_days: int):
    """receivables / net credit sales of the period × period days; None without positive sales."""
    if book.period_sales <= 0:
        return None
    return round(book.receivable * period_days / book.period_sales, 1)


def dso_count_back(book: Book, bounds: list[int]):
    """Count-back: take the receivables back through each month's sales, latest month first, counting
    the month's days while they last and a pro-rata share of the month that exhausts them.
    Returns (days, exhausted): exhausted False when the look-back ran out before the receivables did."""
    left, days = book.receivable, 0.0
    if left <= 0:
        return 0.0, True
    for k, sales in enumerate(book.monthly_sales):
        month_days = bounds[k] - bounds[k + 1]
        if sales > 0 and left <= sales:
            return round(days + month_days * left / sales, 1), True
        left -= max(0, sales)
        days += month_days
    return round(days, 1), False


def best_possible_dso(book: Book, period_days: int):
    """Current (not yet due) receivables / net credit sales of the period × period days."""
    if book.period_sales <= 0:
        return None
    return round(book.ageing[0] * period_days / book.period_sales, 1)


def overdue_share(book: Book):
    """Overdue open invoices' residual / all open invoices' residual; None without open invoices."""
    gross = sum(book.ageing)
    return round((gross - book.ageing[0]) / gross, 4) if gross > 0 else None


def days_late(book: Book) -> dict:
    """Average and 90th percentile (nearest rank) of max(0, settlement - due) over settled invoices."""
    late = [max(0, d) for d in book.lateness]
    return {"settled_invoices": len(late), "written_off": book.written_off,
            "avg_days_late": round(sum(late) / len(late), 1) if late else None,
            "p90_days_late": quantile(late, 0.9),
            "paid_late_share": round(sum(1 for d in late if d > 0) / len(late), 4) if late else None}


def book_kpis(book: Book, bounds, period_days) -> dict:
    count_back, exhausted = dso_count_back(book, bounds)
    return {
        "open_receivables": money(book.receivable),
        "ageing": {name: money(cents) for name, cents in zip(BUCKETS, book.ageing)},
        "unapplied_credit_notes": money(book.open_credits),
        "disputed": money(book.disputed),
        "overdue_share": overdue_share(book),
        "sales_in_period": money(book.period_sales),
        "dso_standard": dso_standard(book, period_days),
        "dso_count_back": count_back,
        "dso_count_back_complete": exhausted,
        "best_possible_dso": best_possible_dso(book, period_days),
        **days_late(book),
    }


def concentration(books, top: int = 10) -> dict:
    """Top customers' share of the positive open receivables, and exposure per country risk grade."""
    owed = sorted((max(0, f["open_receivables"]) for f in books.facts), reverse=True)
    total = sum(owed)
    by_grade: dict = {}
    for facts in books.facts:
        grade = facts["country_risk"]
        key = "unknown" if grade is None else str(grade)
        by_grade[key] = by_grade.get(key, Decimal(0)) + facts["exposure"]
    return {"top_customers": top, "top_share": round(float(sum(owed[:top]) / total), 4) if total > 0 else None,
            "exposure_by_country_grade": dict(sorted(by_grade.items()))}


def wcr(books, receivable_cents: int) -> dict:
    """trade receivables + inventory - trade payables, when the snapshot has both totals."""
    company = books.header.company
    missing = [name for name in ("inventory_value", "trade_payables") if getattr(company, name) is None]
    if missing:
        return {"wcr": None, "missing": missing}
    receivables = money(receivable_cents)
    return {"wcr": receivables + company.inventory_value - company.trade_payables, "missing": [],
            "trade_receivables": receivables, "inventory_value": company.inventory_value,
            "trade_payables": company.trade_payables}


def dso_trend(books, months: int = 3) -> list[dict]:
    """At each month bound back from as_of: receivables then / sales of the `months` months before it ×
    the days of those months (None without positive sales), while the look-back has those months."""
    bounds, sales = books.bounds, books.company().monthly_sales
    receivable = books.receivable_at()
    trend = []
    for k in range(len(sales) - months + 1):
        window = sum(sales[k:k + months])
        days = bounds[k] - bounds[k + months]
        trend.append({"date": dt.date.fromordinal(bounds[k]), "receivables": money(receivable[k]),
                      "dso": round(receivable[k] * days / window, 1) if window > 0 else None})
    return trend


def kpis(books) -> dict:
    """The company's KPIs and each customer's, as plain values (Decimals for money)."""
    company = books.company()
    bounds, period = books.bounds, books.period_days
    return {
        "as_of": books.as_of, "currency": books.header.company.currency,
        "period_days": period, "lookback_days": books.lookback_days,
        "company": {**book_kpis(company, bounds, period), **concentration(books),
                    "working_capital": wcr(books, company.receivable), "dso_trend": dso_trend(books)},
        "customers": [{"customer_id": c.id, "name": c.name, **book_kpis(b, bounds, period)}
                      for c, b in zip(books.customers, books.books)],
    }
