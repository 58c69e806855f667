"""The cash-in forecast learns each customer's payment behaviour (docs/kpis.md, "Cash-in forecast"):
hand-built histories whose right answer is plain, and the backtest against what was actually paid."""
import datetime as dt
import json

from creditguard.mappings.snapshot import load_snapshot
from creditguard.rules.analytics.books import Books
from creditguard.rules.analytics.forecast import forecast, forecast_backtest
from tests.conftest import run_cli

AS_OF = dt.date(2026, 11, 26)


def day(offset) -> str:
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


def paid(id, customer, due, late, amount="100", disputed=False, parts=None):
    """An invoice due `due` days from as_of, paid `late` days after its due date (or in `parts`)."""
    events = parts or [(late, amount)]
    return {"id": id, "customer_id": customer, "kind": "invoice", "state": "posted", "currency": "EUR",
            "amount_total": amount, "amount_residual": "0", "invoice_date": day(due - 30), "due_date": day(due),
            "disputed": disputed,
            "payments": [{"date": day(due + d), "amount": a, "kind": "payment"} for d, a in events]}


def open_(id, customer, due, amount="1000", disputed=False, residual=None, parts=()):
    return {"id": id, "customer_id": customer, "kind": "invoice", "state": "posted", "currency": "EUR",
            "amount_total": amount, "amount_residual": residual or amount, "invoice_date": day(min(due, 0) - 30),
            "due_date": day(due), "disputed": disputed,
            "payments": [{"date": day(due + d), "amount": a, "kind": "payment"} for d, a in parts]}


def snapshot(invoices, customers=("a",), on_hold=()):
    return {"format": "creditguard-snapshot/1.1", "as_of": AS_OF.isoformat(),
            "company": {"name": "Test Co", "currency": "EUR"}, "fx_rates": {}, "country_risk": {},
            "customers": [{"id": c, "name": c.upper(), "on_hold": c in on_hold} for c in customers],
            "invoices": invoices, "orders": []}


def run(write_json, doc, keep="window"):
    books = Books.read(load_snapshot(write_json(doc)), keep_history=keep)
    return forecast(books) if keep == "window" else forecast_backtest(books)


def weeks(result, name="expected"):
    return [float(w[name]) for w in result["weeks"]]


def test_a_customer_who_always_pays_ten_days_late_is_expected_ten_days_after_the_due_date(write_json):
    history = [paid(f"h{k}", "a", -200 + 7 * k, 10) for k in range(20)]
    result = run(write_json, snapshot(history + [open_("o1", "a", 5)]))
    # due as_of + 5, paid as_of + 15: week 3 (days 15 to 21 after as_of)
    assert weeks(result)[2] == 1000.0 and sum(weeks(result)) == 1000.0
    assert result["customers_by_basis"] == {"own history": 1}


def test_an_invoice_already_late_is_expected_when_such_invoices_are_paid_not_on_its_due_date(write_json):
    # half of the customer's invoices are paid 10 days late, half 30 days late; one open is 20 days late
    history = [paid(f"h{k}", "a", -300 + 9 * k, 10 if k % 2 else 30) for k in range(24)]
    result = run(write_json, snapshot(history + [open_("o1", "a", -20)]))
    # the 10-day payers are behind it: it will be paid 30 days late, as_of + 10, week 2
    assert weeks(result)[:3] == [0.0, 1000.0, 0.0]


def test_a_customer_with_few_invoices_pays_mostly_like_the_portfolio(write_json):
    history = [paid(f"p{k}", f"p{k % 5}", -300 + 5 * k, 40) for k in range(50)]     # the portfolio: 40 days
    history.append(paid("n1", "new", -100, 0))                                      # one invoice on time
    customers = ("new", "p0", "p1", "p2", "p3", "p4")
    result = run(write_json, snapshot(history + [open_("o1", "new", 3)], customers=customers))
    expected = weeks(result)
    # on time would be as_of + 3 (week 1); 40 days late is as_of + 43 (week 7)
    assert expected[6] > 500.0 and 0.0 < expected[0] < 500.0
    assert result["customers_by_basis"] == {"own history, shrunk to the portfolio": 1}


def test_disputed_invoices_are_their_own_class(write_json):
    history = [paid(f"h{k}", "a", -300 + 6 * k, 0) for k in range(30)]
    history += [paid(f"d{k}", "b", -300 + 20 * k, 60, disputed=True) for k in range(8)]
    result = run(write_json, snapshot(history + [open_("o1", "a", 0, disputed=True)], customers=("a", "b")))
    # customer a pays on time, but it has never had a dispute: disputes are settled 60 days late: week 9
    assert weeks(result)[8] > 900.0
    assert result["disputed_in_weeks"] == result["weeks"][8]["expected"] + sum(
        w["expected"] for k, w in enumerate(result["weeks"]) if k != 8)


