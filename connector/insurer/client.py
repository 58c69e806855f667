"""The insurer-neutral client interface: what Credit Guard asks of any trade-credit insurer.

A client is thin: it sends, translates the insurer's vocabulary into mappings/insurer.py, and raises the
errors of connector/insurer/errors.py. It takes no business decision (when to ask, for how much).

Contract of every implementation:
- `request_cover` is safe to repeat: the same `idempotency_key` with the same buyer, amount and currency returns
  the original request and never files a second one (also after a crash between sending and recording).
  Derive the key from what makes the request unique (customer, amount, decision key), never from a clock.
- Answers the client cannot read are kept raw and mapped to `unknown` (`needs_review` is True); only an answer
  that is not an answer at all (not JSON, transport failure) raises, as TransientError.
- Secrets (API keys, tokens) never appear in logs, exception messages, reprs or the `raw` of any model.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional, Protocol, runtime_checkable

from creditguard.mappings.insurer import BuyerGrade, BuyerIdentity, CoverDecision, CoverRequest

__all__ = ["InsurerClient"]


@runtime_checkable
class InsurerClient(Protocol):
    """One insurer policy, seen through its API."""

    def find_buyer(self, name: str, country: str, registration_id: Optional[str] = None) -> Optional[BuyerIdentity]:
        """The insurer's best match for a company (by registration id when given, else by name and country).

        None when the insurer knows no such buyer."""

    def request_cover(self, buyer_id: str, amount: Decimal, currency: str, idempotency_key: str) -> CoverRequest:
        """Ask for `amount` of cover on the buyer (a first request or an increase).

        Returns the request as the insurer has it now: decided at once (`decision` set) or `pending` (referred to
        an underwriter; follow it with `request_state` or `decisions_since`).
        Raises RequestAlreadyOpen while another request on the buyer is open, IdempotencyConflict when the key
        was used for another request, TransientError when the insurer cannot be reached (retry with the same key).
        """

    def request_state(self, request_id: str) -> CoverRequest:
        """The request's current state, with its decision once decided."""

    def decisions_since(self, since: dt.datetime) -> list[CoverDecision]:
        """Every decision made at or after `since` (timezone-aware), oldest first, all pages read.

        Includes the answers to requests and the insurer's own reductions, cancellations and expiries, each with
        its effective date. `since` is inclusive: a caller keeping the latest `decided_at` as its bookmark sees
        that decision again and drops it by `decision_id`."""

    def buyer_grade(self, buyer_id: str) -> Optional[BuyerGrade]:
        """The insurer's current grade of the buyer; None when the insurer has no grade for it."""

    def withdraw(self, request_id: str) -> CoverRequest:
        """Withdraw an open request; raises InsurerRefused when it is already decided."""
