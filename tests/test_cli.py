"""`creditguard evaluate`, `explain` and bad snapshots, end to end through the real command."""
import json

import pytest

from tests.conftest import EXAMPLE, invoice, make_snapshot, needs_durable, run_cli

FACT_NAMES = {"open_receivables", "overdue_amount", "max_days_overdue", "orders_to_invoice", "exposure",
              "credit_limit", "insured_cover", "uninsured_exposure", "payment_term_days", "cover_status",
              "country_risk"}


def evaluate_json(*args):
    proc = run_cli("evaluate", "--format", "json", *args, check=0)
    return json.loads(proc.stdout)


def test_json_output_follows_the_contract_for_the_example():
    doc = evaluate_json("--snapshot", EXAMPLE)
    assert set(doc) == {"as_of", "policy", "customers"}
    assert doc["as_of"] == "2026-11-26" and doc["policy"] == {"name": "seed-default", "version": 1}
    source = json.loads(EXAMPLE.read_text())
    assert [c["customer_id"] for c in doc["customers"]] == [c["id"] for c in source["customers"]]
    for customer in doc["customers"]:
        assert set(customer) == {"customer_id", "status", "facts", "decisions", "allowance", "flag_allowance"}
        assert FACT_NAMES <= set(customer["facts"])
        assert customer["status"] in ("hold", "flag", "ok")
        for decision in customer["decisions"]:
            assert {"rule", "action", "message", "facts"} <= set(decision)
            assert ("amount" in decision) == (decision["action"] == "request_limit")
            assert set(decision["facts"]) <= set(customer["facts"])
    bolt = next(c for c in doc["customers"] if c["customer_id"] == "43")
    assert bolt["status"] == "hold"
    assert bolt["facts"]["exposure"] == "11000.00" and bolt["facts"]["credit_limit"] == "10000.00"
    assert bolt["decisions"] == [{"rule": "credit_limit.exceeded", "action": "hold",
                                  "message": "Exposure 11,000.00 exceeds credit limit 10,000.00",
                                  "facts": {"credit_limit": "10000.00", "exposure": "11000.00"}}]
    ege = next(c for c in doc["customers"] if c["customer_id"] == "46")
    request = next(d for d in ege["decisions"] if d["action"] == "request_limit")
    assert request["amount"] == "15000.00" and request["rule"] == "insurer.cover_exceeded"


@needs_durable
def test_both_engines_print_the_same_json():
    durable = run_cli("evaluate", "--format", "json", "--snapshot", EXAMPLE, check=0).stdout
    python = run_cli("evaluate", "--format", "json", "--snapshot", EXAMPLE, "--engine", "python", check=0).stdout
    assert durable == python


def test_the_table_shows_each_customer_with_status_and_reasons():
    out = run_cli("evaluate", "--snapshot", EXAMPLE, check=0).stdout
    assert "43 Bolt SARL" in out and "HOLD" in out
    assert "Exposure 11,000.00 exceeds credit limit 10,000.00" in out
    assert "10 customers: 4 on hold, 4 flagged, 2 ok" in out


def test_the_console_script_is_installed():
    import subprocess
    import sys
    from pathlib import Path
    exe = Path(sys.executable).parent / "creditguard"
    if not exe.exists():
        pytest.skip("the tests run outside the venv the project was installed in")
    proc = subprocess.run([exe, "evaluate", "--snapshot", str(EXAMPLE)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "on hold" in proc.stdout


def test_as_of_moves_the_ageing():
    later = evaluate_json("--snapshot", EXAMPLE, "--as-of", "2027-03-01")
    assert later["as_of"] == "2027-03-01"
    acme = next(c for c in later["customers"] if c["customer_id"] == "42")
    assert acme["facts"]["max_days_overdue"] == 81 and acme["status"] == "hold"


def test_explain_shows_facts_and_every_rule_with_the_values_it_read():
    out = run_cli("explain", "--snapshot", EXAMPLE, "43", check=0).stdout
    assert "Customer 43 Bolt SARL: status HOLD" in out
    assert "exposure                    11,000.00" in out
    assert "[FIRED] credit_limit.exceeded -> hold" in out
    assert "when credit_limit (10,000.00) > 0 and exposure (11,000.00) > credit_limit (10,000.00)" in out
    assert "[   no] overdue.flag -> flag" in out
    assert out.count("] ") >= 11


def test_explain_an_unknown_customer_is_bad_input():
    proc = run_cli("explain", "--snapshot", EXAMPLE, "9999")
    assert proc.returncode == 2 and "no customer with id '9999'" in proc.stderr


@pytest.mark.parametrize("mutate, culprit", [
    (lambda d: d["invoices"][0].update(amount_residual="12,5O"), "invoices[id=1].amount_residual"),
    (lambda d: d["invoices"][0].update(currency="CHF"), "invoices[id=1].currency: no exchange rate for "
                                                        "currency 'CHF'"),
    (lambda d: d["invoices"][0].update(customer_id="77"), "invoices[id=1].customer_id: customer '77' is not in"),
    (lambda d: d["customers"][0].update(credit_limt="5"), "customers[id=c1].credit_limt"),
    (lambda d: d["invoices"][0].update(state="open"), "invoices[id=1].state"),
    (lambda d: d["invoices"][0].update(due_date="2026-02-30"), "invoices[id=1].due_date"),
    (lambda d: d["invoices"].append(dict(d["invoices"][0])), "invoices[id=1].id: duplicate invoice id"),
    (lambda d: d.update(format="creditguard-snapshot/2"), "format: unknown format"),
    (lambda d: d.pop("as_of"), "as_of"),
])
def test_a_bad_snapshot_fails_with_exit_2_naming_the_record_and_field(write_json, mutate, culprit):
    doc = make_snapshot([{"id": "c1", "name": "One"}], [invoice(1)])
    mutate(doc)
    path = write_json(doc)
    proc = run_cli("evaluate", "--snapshot", path)
    assert proc.returncode == 2, proc.stderr
    assert culprit in proc.stderr and str(path) in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_truncated_or_missing_file_is_bad_input(write_json, tmp_path):
    path = write_json(EXAMPLE.read_text()[:500])
    proc = run_cli("evaluate", "--snapshot", path)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    proc = run_cli("evaluate", "--snapshot", tmp_path / "nope.json")
    assert proc.returncode == 2 and "cannot read the snapshot" in proc.stderr


def test_a_misspelt_command_or_choice_gets_the_close_one_suggested():
    proc = run_cli("evalute", "--snapshot", "examples/snapshot.json")
    assert proc.returncode == 2 and "did you mean 'evaluate'?" in proc.stderr
    proc = run_cli("kpis", "--snapshot", "examples/snapshot.json", "--format", "jsn")
    assert proc.returncode == 2 and "did you mean 'json'?" in proc.stderr
    assert "did you mean" not in run_cli("zzzz").stderr