def test_a_partly_paid_invoice_is_expected_when_the_rest_of_such_invoices_is_paid(write_json):
    # every invoice: half paid on its due date, the rest 20 days late
    history = [paid(f"h{k}", "a", -300 + 8 * k, None, amount="200", parts=[(0, "100"), (20, "100")])
               for k in range(25)]
    doc = snapshot(history + [open_("o1", "a", -5, amount="200", residual="100", parts=[(0, "100")])])
    result = run(write_json, doc)
    assert weeks(result)[:3] == [0.0, 0.0, 100.0]          # due - 5 + 20 = as_of + 15: week 3


def test_payment_weekdays_the_history_shows_are_found_and_used(write_json):
    saturdays = [paid(f"h{k}", "a", -390 + 7 * k, 0) for k in range(55)]      # every payment on a Saturday
    assert {dt.date.fromisoformat(i["payments"][0]["date"]).weekday() for i in saturdays} == {5}
    result = run(write_json, snapshot(saturdays + [open_("o1", "a", 1)]))
    assert result["effects"]["weekday"] is True
    spread = [paid(f"h{k}", "a", -390 + 3 * k, k % 7) for k in range(125)]
    assert run(write_json, snapshot(spread + [open_("o1", "a", 1)]))["effects"]["weekday"] is False


def test_the_band_holds_the_expected_value_and_is_not_drawn_without_history(write_json):
    history = [paid(f"h{k}", c, -300 + 4 * k, k % 25) for k in range(60) for c in ("a",)]
    result = run(write_json, snapshot(history + [open_(f"o{k}", "a", k * 3) for k in range(10)]))
    for w in result["weeks"]:
        assert w["low"] <= w["expected"] <= w["high"] and w["cumulative_low"] <= w["cumulative"] <= w["cumulative_high"]
    bare = snapshot([open_("o1", "a", 10)])
    bare["invoices"][0]["payments"] = None
    bare["format"] = "creditguard-snapshot/1"
    result = run(write_json, bare)
    assert result["weeks"][1]["expected"] == 1000 and result["weeks"][1]["low"] is None
    assert "no payment history" in result["not_computed"]["band"]
    table = run_cli("forecast", "--snapshot", write_json(bare), check=0).stdout
    assert "band not computed: no payment history to learn from" in table


def test_nothing_open_is_said_not_drawn(write_json, tmp_path):
    path = write_json(snapshot([paid("h1", "a", -30, 0)]))
    table = run_cli("forecast", "--snapshot", path, "--html", tmp_path / "f.html", check=0).stdout
    assert "not computed: nothing open at as_of" in table
    page = (tmp_path / "f.html").read_text()
    assert "Nothing to show: nothing open at as_of" in page and "<svg" not in page
    data = json.loads(run_cli("forecast", "--snapshot", path, "--format", "json", check=0).stdout)
    assert data["not_computed"]["weeks"].startswith("nothing open")


def test_backtest_a_steady_payer_is_forecast_exactly_and_the_due_date_baseline_is_not(write_json):
    # one invoice a week for 500 days, each paid 17 days after its due date
    history = [paid(f"h{k}", "a", -500 + 7 * k, 17) for k in range(70) if -500 + 7 * k + 17 <= 0]
    result = run(write_json, snapshot(history), keep="all")
    summary = result["summary"]
    assert summary["origins"] >= 8
    assert summary["wape"] == 0 and summary["wape_naive"] > 0.5
    origin = result["origins"][0]
    assert origin["forecast"] == origin["paid"] != origin["naive"]


def test_backtest_command_prints_wape_against_the_baseline_and_band_coverage(write_json, tmp_path):
    history = [paid(f"h{k}", "ab"[k % 2], -500 + 3 * k, (k * 7) % 31 - 5) for k in range(160)
               if -500 + 3 * k + 30 <= 0]
    path = write_json(snapshot(history, customers=("a", "b")))
    table = run_cli("forecast", "--snapshot", path, "--backtest", "--html", tmp_path / "b.html", check=0).stdout
    assert "mean WAPE over" in table and "due-date baseline" in table and "band P10-P90 held" in table
    data = json.loads(run_cli("forecast", "--snapshot", path, "--backtest", "--format", "json", check=0).stdout)
    assert data["summary"]["wape"] < data["summary"]["wape_naive"]
    assert len(data["summary"]["coverage_per_week"]) == 13
    assert (tmp_path / "b.html").read_text().count("<svg") == 2
    bare = run_cli("forecast", "--snapshot", "examples/snapshot.json", "--backtest", check=0).stdout
    assert "not computed: the snapshot has no payment history" in bare
