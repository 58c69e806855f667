"""KPIs on hand-computed books: each figure below is worked out in the comment beside it."""
from decimal import Decimal
from decimal import Decimal as D

import pytest

from creditguard.mappings.snapshot import load_snapshot
from creditguard.rules.analytics.books import Books
from creditguard.rules.analytics.kpis import concentration, kpis, quantile
from tests.analytics_books import books_snapshot


@pytest.fixture
def result(write_json):
    return kpis(Books.read(load_snapshot(write_json(books_snapshot(trade_payables="1000", inventory_value="500")))))


def customer(result, cid):
    return next(c for c in result["customers"] if c["customer_id"] == cid)


def test_dso_both_methods_and_best_possible_for_a_customer_with_partial_payments(result):
    acme = customer(result, "c1")
    assert acme["open_receivables"] == Decimal("2200.00")       # 2000 + 300 - 100
    assert acme["sales_in_period"] == Decimal("3400.00")        # 1000 + 2000 + 500 - 100
    assert acme["dso_standard"] == D("58.2")                         # 2200 / 3400 * 90
    assert acme["dso_count_back"] == D("58.0")                       # 31 days (sales 400) + 30 * 1800 / 2000
    assert acme["dso_count_back_complete"] is True
    assert acme["best_possible_dso"] == D("7.9")                     # 300 not yet due / 3400 * 90
    assert acme["ageing"] == {"current": Decimal("300.00"), "1-30": Decimal("2000.00"), "31-60": 0,
                              "61-90": 0, ">90": 0}
    assert acme["unapplied_credit_notes"] == Decimal("100.00")
    assert acme["overdue_share"] == D("0.8696")                      # 2000 / 2300
    assert (acme["settled_invoices"], acme["avg_days_late"], acme["p90_days_late"]) == (1, D("20.0"), 20)


def test_only_credit_notes_gives_no_dso_and_no_overdue_share(result):
    credits = customer(result, "c2")
    assert credits["open_receivables"] == Decimal("-50.00")
    assert credits["dso_standard"] is None and credits["best_possible_dso"] is None
    assert credits["dso_count_back"] == D("0.0")
    assert credits["overdue_share"] is None


def test_no_sales_in_the_period_and_no_history(result):
    old = customer(result, "c3")
    assert old["sales_in_period"] == 0 and old["dso_standard"] is None
    # five months without sales (31 + 30 + 31 + 31 + 30 days), then the June month (31 days) covers it all
    assert old["dso_count_back"] == D("184.0")
    assert old["ageing"][">90"] == Decimal("400.00") and old["overdue_share"] == D("1.0")
    assert old["settled_invoices"] == 0 and old["avg_days_late"] is None and old["p90_days_late"] is None


def test_write_offs_are_counted_apart_from_lateness(result):
    written = customer(result, "c4")
    assert (written["written_off"], written["settled_invoices"], written["avg_days_late"]) == (1, 0, None)


def test_days_paid_late_average_and_90th_percentile(result):
    steady = customer(result, "c5")
    # lateness -5, 0, 3, 10, 40 -> counted as 0, 0, 3, 10, 40
    assert steady["avg_days_late"] == D("10.6") and steady["p90_days_late"] == 40
    assert steady["paid_late_share"] == D("0.6")
    assert steady["dso_standard"] == D("0.0")


def test_company_figures_add_the_customers_up(result):
    company = result["company"]
    assert company["open_receivables"] == Decimal("2550.00")    # 2200 - 50 + 400
    assert company["sales_in_period"] == Decimal("4150.00")     # 3400 - 50 + 300 + 500
    assert company["dso_standard"] == D("55.3")                      # 2550 / 4150 * 90
    assert company["overdue_share"] == D("0.8889")                   # 2400 / 2700
    # lateness 20 and 0, 0, 3, 10, 40: mean 73 / 6, nearest rank ceil(0.9 * 6) = 6th
    assert company["avg_days_late"] == D("12.2") and company["p90_days_late"] == 40
    assert company["working_capital"]["wcr"] == Decimal("2050.00")   # 2550 + 500 - 1000


def test_dso_trend_rebuilds_past_receivables_at_each_month_end_from_the_history(result):
    trend = result["company"]["dso_trend"]
    assert [p["date"].isoformat() for p in trend["points"]] == ["2026-10-31", "2026-09-30", "2026-08-31"]
    october = trend["points"][0]
    # at 10-31: a1 paid, a2 2000 open, c3's 400 (no history: its residual from its invoice date),
    # d1 300 - 200 paid 10-20, e4 100 paid 11-10 only
    assert october["receivables"] == Decimal("2600.00")
    # net sales Aug + Sep + Oct: a1 1000, d1 300, e0-e4 500 (all September), a2 2000 (October) over 92 days
    assert october["dso"] == D("62.9")              # 2600 × 92 / 3800 = 62.947...
    # August-October is the oldest whole window: the history starts with c3's invoice of 2026-06-01,
    # so the points of July and June (windows from May and April) are partial, left out, not scaled
    assert [p["date"].isoformat() for p in trend["partial"]] == ["2026-07-31", "2026-06-30"]
    assert "before the history does (earliest invoice 2026-06-01)" in trend["partial"][0]["reason"]
    assert trend["reason"] is None


