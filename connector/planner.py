"""Plan the ERP writes of a cycle: the decisions' desired state against the ERP's current state. Pure.

    hold           -> place_hold (not held yet) or update_hold (held, other reason or rules)
    release        -> release_hold (still held)
    flag, notify   -> add_note, once per episode of the decision (keyed by decision key and since)
    request_limit  -> request_cover (a note with the amount and the request-pending flag), unless pending
State writes (holds) are keyed per cycle: whether to write is decided by comparing with the ERP.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .operations import Operation, Write

__all__ = ["Plan", "plan_writes", "needs_state", "NOTE_ACTIONS", "STATE_ACTIONS"]

NOTE_ACTIONS = ("flag", "notify")
STATE_ACTIONS = ("hold", "release", "request_limit")
NOTE_TITLE = {"flag": "Credit Guard flag", "notify": "Credit Guard notification",
              "request_limit": "Credit Guard cover request"}


@dataclass
class Plan:
    writes: list = field(default_factory=list)       # Write
    episodes: dict = field(default_factory=dict)      # decision key -> (customer id, since)
    unchanged: int = 0                                # state writes not needed: the ERP has it already


def needs_state(results) -> set[str]:
    """Customers whose ERP hold state the planner must compare with."""
    return {r.customer_id for r in results for d in r.decisions if d.action in STATE_ACTIONS}


def plan_writes(results, states, episodes, *, today: str, cycle: str) -> Plan:
    """`results`: CustomerResults; `states`: customer id -> HoldState now in the ERP; `episodes`: decision key
    -> since, as stored; `today`: ISO date a new episode starts; `cycle`: a tag for the state writes' keys."""
    plan = Plan()
    for result in results:
        state = states.get(result.customer_id)
        if result.hold:
            _plan_hold(plan, result, state, cycle)
        elif releases := [d for d in result.decisions if d.action == "release"]:
            _plan_release(plan, result, releases[0], state, cycle)
        for decision in result.decisions:
            if decision.action in NOTE_ACTIONS or decision.action == "request_limit":
                since = episodes.get(decision.key) or today
                plan.episodes[decision.key] = (result.customer_id, since)
                _plan_note(plan, result, decision, since, state)
    return plan


def _plan_hold(plan, result, state, cycle):
    hold = result.hold
    if state is None or not state.on_hold:
        operation = Operation.PLACE_HOLD
    elif (state.reason, state.rules) != (hold.reason, hold.rules):
        operation = Operation.UPDATE_HOLD
    else:
        plan.unchanged += 1
        return
    plan.writes.append(Write(f"{cycle}/{operation.value}/{result.customer_id}", result.customer_id, result.name,
                             operation, {"reason": hold.reason, "rules": hold.rules}, hold.rules, hold.reason))


def _plan_release(plan, result, release, state, cycle):
    if state is None or not state.on_hold:
        plan.unchanged += 1
        return
    operation = Operation.RELEASE_HOLD
    plan.writes.append(Write(f"{cycle}/{operation.value}/{result.customer_id}", result.customer_id, result.name,
                             operation, {}, release.rule, release.message))


def _plan_note(plan, result, decision, since, state):
    key = f"{decision.key}@{since}"
    marker = f"[creditguard {key}]"
    text = f"{NOTE_TITLE[decision.action]} ({decision.rule}): {decision.message}"
    if decision.action == "request_limit":
        if state is not None and state.request_pending:
            plan.unchanged += 1
            return
        operation = Operation.REQUEST_COVER
    else:
        operation = Operation.ADD_NOTE
    plan.writes.append(Write(key, result.customer_id, result.name, operation, {"text": text, "marker": marker},
                             decision.rule, decision.message))
