"""Input checks the snapshot contract and the command line imply: each bad input exits 2 with what, where and
what to do; the conveniences a user expects (a built-in policy by name, standard input and output) work."""
import json

import pytest

from creditguard.connector.config import load_config
from creditguard.connector.cycle.store import Store
from creditguard.mappings.errors import ConfigError
from tests.conftest import EXAMPLE, invoice, make_snapshot, run_cli

CUSTOMER = {"id": "c1", "name": "Acme", "credit_limit": "1000"}


@pytest.mark.parametrize("residual, total", [("-5", "100"), ("150", "100")], ids=["below zero", "above the total"])
def test_a_residual_outside_zero_and_the_total_is_refused(write_json, residual, total):
    doc = make_snapshot([CUSTOMER], [invoice(7, residual=residual, amount_total=total)])
    proc = run_cli("evaluate", "--snapshot", write_json(doc))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "invoices[id=7].amount_residual" in proc.stderr and "not between 0 and the total" in proc.stderr


@pytest.mark.parametrize("customer, field", [
    ({"credit_limit": "-1000"}, "customers[id=c1].credit_limit"),
    ({"insurer_cover": {"amount": "-5", "currency": "EUR", "status": "approved"}}, "customers[id=c1].insurer_cover.amount"),
], ids=["credit limit", "cover"])
def test_a_negative_limit_or_cover_is_refused_naming_the_record_and_field(write_json, customer, field):
    doc = make_snapshot([{**CUSTOMER, **customer}], [invoice(7)])
    proc = run_cli("evaluate", "--snapshot", write_json(doc))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stdout == ""
    assert f"{field}: Input should be greater than or equal to 0" in proc.stderr
    assert "cannot be negative: correct it where it comes from" in proc.stderr


def test_a_credit_note_written_negative_is_fine(write_json):
    doc = make_snapshot([CUSTOMER], [invoice(7, residual="-50", amount_total="-80", kind="credit_note")])
    assert run_cli("evaluate", "--snapshot", write_json(doc)).returncode == 0


def test_a_snapshot_without_format_is_refused_with_the_line_to_add(write_json):
    doc = make_snapshot([CUSTOMER])
    del doc["format"]
    proc = run_cli("evaluate", "--snapshot", write_json(doc))
    assert proc.returncode == 2 and "format: the snapshot has no format" in proc.stderr
    assert '"format": "creditguard-snapshot/1"' in proc.stderr


def test_a_json_list_is_not_a_snapshot(write_json):
    proc = run_cli("evaluate", "--snapshot", write_json([make_snapshot([CUSTOMER])]))
    assert proc.returncode == 2 and "must be a JSON object" in proc.stderr and "not a list" in proc.stderr


@pytest.mark.parametrize("jobs", ["0", "-2", "two"])
def test_jobs_must_be_one_or_more(jobs):
    proc = run_cli("evaluate", "--snapshot", EXAMPLE, "--jobs", jobs)
    assert proc.returncode == 2 and "1 or more" in proc.stderr


def test_the_built_in_policy_by_name():
    by_name = run_cli("evaluate", "--snapshot", EXAMPLE, "--policy", "seed-default", "--format", "json", check=0)
    default = run_cli("evaluate", "--snapshot", EXAMPLE, "--format", "json", check=0)
    assert by_name.stdout == default.stdout
    unknown = run_cli("evaluate", "--snapshot", EXAMPLE, "--policy", "no-such-policy")
    assert unknown.returncode == 2 and "no-such-policy" in unknown.stderr


def test_a_snapshot_from_standard_input():
    proc = run_cli("evaluate", "--snapshot", "-", "--format", "json", stdin=EXAMPLE.read_text(), check=0)
    assert json.loads(proc.stdout)["customers"]
    bad = run_cli("evaluate", "--snapshot", "-", stdin="[]")
    assert bad.returncode == 2 and bad.stderr.startswith("error: <stdin>:")


def config_file(tmp_path, erp="", insurance=""):
    path = tmp_path / "cg.toml"
    path.write_text(f'[erp]\nkind = "tryton"\nurl = "http://127.0.0.1:8000"\ndatabase = "d"\nuser = "u"\n'
                    f'password = "p"\n{erp}\n[store]\npath = "store.sqlite"\n{insurance}')
    return path


def test_an_erp_url_with_a_path_is_named(tmp_path):
    path = config_file(tmp_path)
    path.write_text(path.read_text().replace('"http://127.0.0.1:8000"', '"http://127.0.0.1:8000/web/login"'))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "has a path" in error.value.message and 'url = "http://127.0.0.1:8000"' in error.value.hint


def test_a_misspelt_insurance_key_is_an_unknown_key(tmp_path):
    path = config_file(tmp_path, insurance='[insurance]\nmax_credit_period_days = 90\nmax_extention_days = 60\n'
                                           'overdue_notification_days = 60\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert error.value.message == "unknown key 'max_extention_days'"
    assert "did you mean 'max_extension_days'" in error.value.hint


def synced_store(tmp_path):
    with Store(tmp_path / "store.sqlite") as store, store.transaction():
        store.replace_source("company", "1", [{"id": "1", "name": "Test Co", "currency": "EUR"}])
        store.replace_source("customers", "5", [{"id": "5", "name": "Acme"}])
    return config_file(tmp_path)


def test_snapshot_to_standard_output(tmp_path):
    config = synced_store(tmp_path)
    proc = run_cli("snapshot", "--config", config, "-o", "-", check=0)
    assert json.loads(proc.stdout)["customers"][0]["name"] == "Acme"
    assert not (tmp_path / "-").exists()


def test_snapshot_to_a_file_writes_it_whole(tmp_path):
    config = synced_store(tmp_path)
    target = tmp_path / "snap.json"
    proc = run_cli("snapshot", "--config", config, "-o", target, check=0)
    assert "with 1 customer, 0 invoices, 0 orders" in proc.stdout
    assert json.loads(target.read_text())["format"] == "creditguard-snapshot/1"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
