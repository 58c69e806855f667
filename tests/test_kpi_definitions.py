"""Each KPI against its written definition (docs/kpis.md): month boundaries, partial windows, rounding,
and the properties that follow from defining a figure once (order, currency split, as_of of a trend point)."""
import datetime as dt
import json
import random
import re
from decimal import Decimal as D

from creditguard.mappings.snapshot import load_snapshot
from creditguard.rules.analytics.books import Books
from creditguard.rules.analytics.kpis import kpis
from tests.analytics_books import inv
from tests.conftest import make_snapshot, run_cli


def snapshot_of(invoices, as_of, customers=None, **company):
    doc = make_snapshot(customers or [{"id": "c1", "name": "Acme"}], invoices, as_of=as_of, fx_rates={"USD": "1"})
    doc["format"] = "creditguard-snapshot/1.1"
    doc["company"].update(company)
    return doc


def figures(write_json, doc, **windows):
    return kpis(Books.read(load_snapshot(write_json(doc)), **windows))


def test_count_back_counts_a_sale_dated_on_as_of_and_puts_one_dated_a_month_back_in_the_month_before(write_json):
    # as_of 2013-03-31: month 1 is (02-28, 03-31] (31 days), month 2 (01-31, 02-28] (28 days)
    doc = snapshot_of([inv("i1", "c1", "310", "2013-03-31", "2013-04-30", []),     # on as_of: month 1
                       inv("i2", "c1", "280", "2013-02-28", "2013-03-30", [])],    # a month back: month 2
                      "2013-03-31")
    result = figures(write_json, doc)["customers"][0]
    # receivables 590: month 1's 310 (31 days), then 280 of month 2's 280 (28 days)
    assert result["dso_count_back"] == D("59.0") and result["dso_count_back_complete"] is True
    doc["invoices"][1]["invoice_date"] = "2013-03-01"       # the day after the bound: month 1
    result = figures(write_json, doc)["customers"][0]
    assert result["dso_count_back"] == D("31.0")            # 590 of month 1's 590: 31 days


def test_count_back_uses_whole_months_of_the_look_back_only_and_says_when_they_run_out(write_json):
    doc = snapshot_of([inv("i1", "c1", "100", "2013-03-20", "2013-04-19", []),
                       inv("i2", "c1", "500", "2013-02-10", "2013-03-12", [])], "2013-03-31")
    # a 45-day look-back holds one whole month (02-28, 03-31]; February's sale is outside it
    result = figures(write_json, doc, lookback_days=45, period_days=30)
    customer = result["customers"][0]
    assert customer["dso_count_back"] == D("31.0") and customer["dso_count_back_complete"] is False
    assert "1 whole months do not cover the receivables" in customer["not_computed"]["dso_count_back"]
    table = run_cli("kpis", "--snapshot", write_json(doc), "--lookback", "45", "--period", "30", check=0).stdout
    assert "≥31.0" in table and "widen --lookback" in table


def test_a_figure_exactly_half_way_rounds_up_in_every_output(write_json, tmp_path):
    # DSO 89 × 90 / 360 = 22.25 exactly: half-up gives 22.3 (a binary float gives 22.2)
    # overdue share 24.69 / 200 = 0.12345 exactly: half-up gives 0.1235, shown 12.35 %
    doc2 = snapshot_of([inv("j1", "c1", "360", "2013-03-01", "2013-05-01", [("2013-03-10", "271")])], "2013-03-31")
    one = figures(write_json, doc2)["customers"][0]
    assert one["dso_standard"] == D("22.3") and round(89 * 90 / 360, 1) == 22.2
    shares = snapshot_of([inv("k1", "c1", "24.69", "2013-01-01", "2013-02-01", []),
                          inv("k2", "c1", "175.31", "2013-03-01", "2013-05-01", [])], "2013-03-31")
    result = figures(write_json, shares)
    assert result["company"]["overdue_share"] == D("0.1235")
    path = write_json(shares)
    page = tmp_path / "kpis.html"
    table = run_cli("kpis", "--snapshot", path, "--html", page, check=0).stdout
    data = json.loads(run_cli("kpis", "--snapshot", path, "--format", "json", check=0).stdout)
    html = page.read_text()
    assert data["company"]["overdue_share"] == 0.1235
    assert "12.35 %" in table and "12.35 %" in html
    # every company figure in days prints the same digits in the table, the JSON and the page
    for name, label in (("dso_standard", "DSO, standard method"), ("best_possible_dso", "best possible DSO"),
                        ("dso_count_back", "DSO, count-back method")):
        value = data["company"][name]
        shown = re.search(rf"{label}\s+([\d,.]+) days", table).group(1)
        assert shown == f"{value:,}" and f"{value:,} days" in html


