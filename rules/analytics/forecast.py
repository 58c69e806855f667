"""Cash-in forecast: each open invoice placed in a week at its due date shifted by its customer's lateness.

The shift is the median of the customer's own days from due date to settlement (at least MIN_HISTORY
settled invoices), else the company's, else none; the band places it at the 25th and 75th percentiles."""
from __future__ import annotations

import datetime as dt

from .kpis import money, quantile

WEEKS = 13
MIN_HISTORY = 3


def behaviour(lateness, fallback):
    """(median, early, late) days after due for these settlements, and where they come from."""
    if len(lateness) >= MIN_HISTORY:
        return (quantile(lateness, 0.5), quantile(lateness, 0.25), quantile(lateness, 0.75)), "own history"
    return fallback


def forecast(books, weeks: int = WEEKS) -> dict:
    as_of = books.as_of.toordinal()
    company = [d for book in books.books for d in book.lateness]
    fallback = (behaviour(company, None)[0], "company history") if company else ((0, 0, 0), "due date")
    expected, low, high = [0] * (weeks + 1), [0] * (weeks + 1), [0] * (weeks + 1)   # last slot: later
    apart = {"disputed": 0, "held": 0}
    basis_count: dict = {}

    def week(day):
        return min(weeks, max(0, day - as_of) // 7)

    for customer, book in zip(books.customers, books.books):
        if not book.open_items:
            continue
        (median, early, late), basis = behaviour(book.lateness, fallback)
        basis_count[basis] = basis_count.get(basis, 0) + 1
        for due, residual, disputed in book.open_items:
            if disputed or customer.on_hold:
                apart["disputed" if disputed else "held"] += residual
                continue
            expected[week(due + median)] += residual
            high[week(due + early)] += residual        # paid early: more cash sooner
            low[week(due + late)] += residual
    rows, totals = [], [0, 0, 0]
    for k in range(weeks):
        totals = [t + amounts[k] for t, amounts in zip(totals, (expected, low, high))]
        start = dt.date.fromordinal(as_of + 7 * k)
        rows.append({"week": k + 1, "start": start, "end": start + dt.timedelta(days=6),
                     "expected": money(expected[k]), "cumulative": money(totals[0]),
                     "cumulative_low": money(totals[1]), "cumulative_high": money(totals[2])})
    return {"as_of": books.as_of, "currency": books.header.company.currency, "weeks": rows,
            "later": money(expected[weeks]), "disputed_apart": money(apart["disputed"]),
            "held_apart": money(apart["held"]), "customers_by_basis": basis_count,
            "company_behaviour": {"median": fallback[0][0], "early": fallback[0][1], "late": fallback[0][2],
                                  "basis": fallback[1]}}
