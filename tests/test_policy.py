"""Policy files: every problem found at load, with file, line and a suggestion; never half-loaded."""
import json
import textwrap

import pytest

from creditguard.mappings.errors import PolicyError
from creditguard.rules.policy import DEFAULT_POLICY, check_policy, load_policy
from tests.conftest import invoice, make_snapshot, run_cli


def write_policy(tmp_path, body, name="policy.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


GOOD = """\
policy: house
version: 3
params: {ratio: 0.8}
rules:
  - id: limit.near
    when: credit_limit > 0 and exposure > ratio * credit_limit
    then: {flag: "Exposure {exposure} near {credit_limit}"}
"""


def test_the_built_in_policy_loads_and_has_every_rule_of_the_design_table():
    policy = load_policy()
    assert policy.name == "seed-default" and policy.source == str(DEFAULT_POLICY)
    assert [r.id for r in policy.rules] == [
        "credit_limit.exceeded", "credit_limit.near", "overdue.flag", "overdue.extension_exceeded",
        "insurer.overdue_to_declare", "insurer.declared_buyer", "insurer.cover_exceeded", "insurer.cover_refused",
        "insurer.cover_reduced", "insurer.terms_beyond_policy", "insurer.buyer_grade_poor", "country.high_risk", "country.elevated_risk",
        "hold.release"]


def test_a_valid_policy_loads_with_its_params(tmp_path):
    policy = load_policy(write_policy(tmp_path, GOOD))
    assert (policy.name, policy.version, str(policy.params["ratio"])) == ("house", 3, "0.8")


def test_a_misspelt_fact_is_reported_with_file_line_and_suggestion(tmp_path):
    path = write_policy(tmp_path, GOOD.replace("exposure > ratio", "exposre > ratio"))
    _, problems = check_policy(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:6: rule 'limit.near': unknown name 'exposre'")
    assert "did you mean 'exposure'?" in problems[0]


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    path = write_policy(tmp_path, """\
        policy: bad
        version: 1
        rules:
          - id: a.one
            when: exposure > credit_limt
            then: {hold: "x"}
          - id: a.two
            when: exposure
            then: {flag: "x"}
          - id: a.three
            when: overdue_amount > 0
            then: {block: "x"}
          - id: a.four
            when: exposure > 0
            then: {flag: "Exposure {exposur}"}
          - id: a.one
            when: exposure > 1
            then: {flag: "x"}
        """)
    _, problems = check_policy(path)
    text = "\n".join(problems)
    assert f"{path}:5:" in text and "did you mean 'credit_limit'?" in text
    assert f"{path}:8:" in text and "is a number, expected a condition" in text
    assert f"{path}:12:" in text and "unknown action 'block'" in text
    assert f"{path}:15:" in text and "unknown placeholder {exposur}" in text
    assert f"{path}:16:" in text and "'a.one' is already used on line 4" in text
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert len(err.value.problems) == 5


@pytest.mark.parametrize("condition, complaint", [
    ("exposure / 2 > 1", "division is not part of the language"),
    ("max(exposure, 1) > 1", "function calls are not part of the language"),
    ("customer.exposure > 1", "attribute access is not allowed"),
    ("__import__('os') > 1", "function calls"),
    ("cover_status > 1", "compares numbers"),
    ("cover_status in ['aproved']", "unknown status 'aproved' (did you mean 'approved'?)"),
    ("exposure > 1 and", "expected a value"),
    ("on_hold == cover_request_pending", "compares numbers"),
    ("ratio > 0", "reads no fact"),
])
def test_conditions_outside_the_language_are_refused(tmp_path, condition, complaint):
    _, problems = check_policy(write_policy(tmp_path, GOOD.replace(
        "credit_limit > 0 and exposure > ratio * credit_limit", condition)))
    assert problems and complaint in problems[0], problems


def test_a_wrong_type_unknown_key_and_yaml_error_are_reported(tmp_path):
    _, problems = check_policy(write_policy(tmp_path, GOOD.replace("version: 3", "version: three")))
    assert "version" in problems[0] and ":2:" in problems[0]
    _, problems = check_policy(write_policy(tmp_path, GOOD.replace("params:", "parms:")))
    assert "unknown key 'parms' (did you mean 'params'?)" in problems[0]
    _, problems = check_policy(write_policy(tmp_path, GOOD + "  - id: [\n"))
    assert "not valid YAML" in problems[0]


def test_policy_check_command_reports_problems_with_exit_code_2(tmp_path):
    bad = write_policy(tmp_path, GOOD.replace("flag:", "flg:"))
    proc = run_cli("policy", "check", bad)
    assert proc.returncode == 2 and "unknown action 'flg' (did you mean 'flag'?)" in proc.stderr
    assert "Traceback" not in proc.stderr
    ok = run_cli("policy", "check", DEFAULT_POLICY, check=0)
    assert "is valid (14 rules)" in ok.stdout


def test_evaluate_refuses_a_bad_policy_before_reading_anything(tmp_path, write_json):
    bad = write_policy(tmp_path, GOOD.replace("credit_limit > 0", "credit_limit > "))
    proc = run_cli("evaluate", "--snapshot", tmp_path / "missing.json", "--policy", bad)
    assert proc.returncode == 2 and f"{bad}:6:" in proc.stderr and proc.stdout == ""


def test_the_readme_documents_every_fact_a_rule_can_read():
    from creditguard.rules.facts import FACTS
    from tests.conftest import REPO
    readme = (REPO / "README.md").read_text()
    assert [name for name in FACTS if f"| `{name}` |" not in readme] == []


def test_a_money_default_shows_with_cents_like_any_amount(tmp_path):
    from creditguard.mappings.models import Snapshot
    from creditguard.connector.cli.views.evaluation import customer_json
    from creditguard.rules.evaluate import evaluate, make_engine
    from tests.conftest import invoice, make_snapshot
    policy = load_policy(write_policy(tmp_path, GOOD.replace("params: {ratio: 0.8}",
                                                             "params: {ratio: 0.8}\ndefaults: {discretionary_limit: 5000}")
                                      .replace("credit_limit > 0 and exposure > ratio * credit_limit",
                                               "exposure > discretionary_limit")))
    snapshot = Snapshot.model_validate(make_snapshot([{"id": "c1", "name": "One"}], [invoice(1, residual="6000")]))
    result, = evaluate(policy, snapshot, make_engine("durable", policy)[0])
    doc = customer_json(result)
    assert doc["facts"]["discretionary_limit"] == "5000.00" and doc["status"] == "flag"


def test_policy_check_reports_every_problem_of_one_condition(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("policy: p\nversion: 1\nrules:\n  - id: a.b\n    when: exposre > 1 and credt_limit > 2\n"
                    "    then: {flag: x}\n")
    proc = run_cli("policy", "check", path)
    assert proc.returncode == 2
    assert "unknown name 'exposre'" in proc.stderr and "unknown name 'credt_limit'" in proc.stderr
    assert "2 problems" in proc.stderr


@pytest.mark.parametrize("condition, message", [
    ("exposure in [1, 2]", "'in [...]' lists texts in quotes"),
    ("exposure > 1e400", "write numbers in full, without an exponent"),
    ("country == 'Turkey'", "'Turkey' is not a country code (e.g. 'TR')"),
])
def test_conditions_a_credit_manager_might_write_get_a_plain_message(tmp_path, condition, message):
    path = tmp_path / "p.yaml"
    path.write_text(f"policy: p\nversion: 1\nrules:\n  - id: a.b\n    when: \"{condition}\"\n    then: {{flag: x}}\n")
    proc = run_cli("policy", "check", path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_stricter_limit_for_one_country(write_json, tmp_path):
    policy = tmp_path / "turkey.yaml"
    policy.write_text("policy: turkey\nversion: 1\nrules:\n  - id: country.tr_limit\n"
                      "    when: country == 'TR' and exposure > 0.5 * credit_limit\n"
                      "    then: {hold: \"Turkey: exposure {exposure} above half the limit\"}\n")
    customers = [{"id": "1", "name": "Ege", "country": "TR", "credit_limit": "1000"},
                 {"id": "2", "name": "Berlin", "country": "DE", "credit_limit": "1000"},
                 {"id": "3", "name": "Nowhere", "credit_limit": "1000"}]
    invoices = [invoice(i, str(i), "600", "2026-11-30") for i in (1, 2, 3)]
    for engine in ("python", "durable"):
        out = json.loads(run_cli("evaluate", "--snapshot", write_json(make_snapshot(customers, invoices)), "--policy",
                                 policy, "--format", "json", "--engine", engine, check=0).stdout)
        assert [c["status"] for c in out["customers"]] == ["hold", "ok", "ok"]
