"""The insured book and the cash-in forecast on the hand-computed books of tests/analytics_books.py."""
from decimal import Decimal

from mappings.snapshot import load_snapshot
from rules.analytics.books import Books
from rules.analytics.forecast import forecast
from rules.analytics.insured import insured_report
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


def test_forecast_falls_back_to_company_behaviour_for_customers_without_enough_history(write_json):
    doc = books_snapshot()
    doc["invoices"].append(inv("e9", "c5", "70", "2026-11-01", "2026-12-01", []))
    result = forecast(books_of(write_json, doc))
    # company lateness -5, 0, 3, 10, 20, 40: median 3 (3rd), 25th pct 0 (2nd), 75th pct 20 (5th)
    assert result["company_behaviour"] == {"median": 3, "early": 0, "late": 20, "basis": "company history"}
    weeks = result["weeks"]
    # a2 2000 due 11-14 -> 11-17, past: week 1; c3's 400 due 07-01: week 1; a3 300 due 12-10 -> 12-13: week 3
    assert [w["expected"] for w in weeks[:4]] == [Decimal("2400.00"), 0, Decimal("300.00"), 0]
    assert weeks[0]["start"].isoformat() == "2026-11-26" and weeks[0]["end"].isoformat() == "2026-12-02"
    # late band: a2 at 12-04 (week 2), a3 at 12-30 (week 5); early band: a2 week 1, a3 at 12-10 (week 3)
    assert [w["cumulative_low"] for w in weeks[:5]] == \
        [Decimal("400.00"), Decimal("2400.00"), Decimal("2400.00"), Decimal("2400.00"), Decimal("2700.00")]
    assert [w["cumulative_high"] for w in weeks[:3]] == [Decimal("2400.00"), Decimal("2400.00"), Decimal("2700.00")]
    assert weeks[-1]["cumulative"] == Decimal("2700.00") and result["later"] == 0
    assert result["held_apart"] == Decimal("70.00")        # c5 is on hold: its invoice is shown apart
    assert result["customers_by_basis"] == {"company history": 2, "own history": 1}   # c5 held, own history


def test_forecast_uses_a_customers_own_behaviour_and_puts_disputes_apart(write_json):
    doc = books_snapshot()
    doc["customers"][4]["on_hold"] = False
    doc["invoices"].append(inv("e9", "c5", "70", "2026-11-01", "2026-12-01", []))
    next(i for i in doc["invoices"] if i["id"] == "a2")["disputed"] = True
    result = forecast(books_of(write_json, doc))
    weeks = result["weeks"]
    # c5's own lateness -5, 0, 3, 10, 40: median 3, early 0, late 10 -> 12-04 (week 2), 12-01 (1), 12-11 (3)
    assert weeks[1]["expected"] == Decimal("70.00")
    assert weeks[0]["cumulative_high"] == Decimal("470.00")     # c3's 400 + e9 early
    assert weeks[2]["cumulative_low"] - weeks[1]["cumulative_low"] == Decimal("70.00")
    assert result["disputed_apart"] == Decimal("2000.00") and result["held_apart"] == 0
    assert result["customers_by_basis"] == {"company history": 2, "own history": 1}


def test_forecast_without_any_history_uses_due_dates(write_json):
    doc = books_snapshot()
    doc["invoices"] = [inv("z1", "c1", "100", "2026-11-20", "2026-12-20", residual="100")]
    result = forecast(books_of(write_json, doc))
    assert result["company_behaviour"]["basis"] == "due date"
    assert result["weeks"][3]["expected"] == Decimal("100.00")      # 24 days after as_of: week 4
    assert result["weeks"][3]["cumulative_low"] == result["weeks"][3]["cumulative_high"] == Decimal("100.00")
