"""The ERP write operations, defined once: what each writes, how it is shown, which audit event it makes.

    operation       writes                                           audit      customer held after
    place_hold      the hold (reason, rules, since, origin Credit Guard)  placed  yes
    update_hold     the hold's reason and rules (the rules changed)  updated    yes
    release_hold    clears a hold Credit Guard placed (never a manual one)  released  no
    set_flag        the flag and its reason, shown at order entry    -          -
    clear_flag      clears the flag                                  -          -
    add_note        a note (a flag's), once per episode              -          -
    notify          a note for the credit team, and where the ERP has them an activity, once per episode
    request_cover   a cover request: a note and the pending flag     -          -
    set_cover       the customer's insurer cover fields (amount,     -          -
                    status, valid until, request pending)
    set_allowance   the order allowance and flag allowance (how much -          -
                    more exposure the policy accepts), their bounding
                    rules, the exposure, currency and as-of time they
                    were computed from (docs/allowance.md)

The planner makes `Write`s, the outbox stores their operation by value, the cycle view shows them with
`done` / `would`, and `apply` hands each to the ERP writer's method of the same name (an ErpWriter of
connector/erp/contract.py), which checks what the ERP holds first and answers an Outcome.
"""
from __future__ import annotations

from dataclasses import dataclass
from creditguard.mappings.errors import ErpRefused
from creditguard.mappings.vocab import Word

__all__ = ["Operation", "Outcome", "Write", "apply", "apply_or_refusal"]


class Operation(Word):
    """One kind of ERP write. The value is what the outbox stores."""

    def __new__(cls, value, done, would, audit_event, holds_after):
        member = str.__new__(cls, value)
        member._value_ = value
        member.done = done                      # past tense, for the cycle report: "hold placed"
        member.would = would                    # for a dry run: "would place a hold on"
        member.audit_event = audit_event        # the holds audit's event, None when not a hold write
        member.holds_after = holds_after        # whether the customer is held after it; None: no change
        return member

    PLACE_HOLD = ("place_hold", "hold placed", "would place a hold on", "placed", True)
    UPDATE_HOLD = ("update_hold", "hold reason updated", "would update the hold reason of", "updated", True)
    RELEASE_HOLD = ("release_hold", "hold released", "would release the hold on", "released", False)
    SET_FLAG = ("set_flag", "flag set", "would flag", None, None)
    CLEAR_FLAG = ("clear_flag", "flag cleared", "would clear the flag of", None, None)
    ADD_NOTE = ("add_note", "note added", "would add a note to", None, None)
    NOTIFY = ("notify", "credit team notified", "would notify the credit team about", None, None)
    REQUEST_COVER = ("request_cover", "cover requested", "would request insurer cover for", None, None)
    SET_COVER = ("set_cover", "insurer cover updated", "would update the insurer cover of", None, None)
    SET_ALLOWANCE = ("set_allowance", "order allowance updated", "would update the order allowance of", None, None)

    @property
    def is_hold_write(self) -> bool:
        return self.holds_after is not None


class Outcome(Word):
    """What a write did in the ERP."""
    WRITTEN = "written"
    ALREADY_THERE = "already there"     # the ERP had it already (e.g. a note a crashed cycle wrote)


@dataclass(frozen=True, kw_only=True)
class Write:
    """One planned ERP write for one customer; `key` makes it idempotent (the outbox's key)."""
    key: str
    customer_id: str
    customer_name: str
    operation: Operation
    payload: dict               # the writer method's keyword arguments
    rules: str = ""
    reason: str = ""


def apply(writer, write: Write) -> Outcome:
    """Do one write through an ErpWriter."""
    customer, payload = write.customer_id, write.payload
    if write.operation is Operation.PLACE_HOLD:
        return writer.place_hold(customer, **payload)
    if write.operation is Operation.UPDATE_HOLD:
        return writer.update_hold(customer, **payload)
    if write.operation is Operation.RELEASE_HOLD:
        return writer.release_hold(customer)
    if write.operation is Operation.SET_FLAG:
        return writer.set_flag(customer, **payload)
    if write.operation is Operation.CLEAR_FLAG:
        return writer.clear_flag(customer)
    if write.operation is Operation.ADD_NOTE:
        return writer.add_note(customer, **payload)
    if write.operation is Operation.NOTIFY:
        return writer.notify(customer, **payload)
    if write.operation is Operation.REQUEST_COVER:
        return writer.request_cover(customer, **payload)
    if write.operation is Operation.SET_COVER:
        return writer.set_cover(customer, **payload)
    if write.operation is Operation.SET_ALLOWANCE:
        return writer.set_allowance(customer, **payload)
    raise ValueError(f"unknown operation {write.operation!r}")


def apply_or_refusal(writer, write: Write):
    """apply's Outcome, or the ErpRefused the ERP answered (a batch reports refusals per write)."""
    try:
        return apply(writer, write)
    except ErpRefused as exc:
        return exc
