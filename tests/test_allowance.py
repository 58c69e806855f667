"""The order allowance (docs/allowance.md): raised by exactly its allowance a customer is not held, by one cent
more it is; the same for flags; both engines give the same allowance to the cent."""
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditguard.mappings.models import Snapshot
from creditguard.rules.evaluate import evaluate, make_engine
from creditguard.rules.policy import check_policy, load_policy
from tests.conftest import POLICY_TERMS, invoice, make_snapshot, needs_durable, order

CENT = Decimal("0.01")

# rule kinds whose condition depends on exposure: limit, cover, cover share, grade and country combinations,
# overdue + exposure, a rule that stops firing as exposure grows, a window, sums and products that round
AMOUNTS = ["0", "500", "999.99", "1000", "2500", "7000", "10000", "12345.67"]
RATIOS = ["0.5", "0.9", "1", "1.1", "1.25", "0.333"]
TEMPLATES = [
    "credit_limit > 0 and exposure > {r} * credit_limit",
    "credit_limit > 0 and {r} * credit_limit < exposure <= credit_limit",
    "exposure > insured_cover and exposure > discretionary_limit",
    "uninsured_exposure > {a}",
    "insured_cover > 0 and exposure > {r} * insured_cover",
    "cover_status in ['refused', 'cancelled', 'expired'] and exposure > discretionary_limit",
    "buyer_grade >= {g} and exposure > {a}",
    "country == 'TR' and exposure > {r} * credit_limit",
    "country_risk >= {g} and uninsured_exposure > {a}",
    "max_days_overdue > {d} and exposure > {a}",
    "orders_to_invoice > {a} or exposure > {r} * credit_limit + {a}",
    "exposure < {a}",
    "not (exposure <= {a}) and credit_limit > 0",
    "{a} < exposure and exposure < {a} + 100",
    "exposure * {r} + orders_to_invoice * 0.3 > credit_limit",
    "exposure * exposure > {a} * 1000",
    "overdue_amount + exposure - open_receivables > {a}",
]


@st.composite
def policies(draw):
    rules = []
    for n in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(TEMPLATES)).format(
            r=draw(st.sampled_from(RATIOS)), a=draw(st.sampled_from(AMOUNTS)), g=draw(st.integers(3, 8)),
            d=draw(st.sampled_from([0, 30, 60])))
        kind = draw(st.sampled_from(["hold", "flag"]))
        rules.append(f"  - id: r.n{n}\n    when: \"{text}\"\n    then: {{{kind}: \"r{n}\"}}\n")
    return "policy: prop\nversion: 1\nrules:\n" + "".join(rules)


money = st.sampled_from(AMOUNTS + ["0.01", "33.33", "9999.99", "10000.01"]) | \
    st.decimals(0, 50000, places=2, allow_nan=False, allow_infinity=False).map(str)


@st.composite
def customers(draw):
    customer = {"id": "c1", "name": "One", "credit_limit": draw(money),
                "country": draw(st.sampled_from(["DE", "TR", "US", None])),
                "buyer_grade": draw(st.none() | st.integers(1, 10))}
    if draw(st.booleans()):
        customer["insurer_cover"] = {"amount": draw(money), "currency": "EUR",
                                     "status": draw(st.sampled_from(["approved", "partial", "refused", "expired"])),
                                     "valid_until": None, "request_pending": False}
    invoices = [invoice(i, residual=draw(money), due=draw(st.sampled_from(["2026-12-01", "2026-10-01", "2026-08-01"])),
                        kind=draw(st.sampled_from(["invoice", "invoice", "credit_note"])))
                for i in range(draw(st.integers(0, 3)))]
    orders = [order(10 + i, to_invoice=draw(money)) for i in range(draw(st.integers(0, 2)))]
    return customer, invoices, orders


def _snapshot(customer, invoices, orders, extra=None):
    orders = list(orders) + ([order(99, to_invoice=str(extra))] if extra is not None else [])
    return Snapshot.model_validate(make_snapshot([customer], invoices, orders, policy_terms=POLICY_TERMS,
                                                 country_risk={"TR": 6, "US": 2, "DE": 0}))


def _result(policy, engine, customer, invoices, orders, extra=None):
    [result] = evaluate(policy, _snapshot(customer, invoices, orders, extra), engine)
    return result


def _fires(result, kind):
    return any(d.action == kind for d in result.decisions)


def _policy(tmp_path, text):
    path = tmp_path / "prop.yaml"
    path.write_text(text)
    policy, problems = check_policy(path)
    assert not problems, problems
    return policy


