"""Plan the ERP writes of a cycle: the decisions' desired state against the ERP's current state. Pure.

    hold           -> place_hold (not held yet) or update_hold (held, other reason or rules)
    release        -> release_hold (still held)
    flag, notify   -> add_note, once per episode of the decision (keyed by decision key and since)
    request_limit  -> request_cover (a note with the amount and the request-pending flag), unless pending
State writes (holds) are keyed per cycle: whether to write is decided by comparing with the ERP.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Write", "Plan", "plan_writes", "NOTE_ACTIONS", "STATE_ACTIONS"]

NOTE_ACTIONS = ("flag", "notify")
STATE_ACTIONS = ("hold", "release", "request_limit")
NOTE_TITLE = {"flag": "Credit Guard flag", "notify": "Credit Guard notification",
              "request_limit": "Credit Guard cover request"}


@dataclass(frozen=True)
class Write:
    key: str
    customer_id: str
    customer_name: str
    operation: str        # place_hold | update_hold | release_hold | add_note | request_cover
    payload: dict
    rules: str = ""
    reason: str = ""


@dataclass
class Plan:
    writes: list = field(default_factory=list)
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
        holds = [d for d in result.decisions if d.action == "hold"]
        state = states.get(result.customer_id)
        if holds:
            _plan_hold(plan, result, holds, state, cycle)
        elif releases := [d for d in result.decisions if d.action == "release"]:
            if state is not None and state.on_hold:
                plan.writes.append(Write(f"{cycle}/release_hold/{result.customer_id}", result.customer_id,
                                         result.name, "release_hold", {}, releases[0].rule, releases[0].message))
            else:
                plan.unchanged += 1
        for decision in result.decisions:
            if decision.action in NOTE_ACTIONS or decision.action == "request_limit":
                since = episodes.get(decision.key) or today
                plan.episodes[decision.key] = (result.customer_id, since)
                _plan_note(plan, result, decision, since, state)
    return plan


def _plan_hold(plan, result, holds, state, cycle):
    rules = ", ".join(dict.fromkeys(d.rule for d in holds))
    reason = "; ".join(dict.fromkeys(d.message for d in holds))
    payload = {"reason": reason, "rules": rules}
    if state is None or not state.on_hold:
        operation = "place_hold"
    elif (state.reason, state.rules) != (reason, rules):
        operation = "update_hold"
    else:
        plan.unchanged += 1
        return
    plan.writes.append(Write(f"{cycle}/{operation}/{result.customer_id}", result.customer_id, result.name,
                             operation, payload, rules, reason))


def _plan_note(plan, result, decision, since, state):
    key = f"{decision.key}@{since}"
    marker = f"[creditguard {key}]"
    text = f"{NOTE_TITLE[decision.action]} ({decision.rule}): {decision.message}"
    if decision.action == "request_limit":
        if state is not None and state.request_pending:
            plan.unchanged += 1
            return
        plan.writes.append(Write(key, result.customer_id, result.name, "request_cover",
                                 {"text": text, "marker": marker}, decision.rule, decision.message))
    else:
        plan.writes.append(Write(key, result.customer_id, result.name, "add_note", {"text": text, "marker": marker},
                                 decision.rule, decision.message))
