"""The words Credit Guard is spoken in, defined once (the bottom layer: everything above imports them, they
import nothing of the project).

    Status        a customer's status after evaluation: hold, flag or ok (shown in that order)
    Action        what a rule does: hold, flag, notify, request_limit, release
    HoldOrigin    whose hold it is in the ERP: Credit Guard's, or a person's (never lifted or rewritten)
    RequestStatus where a cover request to the insurer is (connector/insurer/ledger.py)
    write_key     the outbox key of one planned ERP write (what makes a write happen once)

Every value is a `str`: it compares equal to the plain string, is stored and printed as it, and the add-ons
(which run inside the ERP and cannot import this) spell the same strings, pinned to these by tests.
The clock is in mappings/clock.py, money in mappings/money.py.
"""
from __future__ import annotations

from enum import Enum

__all__ = ["Action", "FilingStatus", "HoldOrigin", "Operation", "Outcome", "RequestStatus", "Status", "Word",
           "write_key"]


class Word(str, Enum):
    """A str-valued enum that prints and formats as its value (as Python 3.11's StrEnum), so that an f-string,
    a key or a log line shows `hold`, never `Status.HOLD`. Every enum of the vocabulary is one."""

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


class Status(Word):
    HOLD = "hold"
    FLAG = "flag"
    OK = "ok"

    @classmethod
    def order(cls) -> tuple[Status, ...]:
        """Held customers first, then flagged, then the rest: how tables and counts list them."""
        return (cls.HOLD, cls.FLAG, cls.OK)


class Action(Word):
    HOLD = "hold"
    FLAG = "flag"
    NOTIFY = "notify"
    REQUEST_LIMIT = "request_limit"
    RELEASE = "release"


class HoldOrigin(Word):
    CREDIT_GUARD = "credit_guard"   # a hold Credit Guard placed: it lifts it when no rule holds any more
    MANUAL = "manual"               # a hold a person placed: Credit Guard never lifts or rewrites it


class RequestStatus(Word):
    """A cover request's way: awaiting_approval -> queued -> open -> decided (manual approval), queued -> open
    -> decided (automatic); queued -> failed (the insurer refused the call); open -> review (an answer that
    could not be read)."""
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    OPEN = "open"
    DECIDED = "decided"
    FAILED = "failed"
    REVIEW = "review"

    @classmethod
    def pending(cls) -> tuple[RequestStatus, ...]:
        """The statuses meaning "a request is waiting" (the customer's cover_request_pending fact)."""
        return (cls.AWAITING_APPROVAL, cls.QUEUED, cls.OPEN, cls.REVIEW)


class FilingStatus(Word):
    """An overdue declaration's or a claim's way in the store: awaiting_approval -> queued (manual approval) or
    queued at once -> filed -> closed (a declaration paid), paid or rejected (a claim's indemnity); queued ->
    failed (the insurer refused the filing); filed -> review (an answer that could not be read); awaiting_approval
    or queued -> cancelled (paid before filing)."""
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    FILED = "filed"
    REVIEW = "review"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    PAID = "paid"
    REJECTED = "rejected"

    @classmethod
    def first(cls, approval: bool) -> FilingStatus:
        """Where a new declaration or claim starts: awaiting a person's approval, or queued for the next cycle."""
        return cls.AWAITING_APPROVAL if approval else cls.QUEUED

    @classmethod
    def unfiled(cls) -> tuple[FilingStatus, ...]:
        """Not yet sent: what approval or the next cycle files, and what a payment before filing cancels."""
        return (cls.AWAITING_APPROVAL, cls.QUEUED)

    @classmethod
    def open(cls) -> tuple[FilingStatus, ...]:
        """Not yet settled: unfiled, filed, or waiting for a person to read the insurer's answer."""
        return (*cls.unfiled(), cls.FILED, cls.REVIEW)


class Operation(Word):
    """One kind of ERP write (connector/erp/operations.py: what each writes). The value is what the outbox
    stores; `done` and `would` are how the cycle report words it."""

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


def write_key(scope: str, operation: str, customer_id: str) -> str:
    """The outbox key of writing `operation` for one customer within `scope` (a cycle's id, or an episode's
    key): the same scope, operation and customer make the same key, so the write is done once."""
    return f"{scope}/{operation}/{customer_id}"
