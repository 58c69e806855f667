"""The insured-receivables report: per buyer, what the cover in force insures and what stays at risk."""
from __future__ import annotations

from decimal import Decimal

from creditguard.mappings.money import round_cent
from creditguard.rules.facts import ZERO

from creditguard.rules.analytics.figures import money

TOTALS = ("open_receivables", "insured", "indemnity", "uninsured", "net_risk")


def insured_report(books) -> dict:
    """Buyers above their cover or without one first (largest uninsured first), then the others."""
    pt = books.header.policy_terms
    percent = pt.insured_percent if pt else None
    buyers = []
    for customer, book, facts in zip(books.customers, books.books, books.facts):
        owed, cover = max(ZERO, facts["open_receivables"]), facts["insured_cover"]
        if owed <= 0 and cover <= 0:
            continue
        disputed = money(book.disputed)
        insured = min(max(ZERO, owed - disputed), cover)      # disputed receivables are not insured
        indemnity = round_cent(insured * percent / 100) if percent is not None else ZERO
        state = "no cover in force" if cover <= 0 else "above cover" if owed - disputed > cover else "within cover"
        buyers.append({"customer_id": customer.id, "name": customer.name, "cover_status": facts["cover_status"],
                       "open_receivables": owed, "disputed": disputed, "cover": cover, "insured": insured,
                       "indemnity": indemnity, "uninsured": owed - insured, "net_risk": owed - indemnity,
                       "state": state})
    buyers.sort(key=lambda b: (b["state"] == "within cover", -b["uninsured"], -b["open_receivables"]))
    totals = {name: sum((b[name] for b in buyers), Decimal("0.00")) for name in TOTALS}
    return {"as_of": books.as_of, "currency": books.header.company.currency, "insured_percent": percent,
            "totals": totals, "buyers": buyers}
