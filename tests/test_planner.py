"""Write planning: decisions against the ERP's current hold state -> the writes a cycle must do."""
from decimal import Decimal

from creditguard.connector.cycle.planner import needs_state, plan_writes
from creditguard.connector.erp.contract import HoldState
from creditguard.rules.evaluate import CustomerResult, Decision


def decision(action, rule, message, customer="5", amount=None):
    return Decision(customer_id=customer, rule=rule, action=action, message=message, facts={}, policy="seed-default",
                    policy_version=1, amount=amount)


HOLD_A = decision("hold", "credit_limit.exceeded", "Exposure 1,500.00 exceeds credit limit 1,000.00")
HOLD_B = decision("hold", "overdue.extension_exceeded", "Overdue 70 days")
FLAG = decision("flag", "overdue.flag", "Oldest overdue invoice is 70 days past due")
RELEASE = decision("release", "hold.release", "No hold rule applies any more: release the hold")
REQUEST = decision("request_limit", "insurer.cover_exceeded", "request a cover of 2,000", amount=Decimal(2000))


def plan(*decisions, state=None, episodes=None):
    result = CustomerResult(customer_id="5", name="Acme", facts={}, decisions=tuple(decisions))
    return plan_writes([result], {"5": state} if state else {}, episodes or {}, today="2026-11-27", cycle="c1")


def test_a_new_hold_is_placed_with_every_reason_and_rule():
    [write] = plan(HOLD_A, HOLD_B, state=HoldState(on_hold=False)).writes
    assert write.operation == "place_hold" and write.key == "c1/place_hold/5"
    assert write.payload == {"reason": f"{HOLD_A.message}; {HOLD_B.message}",
                             "rules": "credit_limit.exceeded, overdue.extension_exceeded"}


def test_a_hold_already_in_the_erp_is_not_written_again():
    state = HoldState(on_hold=True, reason=HOLD_A.message, rules="credit_limit.exceeded")
    result = plan(HOLD_A, state=state)
    assert result.writes == [] and result.unchanged == 1


def test_a_hold_whose_numbers_moved_is_not_rewritten():
    state = HoldState(on_hold=True, reason="Exposure 1,200.00 exceeds credit limit 1,000.00",
                      rules="credit_limit.exceeded")
    result = plan(HOLD_A, state=state)
    assert result.writes == [] and result.unchanged == 1


def test_a_hold_is_rewritten_when_the_rules_holding_the_customer_change():
    state = HoldState(on_hold=True, reason=HOLD_A.message, rules="credit_limit.exceeded")
    [write] = plan(HOLD_A, HOLD_B, state=state).writes
    assert write.operation == "update_hold" and write.rules == "credit_limit.exceeded, overdue.extension_exceeded"


def test_a_manual_hold_is_never_released_nor_rewritten():
    manual = HoldState(on_hold=True, reason="Lawsuit pending", rules=None, origin="manual")
    assert plan(RELEASE, state=manual).writes == []
    assert plan(HOLD_A, state=manual).writes == []


def test_release_only_when_the_erp_still_holds():
    [write] = plan(RELEASE, state=HoldState(on_hold=True, reason="x", rules="y", origin="credit_guard")).writes
    assert write.operation == "release_hold" and write.rules == "hold.release"
    assert plan(RELEASE, state=HoldState(on_hold=False)).writes == []


def test_a_flag_sets_the_erp_flag_once_and_clears_it_when_gone():
    [flag, _note] = plan(FLAG, state=HoldState(on_hold=False)).writes
    assert flag.operation == "set_flag" and flag.payload == {"reason": FLAG.message}
    assert [w.operation for w in plan(FLAG,
                                      state=HoldState(on_hold=False, flagged=True, flag_reason=FLAG.message)).writes] \
        == ["add_note"]
    [clear] = plan(state=HoldState(on_hold=False, flagged=True, flag_reason="old")).writes
    assert clear.operation == "clear_flag"