def _check_engine(policy, engine_name, case):
    engine, _ = make_engine(engine_name, policy)
    result = _result(policy, engine, *case)
    for kind in ("hold", "flag"):
        bound = getattr(result.allowance, kind)
        if _fires(result, kind):
            assert bound.amount == 0, (kind, bound)
            continue
        if not bound.limited:
            # no limit: no amount up to a large order makes a rule of this kind fire
            for amount in (Decimal("0.01"), Decimal("1000000.00")):
                assert not _fires(_result(policy, engine, *case, extra=amount), kind), (kind, amount)
            continue
        assert bound.amount >= 0
        # an order of exactly the allowance is accepted, one cent more fires the rule named
        assert not _fires(_result(policy, engine, *case, extra=bound.amount), kind), (kind, bound)
        above = _result(policy, engine, *case, extra=bound.amount + CENT)
        assert _fires(above, kind), (kind, bound)
        assert bound.rule in {d.rule for d in above.decisions if d.action == kind}
    return result.allowance


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(policies(), customers())
def test_raised_by_the_allowance_not_held_one_cent_more_held_python(tmp_path, text, case):
    _check_engine(_policy(tmp_path, text), "python", case)


@needs_durable
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(policies(), customers())
def test_durable_rules_gives_the_same_allowance_to_the_cent(tmp_path, text, case):
    policy = _policy(tmp_path, text)
    assert _check_engine(policy, "durable", case) == _check_engine(policy, "python", case)


# --- the built-in policy, as a credit manager reads it ----------------------------------------------------

def _seed(customer, invoices=(), orders=()):
    policy = load_policy()
    engine, _ = make_engine("python", policy)
    return _result(policy, engine, customer, invoices, orders)


def test_the_credit_limit_bounds_the_allowance_and_the_near_limit_the_flag_allowance():
    result = _seed({"id": "c1", "name": "Bolt", "credit_limit": "10000"}, [invoice(1, residual="7700", due="2026-12-20")])
    assert result.status == "ok"
    assert result.allowance.hold.amount == Decimal("2300.00")
    assert result.allowance.hold.rule == "credit_limit.exceeded"
    assert result.allowance.hold.bound == "its credit limit 10,000.00"
    assert result.allowance.flag.amount == Decimal("1300.00")          # 90 % of 10,000 is 9,000
    assert result.allowance.flag.rule == "credit_limit.near"


def test_a_held_customer_has_no_allowance_and_one_without_limiting_rule_has_no_limit():
    held = _seed({"id": "c1", "name": "Bolt", "credit_limit": "1000"}, [invoice(1, residual="1500", due="2026-12-20")])
    assert held.status == "hold" and held.allowance.hold.amount == 0
    free = _seed({"id": "c1", "name": "Free"}, [invoice(1, residual="1500", due="2026-12-20")])
    assert not free.allowance.hold.limited and free.allowance.hold.show() == "no limit"


def test_a_hold_rule_that_does_not_read_exposure_gives_zero_when_it_fires_and_no_limit_otherwise(tmp_path):
    policy = _policy(tmp_path, "policy: p\nversion: 1\nrules:\n  - id: late\n    when: max_days_overdue > 30\n"
                               "    then: {hold: late}\n")
    engine, _ = make_engine("python", policy)
    late = _result(policy, engine, {"id": "c1", "name": "A"}, [invoice(1, due="2026-08-01")], [])
    assert late.allowance.hold.amount == 0 and late.allowance.hold.rule == "late"
    fine = _result(policy, engine, {"id": "c1", "name": "A"}, [invoice(1, due="2026-12-01")], [])
    assert not fine.allowance.hold.limited


@pytest.mark.parametrize("engine", ["python", pytest.param("durable", marks=needs_durable)])
def test_explain_shows_the_allowance_and_the_rule_that_bounds_it(write_json, engine):
    from tests.conftest import run_cli
    path = write_json(make_snapshot([{"id": "c1", "name": "Bolt", "credit_limit": "10000"}],
                                    [invoice(1, residual="8750", due="2026-12-20")]))
    out = run_cli("explain", "--snapshot", path, "--engine", engine, "c1", check=0).stdout
    assert "allowance 1,250.00 (credit_limit.exceeded)" in out
    js = run_cli("evaluate", "--snapshot", path, "--engine", engine, "--format", "json", check=0).stdout
    assert '"allowance": {"amount": "1250.00", "rule": "credit_limit.exceeded"' in js
