"""Canonical, insurer-neutral models of trade-credit cover: buyer identity, cover request, decision, cover, grade.

Status code sets are open. An insurer's code that no table knows is kept raw (`raw_status`), mapped to `unknown`,
and `needs_review` says a person must look at it; nothing here raises on an unknown code.

    BuyerIdentity   who the buyer is for the insurer (its buyer id) and what was used to find it
    CoverRequest    one request for cover on a buyer (first request or increase), and its decision once known
    CoverDecision   a decision on a buyer's cover: the answer to a request, or the insurer's own change
                    (reduction, cancellation, expiry) when `request_id` is None
    Cover           the cover in force on a buyer, as InsurerCover of the snapshot (mappings/models.py)
    BuyerGrade      the insurer's grade of a buyer, 1 (best) .. 10 (at risk of failure)
    OverdueFiling   the insurer's record of an overdue declaration (state of default, extension request)
    ClaimFiling     the insurer's record of a claim: in the waiting period, paid (with the indemnity) or refused
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from creditguard.mappings.models import CoverStatus, Currency, InsurerCover, Money, RecordId

__all__ = ["BuyerIdentity", "CoverRequest", "CoverDecision", "Cover", "BuyerGrade", "OverdueFiling", "ClaimFiling",
           "DecisionStatus", "RequestState", "UNKNOWN", "map_code"]

UNKNOWN = "unknown"
DecisionStatus = Literal[CoverStatus, "unknown"]          # the cover statuses of the snapshot, plus `unknown`
RequestState = Literal["pending", "decided", "withdrawn", "failed", "unknown"]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]

_MODEL = ConfigDict(extra="forbid", frozen=True)


def map_code(table: dict[str, str], raw: Any) -> str:
    """The canonical value of an insurer's `raw` code by `table` (case-insensitive), `unknown` when absent."""
    if not isinstance(raw, str):
        return UNKNOWN
    folded = {key.casefold(): value for key, value in table.items()}
    return folded.get(raw.strip().casefold(), UNKNOWN)


class BuyerIdentity(BaseModel):
    """A buyer as the insurer knows it; `insurer_buyer_id` is kept per customer once found."""
    model_config = _MODEL
    insurer_buyer_id: RecordId
    name: str
    country: Optional[Country] = None
    registration_id: Optional[str] = None
    customer_id: Optional[RecordId] = None          # the ERP customer, set by whoever binds the two
    raw: dict = Field(default_factory=dict, repr=False)


class CoverDecision(BaseModel):
    """A decision on one buyer's cover, effective from `effective_date` (deliveries from that day on).

    `request_id` is None for a change the insurer made on its own: a reduction or cancellation (effective after
    the policy's notice period) or an expiry. `decision_id` is stable: feeds may repeat a decision, dedupe on it.
    """
    model_config = _MODEL
    decision_id: RecordId
    buyer_id: Optional[RecordId] = None             # the insurer's buyer id; None when the answer lacks it
    request_id: Optional[RecordId] = None
    status: DecisionStatus
    raw_status: Optional[str] = None                # the insurer's own code, always kept
    amount: Optional[Money] = None                  # granted; 0 on a refusal or cancellation; None when unreadable
    currency: Optional[Currency] = None
    decided_at: Optional[AwareDatetime] = None
    effective_date: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    reason: Optional[str] = None
    raw: dict = Field(default_factory=dict, repr=False)

    @property
    def insurer_initiated(self) -> bool:
        return self.request_id is None

    @property
    def needs_review(self) -> bool:
        """True when a person must read the raw answer: an unknown code, or no buyer, amount or currency."""
        return self.status == UNKNOWN or None in (self.buyer_id, self.amount, self.currency)

    def cover(self) -> "Cover | None":
        """The cover this decision puts in force; None when it cannot be read (see `needs_review`)."""
        if self.needs_review:
            return None
        return Cover(buyer_id=self.buyer_id, amount=self.amount, currency=self.currency, status=self.status,
                     effective_date=self.effective_date, valid_until=self.valid_until,
                     decision_id=self.decision_id)


class CoverRequest(BaseModel):
    """One request for cover on a buyer, sent once under `idempotency_key`; `decision` is set once decided."""
    model_config = _MODEL
    id: RecordId                                    # the insurer's handle to poll (Allianz Trade: the job id)
    buyer_id: Optional[RecordId] = None             # None only when the insurer's answer does not say
    amount: Optional[Money] = None
    currency: Optional[Currency] = None
    state: RequestState
    raw_state: Optional[str] = None
    idempotency_key: Optional[str] = None
    created_at: Optional[AwareDatetime] = None
    decided_at: Optional[AwareDatetime] = None
    decision: Optional[CoverDecision] = None
    raw: dict = Field(default_factory=dict, repr=False)

    @property
    def is_open(self) -> bool:
        return self.state == "pending"

    @property
    def needs_review(self) -> bool:
        return self.state == UNKNOWN or (self.decision is not None and self.decision.needs_review)


class Cover(BaseModel):
    """The cover on one buyer from `effective_date`; `status` is one of the snapshot's cover statuses."""
    model_config = _MODEL
    buyer_id: RecordId
    amount: Money
    currency: Currency
    status: CoverStatus
    effective_date: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    decision_id: Optional[RecordId] = None

    def as_insurer_cover(self, *, request_pending: bool = False) -> InsurerCover:
        """The snapshot's view of this cover (mappings/models.py InsurerCover)."""
        return InsurerCover(amount=self.amount, currency=self.currency, status=self.status,
                            valid_until=self.valid_until, request_pending=request_pending)


class BuyerGrade(BaseModel):
    """The insurer's grade of a buyer: 1 exceptional, 5 average, 7 weak, 8-10 no cover for further supplies."""
    model_config = _MODEL
    buyer_id: RecordId
    grade: Optional[Annotated[int, Field(ge=1, le=10)]] = None      # None when the raw grade is not 1..10
    raw_grade: Optional[str] = None
    as_of: Optional[dt.date] = None
    raw: dict = Field(default_factory=dict, repr=False)

    @property
    def needs_review(self) -> bool:
        return self.grade is None



OverdueState = Literal["registered", "extension_granted", "extension_refused", "closed", "unknown"]


class OverdueFiling(BaseModel):
    """An overdue declaration as the insurer has it: `late` when it came after the policy's deadline."""
    model_config = _MODEL
    id: RecordId
    kind: Optional[str] = None                      # OVD (state of default), EXP (extension), RES (rescheduling)
    state: OverdueState
    raw_state: Optional[str] = None
    late: bool = False
    deadline: Optional[dt.date] = None
    invoices: int = 0                               # how many invoices the insurer holds on it
    reasons: tuple[str, ...] = ()
    raw: dict = Field(default_factory=dict, repr=False)

    @property
    def needs_review(self) -> bool:
        return self.state == UNKNOWN


ClaimState = Literal["waiting", "paid", "rejected", "unknown"]


class ClaimFiling(BaseModel):
    """A claim as the insurer has it."""
    model_config = _MODEL
    id: RecordId
    state: ClaimState
    raw_state: Optional[str] = None
    waiting_until: Optional[dt.date] = None
    indemnity: Optional[Money] = None
    raw: dict = Field(default_factory=dict, repr=False)

    @property
    def needs_review(self) -> bool:
        return self.state == UNKNOWN