def test_a_flag_becomes_a_note_keyed_by_its_episode():
    result = plan(FLAG, state=HoldState(on_hold=False, flagged=True, flag_reason=FLAG.message))
    [write] = result.writes
    assert write.operation == "add_note" and write.key == f"{FLAG.key}@2026-11-27"
    assert write.payload["marker"] == f"[creditguard {FLAG.key}@2026-11-27]"
    assert write.payload["text"] == f"Credit Guard flag (overdue.flag): {FLAG.message}"
    assert result.episodes == {FLAG.key: ("5", "2026-11-27")}


def test_an_ongoing_flag_keeps_the_key_of_its_first_day():
    [write] = plan(FLAG, episodes={FLAG.key: "2026-11-01"},
                   state=HoldState(on_hold=False, flagged=True, flag_reason=FLAG.message)).writes
    assert write.key == f"{FLAG.key}@2026-11-01"


def test_a_limit_request_is_not_repeated_while_one_is_pending():
    assert plan(REQUEST, state=HoldState(on_hold=False, request_pending=True)).writes == []
    [write] = plan(REQUEST, state=HoldState(on_hold=False)).writes
    assert write.operation == "request_cover" and write.key.endswith(":2000@2026-11-27")


def test_customers_with_a_state_decision_or_flagged_in_the_erp_need_the_erp_state():
    results = [CustomerResult(customer_id="5", name="A", facts={}, decisions=(FLAG,)),
               CustomerResult(customer_id="6", name="B", facts={}, decisions=(RELEASE,)),
               CustomerResult(customer_id="7", name="C", facts={}, decisions=(HOLD_A,)), CustomerResult(customer_id="8",
                              name="D", facts={}, decisions=()),
               CustomerResult(customer_id="9", name="E", facts={}, decisions=())]
    assert needs_state(results, flagged={"9"}) == {"5", "6", "7", "9"}


# --- the order allowance (docs/allowance.md) ------------------------------------------------------------

def allowance_result(amount, exposure="7700.00"):
    from creditguard.rules.allowance import Allowance, Bound
    hold = Bound(Decimal(amount), "credit_limit.exceeded", "its credit limit 10,000.00")
    return CustomerResult(customer_id="5", name="Acme", facts={"exposure": Decimal(exposure)}, decisions=(), fired=(),
                          allowance=Allowance(hold, Bound()))


def plan_allowance(result, written=None, touched=(), as_of="2026-12-06T03:00:00"):
    from creditguard.connector.cycle.planner import Plan, plan_allowances
    plan = Plan()
    plan_allowances(plan, [result], written or {}, set(touched), currency="EUR", as_of=as_of, cycle="c2")
    return plan.writes


def test_an_allowance_never_written_is_written_with_its_exposure_currency_and_as_of_time():
    [write] = plan_allowance(allowance_result("2300.00"))
    assert write.operation == "set_allowance" and write.key == "c2/set_allowance/5"
    assert write.payload == {"allowance": "2300.00", "allowance_rule": "credit_limit.exceeded",
                             "allowance_bound": "its credit limit 10,000.00", "flag_allowance": None,
                             "flag_rule": "", "flag_bound": "", "exposure": "7700.00", "currency": "EUR",
                             "as_of": "2026-12-06T03:00:00"}


def test_an_unchanged_allowance_is_not_rewritten_but_one_whose_customer_documents_changed_is():
    [first] = plan_allowance(allowance_result("2300.00"), as_of="2026-12-06T03:00:00")
    written = {"5": first.payload}
    assert plan_allowance(allowance_result("2300.00"), written, as_of="2026-12-06T04:00:00") == []
    # an order confirmed and a payment of the same amount: the allowance is the same, its as-of time is not
    [again] = plan_allowance(allowance_result("2300.00"), written, touched={"5"}, as_of="2026-12-06T04:00:00")
    assert again.payload["as_of"] == "2026-12-06T04:00:00"
    [moved] = plan_allowance(allowance_result("1300.00", exposure="8700.00"), written)
    assert moved.payload["allowance"] == "1300.00" and moved.payload["exposure"] == "8700.00"
