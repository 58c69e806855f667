"""Plan the ERP writes of a cycle: the decisions' desired state against the ERP's current state. Pure.

    hold           -> place_hold (not held yet) or update_hold (held, and the rules that hold it changed; a
                      day count moving in the reason is no reason to rewrite it); a manual hold is left alone
    release        -> release_hold (still held by Credit Guard; a manual hold is never released)
    flag           -> set_flag (not flagged, or another reason), and a note once per episode
    no flag        -> clear_flag (still flagged in the ERP)
    notify         -> notify (a note, and a to-do where the ERP has them), once per episode
    request_limit  -> request_cover (a note with the amount and the request-pending flag), unless pending
    allowance      -> set_allowance (docs/allowance.md), where it differs from what was last written or the
                      customer's documents changed since (the exposure it counts them in moves its as-of time)
State writes (holds, flags) are keyed per cycle: whether to write is decided by comparing with the ERP; notes
are keyed per episode of the decision (its key and since).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from creditguard.mappings.vocab import Action, Operation, write_key
from creditguard.connector.erp.operations import Write

__all__ = ["Plan", "plan_writes", "plan_allowances", "allowance_payload", "needs_state", "STATE_ACTIONS"]

STATE_ACTIONS = (Action.HOLD, Action.RELEASE, Action.REQUEST_LIMIT, Action.FLAG)
NOTE_TITLE = {Action.FLAG: "Credit Guard flag", Action.NOTIFY: "Credit Guard notification",
              Action.REQUEST_LIMIT: "Credit Guard cover request"}
NOTE_OPERATION = {Action.FLAG: Operation.ADD_NOTE, Action.NOTIFY: Operation.NOTIFY,
                  Action.REQUEST_LIMIT: Operation.REQUEST_COVER}


@dataclass
class Plan:
    writes: list = field(default_factory=list)       # Write
    episodes: dict = field(default_factory=dict)      # decision key -> (customer id, since)
    unchanged: int = 0                                # state writes not needed: the ERP has it already


def needs_state(results, flagged=()) -> set[str]:
    """Customers whose ERP state the planner must compare with: those with a state decision, and those the
    ERP shows as flagged now (`flagged`), whose flag may have to be cleared."""
    return {r.customer_id for r in results for d in r.decisions if d.action in STATE_ACTIONS} | set(flagged)


def plan_writes(results, states, episodes, *, today: str, cycle: str) -> Plan:
    """`results`: CustomerResults; `states`: customer id -> HoldState now in the ERP; `episodes`: decision key
    -> since, as stored; `today`: ISO date a new episode starts; `cycle`: a tag for the state writes' keys."""
    plan = Plan()
    for result in results:
        state = states.get(result.customer_id)
        if result.hold:
            _plan_hold(plan, result, state, cycle)
        elif releases := [d for d in result.decisions if d.action == Action.RELEASE]:
            _plan_release(plan, result, releases[0], state, cycle)
        _plan_flag(plan, result, state, cycle)
        for decision in result.decisions:
            if decision.action in NOTE_OPERATION:
                since = episodes.get(decision.key) or today
                plan.episodes[decision.key] = (result.customer_id, since)
                _plan_note(plan, result, decision, since, state)
    return plan


def _state_write(plan, result, operation, cycle, payload, rules="", reason=""):
    plan.writes.append(Write(key=write_key(cycle, operation, result.customer_id), customer_id=result.customer_id,
                             customer_name=result.name,
                             operation=operation, payload=payload, rules=rules, reason=reason))


def _rule_set(rules) -> frozenset:
    return frozenset(r.strip() for r in (rules or "").split(",") if r.strip())


def _plan_hold(plan, result, state, cycle):
    hold = result.hold
    if state is not None and state.manual:
        plan.unchanged += 1                     # a person holds the customer: their hold stays as it is
        return
    if state is None or not state.on_hold:
        operation = Operation.PLACE_HOLD
    elif _rule_set(state.rules) != _rule_set(hold.rules):
        operation = Operation.UPDATE_HOLD
    else:
        plan.unchanged += 1
        return
    _state_write(plan, result, operation, cycle, {"reason": hold.reason, "rules": hold.rules}, hold.rules, hold.reason)


def _plan_release(plan, result, release, state, cycle):
    if state is None or not state.on_hold or state.manual:
        plan.unchanged += 1
        return
    _state_write(plan, result, Operation.RELEASE_HOLD, cycle, {}, release.rule, release.message)


def _plan_flag(plan, result, state, cycle):
    flags = [d for d in result.decisions if d.action == Action.FLAG]
    if flags:
        reason = "; ".join(dict.fromkeys(d.message for d in flags))
        rules = ", ".join(dict.fromkeys(d.rule for d in flags))
        if state is not None and state.flagged and state.flag_reason == reason:
            plan.unchanged += 1
            return
        _state_write(plan, result, Operation.SET_FLAG, cycle, {"reason": reason}, rules, reason)
    elif state is not None and state.flagged:
        _state_write(plan, result, Operation.CLEAR_FLAG, cycle, {}, "", "no flag rule applies any more")


def _plan_note(plan, result, decision, since, state):
    key = f"{decision.key}@{since}"
    if decision.action == Action.REQUEST_LIMIT and state is not None and state.request_pending:
        plan.unchanged += 1
        return
    text = f"{NOTE_TITLE[decision.action]} ({decision.rule}): {decision.message}"
    plan.writes.append(Write(key=key, customer_id=result.customer_id, customer_name=result.name,
                             operation=NOTE_OPERATION[decision.action],
                             payload={"text": text, "marker": f"[creditguard {key}]"}, rules=decision.rule,
                             reason=decision.message))


def allowance_payload(result, *, currency: str, as_of: str) -> dict:
    """The set_allowance arguments of one customer's result (operations.Operation.SET_ALLOWANCE)."""
    hold, flag = result.allowance.hold, result.allowance.flag
    return {"allowance": None if hold.amount is None else f"{hold.amount:.2f}", "allowance_rule": hold.rule,
            "allowance_bound": hold.bound,
            "flag_allowance": None if flag.amount is None else f"{flag.amount:.2f}", "flag_rule": flag.rule,
            "flag_bound": flag.bound, "exposure": f"{result.facts['exposure']:.2f}", "currency": currency,
            "as_of": as_of}


def plan_allowances(plan, results, written, touched, *, currency: str, as_of: str, cycle: str) -> None:
    """Add a set_allowance for each customer whose allowance differs from `written` (customer id -> the payload
    last written) or whose documents changed in this read (`touched`: customer ids)."""
    for result in results:
        payload = allowance_payload(result, currency=currency, as_of=as_of)
        last = written.get(result.customer_id)
        if last is not None and result.customer_id not in touched and \
                {k: v for k, v in last.items() if k != "as_of"} == {k: v for k, v in payload.items() if k != "as_of"}:
            continue
        hold = result.allowance.hold
        _state_write(plan, result, Operation.SET_ALLOWANCE, cycle, payload, hold.rule,
                     f"allowance {hold.show()}")
