"""`creditguard kpis | insured | forecast | backtest` end to end: tables, JSON, and bad arguments."""
import json
from decimal import Decimal

from tests.analytics_books import books_snapshot
from tests.conftest import EXAMPLE, run_cli


def test_kpis_table_and_json_tell_the_same_figures(write_json):
    path = write_json(books_snapshot(trade_payables="1000", inventory_value="500"))
    table = run_cli("kpis", "--snapshot", path, check=0).stdout
    assert "DSO, standard method               55.3 days" in table
    assert "working capital requirement        2,050.00 = receivables 2,550.00" in table
    assert "c1 Acme" in table and "58.2" in table
    doc = json.loads(run_cli("kpis", "--snapshot", path, "--format", "json", check=0).stdout)
    assert doc["company"]["dso_standard"] == 55.3 and doc["company"]["open_receivables"] == "2550.00"
    assert doc["company"]["ageing"]["1-30"] == "2000.00"
    assert [c["customer_id"] for c in doc["customers"]] == ["c1", "c2", "c3", "c4", "c5"]


def test_kpis_on_a_version_1_snapshot_say_what_cannot_be_computed():
    table = run_cli("kpis", "--snapshot", EXAMPLE, check=0).stdout
    assert "working capital requirement        not computed: the snapshot has no inventory_value and no " \
           "trade_payables" in table
    assert "settled invoices in look-back      0" in table


def test_insured_and_forecast_json(write_json):
    path = write_json(books_snapshot())
    insured = json.loads(run_cli("insured", "--snapshot", path, "--format", "json", check=0).stdout)
    assert insured["totals"]["insured"] == "1900.00" and insured["buyers"][0]["state"] == "above cover"
    table = run_cli("insured", "--snapshot", path, check=0).stdout
    assert "insured book 1,900.00 (what a bank may take as collateral)" in table
    forecast = json.loads(run_cli("forecast", "--snapshot", path, "--format", "json", check=0).stdout)
    assert len(forecast["weeks"]) == 13 and forecast["open"] == "2700.00"
    expected = Decimal(forecast["weeks"][-1]["cumulative"])
    assert 0 < expected <= Decimal(forecast["open"])
    assert abs(expected + Decimal(forecast["later"]) + Decimal(forecast["settled_otherwise"]) - 2700) <= Decimal("0.05")


def test_backtest_compares_two_policies_side_by_side(write_json, tmp_path):
    path = write_json(books_snapshot())
    strict = tmp_path / "strict.yaml"
    strict.write_text("policy: strict\nversion: 2\nrules:\n  - id: any_overdue\n    when: max_days_overdue > 0\n"
                      "    then: {hold: \"Overdue\"}\n")
    proc = run_cli("backtest", "--history", path, "--policy", strict, "--policy",
                   "rules/policies/seed-default.yaml", "--from", "2026-06-01", "--every", "7d", check=0)
    header = proc.stdout.splitlines()[2]
    assert "strict v2" in header and "seed-default v1" in header
    doc = json.loads(run_cli("backtest", "--history", path, "--policy", strict, "--from", "2026-06-01",
                             "--to", "2026-11-26", "--every", "14", "--format", "json", check=0).stdout)
    assert doc["dates"][0] == "2026-06-01" and len(doc["dates"]) == 13
    assert doc["policies"][0]["customers_held"] == 4      # everyone who ever paid late: c1, c3, c4, c5


def test_backtest_refuses_a_replay_past_the_history(write_json):
    path = write_json(books_snapshot())
    proc = run_cli("backtest", "--history", path, "--to", "2027-01-01", check=2)
    assert "--from/--to: the replay runs from" in proc.stderr and "history's as_of 2026-11-26" in proc.stderr
    proc = run_cli("backtest", "--history", path, "--every", "0d", check=2)
    assert "'0d' is not a number of days" in proc.stderr
