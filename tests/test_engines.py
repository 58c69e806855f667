"""The durable-rules engine and the plain-Python engine agree; the compiler's output is what we expect."""
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditguard.rules import expr
from creditguard.rules.compiler import compile_ruleset
from creditguard.rules.durable_engine import DurableEngine
from creditguard.rules.evaluate import numeric_view
from creditguard.rules.facts import COVER_STATUS_FACT, FACTS
from creditguard.rules.policy import Action, Policy, Rule, load_policy
from creditguard.rules.pyengine import PythonEngine
from tests.conftest import needs_durable

NUMBER_FACTS = [n for n, s in FACTS.items() if s.type == "number"]
BOOL_FACTS = [n for n, s in FACTS.items() if s.type == "bool"]
PARAMS = {"p_ratio": Decimal("0.9"), "p_days": Decimal("30"), "p_big": Decimal("10000"), "p_yes": True}
POOL = [0.0, 1.0, 2.0, 0.9, 1.25, 30.0, 60.0, 100.0, 1000.0, 9000.0, 10000.0, 11000.0, -1.0, 0.1, 0.2, 0.3]


def policy_of(*conditions, defaults=None):
    rules = tuple(Rule(id=f"r.n{i}", when_text=expr.to_text(c), when=c, actions=(Action(kind="flag", message="x"),))
                  for i, c in enumerate(conditions))
    return Policy(name="prop", version=1, rules=rules, params=PARAMS, defaults=defaults or {})


# --- compiler output ----------------------------------------------------------------------------

def compiled(text, **kw):
    return compile_ruleset(policy_of(expr.parse(text), **kw))["r0"]["all"][0]["m"]


def test_a_comparison_of_two_facts_compiles_to_a_field_reference():
    assert compiled("credit_limit > 0 and exposure > credit_limit") == {"$and": [
        {"cg_fact": 1.0}, {"$gt": {"credit_limit": 0.0}}, {"$gt": {"exposure": {"$m": "credit_limit"}}}]}


def test_params_become_float_constants_and_arithmetic_moves_to_the_right():
    assert compiled("p_ratio * credit_limit < exposure") == {"$and": [
        {"cg_fact": 1.0}, {"$gt": {"exposure": {"$mul": {"$l": 0.9, "$r": {"$m": "credit_limit"}}}}}]}
    assert compiled("exposure + overdue_amount > 2 * credit_limit") == {"$and": [{"cg_fact": 1.0}, {"$lt": {
        "cg_zero": {"$sub": {"$l": {"$add": {"$l": {"$m": "exposure"}, "$r": {"$m": "overdue_amount"}}},
                             "$r": {"$mul": {"$l": 2.0, "$r": {"$m": "credit_limit"}}}}}}}]}


def test_not_is_pushed_down_and_absent_facts_are_guarded():
    assert compiled("not (country_risk >= 7)") == {"$and": [
        {"cg_fact": 1.0}, {"$or": [{"cg_set_country_risk": 0.0}, {"$lt": {"country_risk": 7.0}}]}]}
    assert compiled("country_risk >= 7") == {"$and": [
        {"cg_fact": 1.0}, {"cg_set_country_risk": 1.0}, {"$gte": {"country_risk": 7.0}}]}


def test_a_fact_with_a_policy_default_needs_no_guard():
    assert compiled("max_days_overdue > max_extension_days", defaults={"max_extension_days": Decimal(60)}) == \
        {"$and": [{"cg_fact": 1.0}, {"$gt": {"max_days_overdue": {"$m": "max_extension_days"}}}]}


def test_status_lists_and_bool_facts():
    assert compiled("not on_hold and cover_status not in ['refused', 'expired']") == {"$and": [
        {"cg_fact": 1.0}, {"on_hold": 0.0}, {"$neq": {"cover_status": "refused"}},
        {"$neq": {"cover_status": "expired"}}]}


def test_a_condition_that_can_never_hold_is_left_out_of_the_ruleset():
    policy = policy_of(expr.parse("exposure > 0 and p_days < 1"), expr.parse("exposure > 0"))
    assert list(compile_ruleset(policy)) == ["r1"]


# --- the two engines agree ---------------------------------------------------------------------

COUNTRIES = ("DE", "TR", "US")


def number_exprs():
    leaf = st.one_of(st.sampled_from(NUMBER_FACTS).map(expr.Name),
                     st.sampled_from(["p_ratio", "p_days", "p_big"]).map(expr.Name),
                     st.sampled_from(["0", "1", "0.9", "1.25", "30", "10000"]).map(lambda t: expr.Num(Decimal(t))))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(expr.Arith, st.sampled_from("+-*"), inner, inner), st.builds(expr.Neg, inner)), max_leaves=4)


