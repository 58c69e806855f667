"""The canonical insurer models: open status sets, one home for the cover statuses, the public names."""
from __future__ import annotations

import typing
from decimal import Decimal

import pytest

import creditguard.connector.insurer as insurer_client
import creditguard.mappings.insurer as insurer_models
from creditguard.connector.insurer.allianz import COVER_CODES, JOB_CODES
from creditguard.mappings.insurer import CoverDecision, map_code
from creditguard.mappings.models import CoverStatus

pytestmark = pytest.mark.insurer


def test_decision_statuses_are_the_snapshots_cover_statuses_plus_unknown():
    assert typing.get_args(insurer_models.DecisionStatus) == typing.get_args(CoverStatus) + ("unknown",)
    assert set(COVER_CODES.values()) <= set(typing.get_args(CoverStatus))
    assert set(JOB_CODES.values()) <= set(typing.get_args(insurer_models.RequestState))


@pytest.mark.parametrize("raw, status", [("Agreement", "approved"), ("  alreadyagreed ", "approved"),
                                         ("Revoked", "cancelled"), ("Frobbed", "unknown"), (None, "unknown"),
                                         (42, "unknown")])
def test_insurer_codes_map_case_insensitively_and_unknown_ones_to_unknown(raw, status):
    assert map_code(COVER_CODES, raw) == status


def test_a_decision_without_amount_or_buyer_needs_a_person_and_puts_no_cover_in_force():
    fine = CoverDecision(decision_id="D1", buyer_id="B1", status="approved", amount=Decimal(10), currency="EUR")
    assert not fine.needs_review and fine.cover().amount == Decimal(10)
    for missing in ({"amount": None}, {"buyer_id": None}, {"currency": None}, {"status": "unknown"}):
        decision = fine.model_copy(update=missing)
        assert decision.needs_review and decision.cover() is None


def test_public_names_are_pinned():
    assert sorted(insurer_client.__all__) == sorted([
        "InsurerClient", "AllianzTradeClient", "RetryPolicy", "InsurerRefused", "RequestAlreadyOpen",
        "IdempotencyConflict"])
    assert sorted(insurer_models.__all__) == sorted([
        "BuyerIdentity", "CoverRequest", "CoverDecision", "Cover", "BuyerGrade", "DecisionStatus", "RequestState",
        "OverdueFiling", "ClaimFiling", "UNKNOWN", "map_code"])