def history(seed, start, end, customers=4):
    """A random payment history: invoices from `start` to `end`, each paid in one or two events."""
    rng = random.Random(seed)
    docs, day, n = [], start, 0
    while day <= end:
        for _ in range(rng.randint(0, 3)):
            n += 1
            total = rng.randint(100, 90_000)
            due = day + dt.timedelta(days=30)
            paid_on = due + dt.timedelta(days=rng.randint(-10, 70))
            parts = [(paid_on, total)] if rng.random() < 0.7 else \
                [(day + dt.timedelta(days=rng.randint(1, 20)), total // 3), (paid_on, total - total // 3)]
            docs.append({"n": n, "customer": f"c{rng.randint(1, customers)}", "issued": day, "due": due,
                         "total": total, "parts": parts, "currency": rng.choice(["EUR", "USD"])})
        day += dt.timedelta(days=rng.randint(1, 4))
    return docs


def snapshot_at(docs, as_of, customers=4, order=None):
    """The history as a snapshot on `as_of`: what was issued by then, with the payments made by then."""
    invoices = []
    for d in docs:
        if d["issued"] > as_of:
            continue
        parts = [(day, cents) for day, cents in d["parts"] if day <= as_of]
        paid = sum(c for _, c in parts)
        invoices.append({"id": str(d["n"]), "customer_id": d["customer"], "kind": "invoice", "state": "posted",
                         "currency": d["currency"], "amount_total": f"{d['total'] / 100:.2f}",
                         "amount_residual": f"{(d['total'] - paid) / 100:.2f}",
                         "invoice_date": d["issued"].isoformat(), "due_date": d["due"].isoformat(),
                         "disputed": False,
                         "payments": [{"date": day.isoformat(), "amount": f"{c / 100:.2f}", "kind": "payment"}
                                      for day, c in parts]})
    if order is not None:
        order(invoices)
    return snapshot_of(invoices, as_of.isoformat(),
                       customers=[{"id": f"c{k}", "name": f"C{k}"} for k in range(1, customers + 1)])


def test_a_trend_point_is_the_same_whatever_as_of_it_is_computed_from(write_json):
    docs = history(5, dt.date(2011, 1, 3), dt.date(2013, 12, 31))
    point = dt.date(2012, 6, 30)
    values = []
    for as_of in (point, dt.date(2012, 7, 30), dt.date(2012, 12, 30)):        # B, B + 1 month, B + 6 months
        trend = figures(write_json, snapshot_at(docs, as_of))["company"]["dso_trend"]
        values.append(next(p for p in trend["points"] if p["date"] == point))
    assert values[0]["dso"] is not None and values[0] == values[1] == values[2]


def test_a_point_whose_months_the_look_back_does_not_hold_is_left_out_not_scaled(write_json):
    docs = history(6, dt.date(2011, 1, 3), dt.date(2013, 12, 31))
    trend = figures(write_json, snapshot_at(docs, dt.date(2012, 12, 31)))["company"]["dso_trend"]
    # a 400-day look-back from 2012-12-31 holds the days from 2011-11-28: the oldest whole window is
    # Dec-Feb; the month-ends of January, December and November inside the window are partial
    assert trend["points"][-1]["date"] == dt.date(2012, 2, 29)
    assert [p["date"] for p in trend["partial"]] == [dt.date(2012, 1, 31), dt.date(2011, 12, 31),
                                                    dt.date(2011, 11, 30)]
    assert "before the look-back window" in trend["partial"][0]["reason"]


def test_kpis_do_not_depend_on_invoice_order_or_on_a_split_across_currencies_at_rate_1(write_json):
    docs = history(7, dt.date(2011, 6, 1), dt.date(2013, 3, 1), customers=6)
    as_of = dt.date(2013, 3, 31)
    base = figures(write_json, snapshot_at(docs, as_of, customers=6))
    shuffled = figures(write_json, snapshot_at(docs, as_of, customers=6, order=random.Random(1).shuffle))
    assert shuffled == base
    for d in docs:
        d["currency"] = "EUR"
    assert figures(write_json, snapshot_at(docs, as_of, customers=6)) == base


def test_without_payment_history_the_trend_and_lateness_say_what_to_add():
    table = run_cli("kpis", "--snapshot", "examples/snapshot.json", check=0).stdout
    assert "DSO trend" in table and "not computed: the snapshot has no payment history" in table
    data = json.loads(run_cli("kpis", "--snapshot", "examples/snapshot.json", "--format", "json", check=0).stdout)
    assert data["company"]["dso_trend"]["points"] == []
    assert "contract 1.1" in data["company"]["dso_trend"]["reason"]
    assert data["company"]["avg_days_late"] is None and "payments" in data["company"]["not_computed"]["avg_days_late"]
