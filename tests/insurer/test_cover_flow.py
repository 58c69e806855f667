"""Cover requests and decisions end to end against the simulated insurer: what a credit manager would see."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from creditguard.connector.insurer import InsurerClient, InsurerRefused, RequestAlreadyOpen
from creditguard.connector.insurer.simulator import Event

from .conftest import START

pytestmark = pytest.mark.insurer


def test_the_adapter_is_an_insurer_client(client):
    assert isinstance(client, InsurerClient)


def test_buyer_found_by_name_and_country_or_by_registration_id(client):
    by_name = client.find_buyer("acme", "DE")
    assert (by_name.insurer_buyer_id, by_name.name, by_name.country) == ("100001", "Acme GmbH", "DE")
    assert client.find_buyer("Whatever", "DE", registration_id="HRB 12345").insurer_buyer_id == "100001"
    assert client.find_buyer("Acme GmbH", "FR") is None


def test_a_small_request_is_approved_at_once(client):
    request = client.request_cover("100001", Decimal("50000"), "EUR", idempotency_key="c42-50000")
    assert request.state == "decided" and not request.is_open and not request.needs_review
    decision = request.decision
    assert (decision.status, decision.amount, decision.currency) == ("approved", Decimal("50000"), "EUR")
    assert decision.request_id == request.id and not decision.insurer_initiated
    assert decision.effective_date == START.date()
    cover = decision.cover().as_insurer_cover()
    assert (cover.status, cover.amount) == ("approved", Decimal("50000"))


def test_a_referred_request_is_decided_after_the_clock_moves(client, sim):
    request = client.request_cover("100001", Decimal("150000"), "EUR", idempotency_key="c42-150000")
    assert request.state == "pending" and request.is_open and request.decision is None
    sim.advance(days=1)
    assert client.request_state(request.id).state == "pending"
    sim.advance(days=1)
    decided = client.request_state(request.id)
    assert decided.state == "decided"
    assert decided.decision.status == "approved" and decided.decision.amount == Decimal("150000")
    assert decided.decided_at == START + dt.timedelta(hours=48)
    feed = client.decisions_since(START)
    assert [(d.request_id, d.status) for d in feed] == [(request.id, "approved")]


def test_partial_approval_grants_the_share_rounded_down_to_the_step(client):
    request = client.request_cover("100002", Decimal("55500"), "EUR", idempotency_key="k1")
    assert request.decision.status == "partial"
    assert request.decision.amount == Decimal("33000")          # 60 % of 55,500 = 33,300 -> 33,000


def test_refusal_carries_zero_and_the_reason(client):
    decision = client.request_cover("100003", Decimal("20000"), "EUR", idempotency_key="k1").decision
    assert (decision.status, decision.amount) == ("refused", Decimal("0"))
    assert decision.reason == "payment experience unsatisfactory"
    assert decision.cover().as_insurer_cover().status == "refused"


def test_a_buyer_graded_8_or_worse_is_never_approved(client):
    decision = client.request_cover("100004", Decimal("5000"), "EUR", idempotency_key="k1").decision
    assert decision.status == "refused" and "grade 9" in decision.reason


def test_a_second_request_while_one_is_open_is_refused_with_409(client, sim):
    first = client.request_cover("100001", Decimal("150000"), "EUR", idempotency_key="first")
    with pytest.raises(RequestAlreadyOpen) as caught:
        client.request_cover("100001", Decimal("160000"), "EUR", idempotency_key="second")
    assert caught.value.status == 409 and "open request" in str(caught.value)
    sim.advance(days=2)
    assert client.request_state(first.id).state == "decided"
    later = client.request_cover("100001", Decimal("160000"), "EUR", idempotency_key="second")
    assert later.id != first.id and later.state == "pending"


def test_withdraw_an_open_request_but_not_a_decided_one(client):
    open_request = client.request_cover("100001", Decimal("150000"), "EUR", idempotency_key="k1")
    assert client.withdraw(open_request.id).state == "withdrawn"
    assert client.request_state(open_request.id).state == "withdrawn"
    decided = client.request_cover("100001", Decimal("1000"), "EUR", idempotency_key="k2")
    with pytest.raises(InsurerRefused) as caught:
        client.withdraw(decided.id)
    assert caught.value.status == 409


def test_the_insurers_reduction_applies_after_the_notice_period(client, sim):
    client.request_cover("100001", Decimal("50000"), "EUR", idempotency_key="k1")
    sim.advance(days=3)
    sim.event(Event(buyer="100001", kind="reduce", amount=Decimal("20000"), reason="payment behaviour"))
    reduction = client.decisions_since(START + dt.timedelta(days=1))
    assert len(reduction) == 1
    reduction = reduction[0]
    assert reduction.insurer_initiated and reduction.request_id is None
    assert (reduction.status, reduction.amount, reduction.raw_status) == ("partial", Decimal("20000"), "Reduction")
    assert reduction.decided_at.date() == dt.date(2026, 11, 29)
    assert reduction.effective_date == dt.date(2026, 12, 29)                  # 30 days of notice
    assert reduction.reason == "payment behaviour"


def test_an_emergency_cancellation_applies_at_once(client, sim):
    client.request_cover("100001", Decimal("50000"), "EUR", idempotency_key="k1")
    sim.event(Event(buyer="100001", kind="cancel", notice_days=0))
    cancel = client.decisions_since(START)[-1]
    assert (cancel.status, cancel.amount, cancel.effective_date) == ("cancelled", Decimal("0"), START.date())
    assert cancel.cover().as_insurer_cover().status == "cancelled"


def test_scripted_events_and_expiry_come_when_the_clock_reaches_them(start_sim, make_client):
    at = (START + dt.timedelta(days=10)).isoformat()
    sim = start_sim(events=[{"at": at, "buyer": "100001", "kind": "cancel"}],
                    rules=[{"decide": "approve", "valid_days": 5}])
    client = make_client(sim)
    client.request_cover("100005", Decimal("8000"), "EUR", idempotency_key="k1")
    client.request_cover("100001", Decimal("8000"), "EUR", idempotency_key="k2")
    assert [d.status for d in client.decisions_since(START)] == ["approved", "approved"]
    sim.advance(days=11)
    changes = client.decisions_since(START + dt.timedelta(seconds=1))
    assert [(d.buyer_id, d.status) for d in changes] == [("100005", "expired"), ("100001", "expired"),
                                                         ("100001", "cancelled")]
    assert changes[0].effective_date == START.date() + dt.timedelta(days=6)


def test_the_feed_is_read_across_pages_oldest_first(sim, make_client):
    client = make_client(sim, page_size=2)
    for buyer in ("100001", "100002", "100003", "100005"):
        client.request_cover(buyer, Decimal("9000"), "EUR", idempotency_key=f"k-{buyer}")
        sim.advance(seconds=60)
    sim.event(Event(buyer="100001", kind="reduce", amount=Decimal("1000")))
    feed = client.decisions_since(START)
    assert [d.buyer_id for d in feed] == ["100001", "100002", "100003", "100005", "100001"]
    assert len({d.decision_id for d in feed}) == 5
    assert client.decisions_since(feed[-1].decided_at) == feed[-1:]                # `since` is inclusive


def test_a_grade_change_is_visible(client, sim):
    assert client.buyer_grade("100001").grade == 4
    sim.advance(days=5)
    sim.event(Event(buyer="100001", kind="grade", grade=8))
    grade = client.buyer_grade("100001")
    assert (grade.grade, grade.as_of) == (8, dt.date(2026, 12, 1))
    assert client.buyer_grade("999999") is None


def test_an_unknown_decision_code_is_kept_raw_and_flagged_not_a_crash(client, sim):
    sim.event(Event(buyer="100001", kind="decision", code="UnderwriterHesitates", amount=Decimal("7000")))
    decision = client.decisions_since(START)[-1]
    assert decision.status == "unknown" and decision.raw_status == "UnderwriterHesitates"
    assert decision.needs_review and decision.cover() is None
    assert decision.raw["coverStatusCode"] == "UnderwriterHesitates"
