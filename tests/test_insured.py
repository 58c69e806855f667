"""The insured book on the hand-computed books of tests/analytics_books.py (the forecast: test_forecast.py)."""
from decimal import Decimal

from creditguard.mappings.snapshot import load_snapshot
from creditguard.rules.analytics.books import Books
from creditguard.rules.analytics.insured import insured_report
from tests.analytics_books import books_snapshot, inv


def books_of(write_json, doc):
    return Books.read(load_snapshot(write_json(doc)))


def test_insured_part_indemnity_and_net_risk_per_buyer(write_json):
    report = insured_report(books_of(write_json, books_snapshot()))
    rows = {b["customer_id"]: b for b in report["buyers"]}
    assert list(rows) == ["c1", "c3"]       # above cover first; no open receivable and no cover: not listed
    acme = rows["c1"]                       # 2200 owed, cover 1500 at 90 %
    assert (acme["state"], acme["insured"], acme["indemnity"], acme["uninsured"], acme["net_risk"]) == \
        ("above cover", Decimal("1500.00"), Decimal("1350.00"), Decimal("700.00"), Decimal("850.00"))
    old = rows["c3"]                        # 400 owed, cover USD 1000 = EUR 500
    assert (old["state"], old["cover"], old["insured"], old["indemnity"], old["net_risk"]) == \
        ("within cover", Decimal("500.00"), Decimal("400.00"), Decimal("360.00"), Decimal("40.00"))
    assert report["totals"] == {"open_receivables": Decimal("2600.00"), "insured": Decimal("1900.00"),
                                "indemnity": Decimal("1710.00"), "uninsured": Decimal("700.00"),
                                "net_risk": Decimal("890.00")}


def test_disputed_receivables_are_not_insured_and_no_cover_comes_first(write_json):
    doc = books_snapshot()
    next(i for i in doc["invoices"] if i["id"] == "a2")["disputed"] = True
    doc["invoices"].append(inv("f1", "c4", "80", "2026-11-01", "2026-12-01", []))
    report = insured_report(books_of(write_json, doc))
    assert [b["customer_id"] for b in report["buyers"]] == ["c4", "c1", "c3"]
    assert report["buyers"][0]["state"] == "no cover in force" and report["buyers"][0]["uninsured"] == Decimal("80.00")
    acme = report["buyers"][1]              # 2200 owed, 2000 disputed: only 200 insurable
    assert (acme["state"], acme["insured"], acme["uninsured"]) == \
        ("within cover", Decimal("200.00"), Decimal("2000.00"))
