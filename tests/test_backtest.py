"""The backtest on a hand-worked history: two policies, who they hold, when, and what the holds stopped."""
import datetime as dt
from decimal import Decimal

import pytest

from creditguard.mappings.snapshot import load_snapshot
from creditguard.rules.analytics.backtest import backtest, policy_run, replay_dates
from creditguard.rules.evaluate import make_engine
from creditguard.rules.policy import load_policy
from tests.analytics_books import inv
from tests.conftest import make_snapshot

STRICT = """policy: strict
version: 1
rules:
  - id: any_overdue
    when: max_days_overdue > 0
    then: {hold: "Overdue {max_days_overdue} days"}
"""

HISTORY = [
    # h1, limit 1000: 800 + 500 go over it on Jan 20; p1 is paid 6 days late on Feb 10
    inv("p1", "h1", "800", "2026-01-05", "2026-02-04", [("2026-02-10", "800")]),
    inv("p2", "h1", "500", "2026-01-20", "2026-02-19", [("2026-02-15", "500")]),
    inv("p3", "h1", "300", "2026-02-01", "2026-03-03", [("2026-03-01", "300")]),    # paid on time
    inv("p4", "h1", "200", "2026-02-05", "2026-03-07", []),                         # never paid
    # h2, no limit: q1 paid 11 days late, q2 issued meanwhile and paid 10 days late
    inv("q1", "h2", "100", "2026-01-10", "2026-02-09", [("2026-02-20", "100")]),
    inv("q2", "h2", "100", "2026-02-15", "2026-03-17", [("2026-03-27", "100")]),
]


@pytest.fixture
def result(write_json, tmp_path):
    doc = make_snapshot([{"id": "h1", "name": "Heavy", "credit_limit": "1000"}, {"id": "h2", "name": "Late"}],
                        HISTORY, as_of="2026-05-28")
    doc["format"] = "creditguard-snapshot/1.1"
    strict = tmp_path / "strict.yaml"
    strict.write_text(STRICT)
    runs = [policy_run(p, make_engine("python", p)[0]) for p in (load_policy(), load_policy(strict))]
    dates = replay_dates(dt.date(2026, 1, 1), dt.date(2026, 5, 28), 7)
    return {p["policy"]: p for p in backtest(load_snapshot(write_json(doc)), runs, dates)["policies"]}


def test_seed_default_holds_over_the_limit_then_past_the_extension_period(result):
    seed = result["seed-default"]
    # held Jan 22 (1300 > 1000) to Feb 12 (1000 after p1's payment): 21 days; then p4 past 60 days overdue
    # from May 7 to the end, May 28: 21 days
    assert (seed["customers_held"], seed["holds"], seed["hold_days"], seed["avg_hold_days"]) == (1, 2, 42, 21.0)
    # p3 (Feb 1) and p4 (Feb 5) were issued while h1 was held
    assert seed["stopped_invoices"] == 2 and seed["stopped_amount"] == Decimal("500.00")
    assert seed["outcomes"]["paid on time"] == {"invoices": 1, "amount": Decimal("300.00")}
    assert seed["outcomes"]["unpaid"] == {"invoices": 1, "amount": Decimal("200.00")}
    assert seed["losses_avoided"] == Decimal("200.00") and seed["good_sales_blocked"] == Decimal("300.00")
    held = {h["date"].isoformat(): h["held"] for h in seed["held_per_date"]}
    assert (held["2026-01-15"], held["2026-01-22"], held["2026-02-12"], held["2026-05-07"]) == (0, 1, 0, 1)


def test_a_stricter_policy_holds_more_and_stops_a_sale_that_was_paid_late(result):
    strict = result["strict"]
    # h1: Feb 5 (p1 one day overdue) to Feb 12, then Mar 12 (p4) to May 28: 7 + 77;
    # h2: Feb 12 to Feb 26 (q1) and Mar 19 to Apr 2 (q2): 14 + 14
    assert (strict["customers_held"], strict["holds"], strict["hold_days"]) == (2, 4, 112)
    assert strict["stopped_invoices"] == 1                      # q2, issued Feb 15 while h2 was held
    assert strict["outcomes"]["paid late"] == {"invoices": 1, "amount": Decimal("100.00")}
    assert strict["avg_days_late_of_late"] == 10.0
    assert strict["losses_avoided"] == 0 and strict["good_sales_blocked"] == 0
