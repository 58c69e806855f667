"""One readable scenario per rule of seed-default (tests/scenarios/*.yaml), on both engines."""
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from creditguard.mappings.models import Snapshot
from creditguard.rules.evaluate import evaluate, make_engine
from creditguard.rules.policy import load_policy
from tests.conftest import POLICY_TERMS, invoice, make_snapshot, needs_durable, order

SCENARIOS = sorted(Path(__file__).parent.glob("scenarios/*.yaml"))
COUNTRY_RISK = {"VE": 7, "TR": 5, "EG": 6, "BR": 4, "DE": 0}
POLICY = load_policy()


def cases():
    for path in SCENARIOS:
        for case in yaml.safe_load(path.read_text()):
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


def snapshot_of(case) -> Snapshot:
    spec = dict(case["customer"])
    customer = {"id": "c1", "name": "Scenario customer", "country": spec.pop("country", "DE")}
    cover = spec.pop("cover", None)
    if cover:
        customer["insurer_cover"] = {"currency": "EUR", **cover}
    customer.update(spec)
    invoices = [invoice(i, **inv) for i, inv in enumerate(case.get("invoices", []))]
    orders = [order(i, **o) for i, o in enumerate(case.get("orders", []))]
    terms = None if case.get("policy_terms") == "none" else POLICY_TERMS
    return Snapshot.model_validate(make_snapshot([customer], invoices, orders, policy_terms=terms,
                                                 country_risk=COUNTRY_RISK))


@pytest.mark.parametrize("engine_name", [pytest.param("durable", marks=needs_durable), "python"])
@pytest.mark.parametrize("case", list(cases()))
def test_scenario(case, engine_name):
    engine, _ = make_engine(engine_name, POLICY)
    result, = evaluate(POLICY, snapshot_of(case), engine)
    expected = []
    for rule, actions in case["expect"]["decisions"].items():
        expected += [(rule, a) for a in (actions if isinstance(actions, list) else [actions])]
    assert [(d.rule, d.action) for d in result.decisions] == expected
    assert result.status == case["expect"]["status"]
    requests = [d.amount for d in result.decisions if d.action == "request_limit"]
    assert requests == ([Decimal(case["expect"]["amount"])] if "amount" in case["expect"] else [])
    assert all(d.message and "{" not in d.message for d in result.decisions)


def test_every_rule_of_the_built_in_policy_has_a_scenario():
    covered = {rule for param in cases() for rule in param.values[0]["expect"]["decisions"]}
    assert covered == {rule.id for rule in POLICY.rules}