def test_concentration_and_exposure_by_country_grade(write_json):
    books = Books.read(load_snapshot(write_json(books_snapshot())))
    result = concentration(books, top=1)
    assert result["top_share"] == D("0.8462")                        # 2200 of the positive 2200 + 400
    # DE: c1 2200 + order 1000 and c5 0; TR: c3 400; no grade: c2 -50, c4 0
    assert result["exposure_by_country_grade"] == {"0": Decimal("3200.00"), "5": Decimal("400.00"),
                                                   "unknown": Decimal("-50.00")}


def test_wcr_says_which_totals_are_missing(write_json):
    books = Books.read(load_snapshot(write_json(books_snapshot(inventory_value="500"))))
    wc = kpis(books)["company"]["working_capital"]
    assert (wc["wcr"], wc["missing"]) == (None, ["trade_payables"])
    assert wc["reason"] == "the snapshot has no trade_payables (company totals, contract 1.1)"


def test_nearest_rank_quantile():
    assert quantile([5, 1, 3, 2, 4], 0.5) == 3 and quantile([1, 2], 0.9) == 2 and quantile([], 0.9) is None


def test_books_folded_in_two_processes_equal_books_folded_in_one(write_json, monkeypatch):
    import creditguard.mappings.scan as scan_module
    from creditguard.connector.cli.analytics_batch import books_of
    from creditguard.mappings.snapshot import open_snapshot
    monkeypatch.setattr(scan_module, "CHUNK_BYTES", 400)
    path = write_json(books_snapshot(trade_payables="1000", inventory_value="500"))
    assert len(open_snapshot(path).chunks("invoices")) > 3
    one, two = Books.read(open_snapshot(path)), books_of(open_snapshot(path), jobs=2)
    assert kpis(two) == kpis(one)
    assert kpis(two)["company"]["open_receivables"] == Decimal("2550.00")
    assert sorted(item for b in two.books for item in b.open_items) == \
        sorted(item for b in one.books for item in b.open_items)


def test_one_worker_folding_two_groups_counts_each_invoice_once(write_json, monkeypatch):
    import creditguard.connector.cli.analytics_batch as analytics_batch
    import creditguard.mappings.scan as scan_module
    from creditguard.mappings.snapshot import open_snapshot
    monkeypatch.setattr(scan_module, "CHUNK_BYTES", 400)
    source = open_snapshot(write_json(books_snapshot()))
    pieces = source.chunks("invoices")
    analytics_batch._work.update(source=source, groups=[pieces[:2], pieces[2:]], windows=(400, 90))
    try:
        shares = [analytics_batch._fold_group(0), analytics_batch._fold_group(1)]   # the same process, in turn
    finally:
        analytics_batch._work.clear()
    books = Books(source.header, source.customers)
    for _, share in shares:
        books.absorb(share)
    books.finish(source.iter_orders())
    assert kpis(books)["company"]["open_receivables"] == Decimal("2550.00")


def test_a_credit_note_written_negative_counts_as_one_written_positive(write_json):
    # the snapshot lets a credit note carry negative amounts: the facts, the KPIs and the sales agree either way
    from creditguard.rules.facts import compute_facts
    positive, negative = books_snapshot(), books_snapshot()
    for doc in positive["invoices"] + negative["invoices"]:
        if doc["kind"] == "credit_note":
            doc.pop("payments", None)               # (a payment history is checked on the total's own sign)
    for doc in negative["invoices"]:
        if doc["kind"] == "credit_note":
            doc["amount_total"], doc["amount_residual"] = f"-{doc['amount_total']}", f"-{doc['amount_residual']}"
    results = []
    for doc in (positive, negative):
        snapshot = load_snapshot(write_json(doc))
        facts = {c.id: f["open_receivables"] for c, f in zip(snapshot.customers, compute_facts(snapshot))}
        figures = {c["customer_id"]: c for c in kpis(Books.read(snapshot))["customers"]}
        assert all(figures[cid]["open_receivables"] == amount for cid, amount in facts.items())
        results.append(figures)
    assert results[0]["c2"]["open_receivables"] == Decimal("-50.00")
    assert results[0] == results[1]