def conditions():
    atom = st.one_of(
        st.builds(expr.Compare, st.sampled_from(list(expr.FLIP)), number_exprs(), number_exprs()),
        st.builds(expr.InList, st.just(expr.Name("cover_status")),
                  st.lists(st.sampled_from(COVER_STATUS_FACT), min_size=1, max_size=3, unique=True).map(tuple),
                  st.booleans()),
        st.builds(expr.Compare, st.sampled_from(["==", "!="]), st.just(expr.Name("cover_status")),
                  st.sampled_from(COVER_STATUS_FACT).map(expr.Str)),
        st.builds(expr.InList, st.just(expr.Name("country")),
                  st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True).map(tuple), st.booleans()),
        st.builds(expr.Compare, st.sampled_from(["==", "!="]), st.just(expr.Name("country")),
                  st.sampled_from(COUNTRIES).map(expr.Str)),
        st.sampled_from(BOOL_FACTS).map(expr.Name),
        st.builds(expr.Compare, st.sampled_from(["==", "!="]), st.sampled_from(BOOL_FACTS).map(expr.Name),
                  st.booleans().map(expr.Bool)),
        st.just(expr.Name("p_yes")),
    )
    return st.recursive(atom, lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: expr.And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: expr.Or(tuple(xs))),
        st.builds(expr.Not, inner)), max_leaves=6)


def views():
    def value(name):
        spec = FACTS[name]
        if spec.type == "number":
            base = st.sampled_from(POOL) | st.floats(-1e6, 1e6, allow_nan=False)
            return (st.none() | base) if spec.nullable else base
        if spec.type == "bool":
            return st.booleans()
        if name == "cover_status":
            return st.sampled_from(COVER_STATUS_FACT)
        if name == "country":
            return st.none() | st.sampled_from(COUNTRIES)
        return st.none()
    return st.fixed_dictionaries({name: value(name) for name in FACTS})


@needs_durable
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conditions(), min_size=1, max_size=4), st.lists(views(), min_size=1, max_size=8))
def test_durable_rules_and_python_fire_the_same_rules(conds, facts_list):
    policy = policy_of(*conds)
    durable, python = DurableEngine(policy), PythonEngine(policy)
    for facts in facts_list:
        view = numeric_view(facts)
        assert durable.fired(view) == python.fired(view), [expr.to_text(c) for c in conds]


@needs_durable
def test_a_rule_with_or_fires_once_even_when_both_branches_hold():
    policy = policy_of(expr.parse("exposure > 1 or credit_limit > 1"))
    view = numeric_view({**{n: None for n in FACTS}, **{n: 5.0 for n in NUMBER_FACTS},
                         **{n: False for n in BOOL_FACTS}, "cover_status": "none"})
    assert DurableEngine(policy).fired(view) == [0]


@needs_durable
def test_both_engines_agree_on_the_built_in_policy_over_the_example(tmp_path):
    from creditguard.mappings.snapshot import load_snapshot
    from creditguard.rules.evaluate import evaluate
    from tests.conftest import EXAMPLE
    policy, snapshot = load_policy(), load_snapshot(EXAMPLE)
    by_durable = [(r.customer_id, r.decisions) for r in evaluate(policy, snapshot, DurableEngine(policy))]
    by_python = [(r.customer_id, r.decisions) for r in evaluate(policy, snapshot, PythonEngine(policy))]
    assert by_durable == by_python and sum(len(d) for _, d in by_durable) > 10


@needs_durable
def test_the_durable_engine_refuses_a_fact_that_is_not_a_float():
    from creditguard.rules.durable_engine import EngineError
    engine = DurableEngine(policy_of(expr.parse("exposure > 1")))
    view = numeric_view({**{n: None for n in FACTS}, **{n: 5.0 for n in NUMBER_FACTS},
                         **{n: False for n in BOOL_FACTS}, "cover_status": "none"})
    view["exposure"] = "5000"   # a string would be compared as text by durable-rules
    with pytest.raises(EngineError):
        engine.fired(view)


@needs_durable
def test_tiny_and_huge_amounts_reach_durable_rules_without_exponents():
    # durable-rules' JSON parser has no exponents: 1e-05 used to be refused with error 204
    policy = policy_of(expr.parse("exposure > credit_limit"))
    engine = DurableEngine(policy)
    base = {**{n: None for n in FACTS}, **{n: 0.0 for n in NUMBER_FACTS}, **{n: False for n in BOOL_FACTS},
            "cover_status": "none"}
    assert engine.fired(numeric_view({**base, "exposure": 2e-05, "credit_limit": 1e-05})) == [0]
    assert engine.fired(numeric_view({**base, "exposure": 1e17, "credit_limit": 2e17})) == []


def test_where_durable_rules_cannot_run_the_python_engine_stands_in(monkeypatch):
    from creditguard.rules import durable_engine
    from creditguard.rules.evaluate import make_engine
    monkeypatch.setattr(durable_engine, "_engine", None)
    monkeypatch.setattr(durable_engine, "IMPORT_ERROR", ImportError("undefined symbol: PyEval_CallObject"))
    engine, warning = make_engine("durable", load_policy())
    assert isinstance(engine, PythonEngine)
    assert "durable-rules cannot run here" in warning and "PyEval_CallObject" in warning
