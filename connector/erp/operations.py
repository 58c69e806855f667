"""The ERP write operations: what each writes (their words, how each is shown and audited: mappings/vocab.py
`Operation`), the planned `Write`, and `apply`, which hands a write to the ERP writer.

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
from creditguard.mappings.vocab import Operation, Outcome

__all__ = ["Write", "apply", "apply_or_refusal"]


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
