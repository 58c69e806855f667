"""Overdue declarations against the simulated insurer, through the Allianz Trade client: filed once under a key,
late ones accepted but flagged and the cover cancelled, further invoices joined, closed when paid."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from creditguard.connector.insurer import InsurerRefused, RequestAlreadyOpen

from .conftest import START

pytestmark = pytest.mark.insurer


def invoice(number, days_past_due, amount="1200.00"):
    due = START.date() - dt.timedelta(days=days_past_due)
    return {"invoiceNumber": number, "invoiceId": number, "dueDate": due.isoformat(), "amount": amount,
            "currencyCode": "EUR"}


def test_a_declaration_on_time_is_registered_and_a_replay_files_nothing_more(client, sim):
    filing = client.declare_overdue("100001", "OVD", [invoice("INV-1", 40)], "overdue/c1/1")
    assert (filing.state, filing.kind, filing.late, filing.invoices) == ("registered", "OVD", False, 1)
    assert filing.deadline == START.date() + dt.timedelta(days=20)         # due + the policy's 60 days
    again = client.declare_overdue("100001", "OVD", [invoice("INV-1", 40)], "overdue/c1/1")
    assert again.id == filing.id and sim.stats()["overdue_declarations"] == 1


def test_a_late_declaration_is_accepted_flagged_and_the_cover_cancelled(client, sim):
    client.request_cover("100001", Decimal("50000"), "EUR", idempotency_key="c1-50000")     # approved at once
    filing = client.declare_overdue("100001", "OVD", [invoice("INV-9", 75)], "overdue/c1/2")
    assert filing.state == "registered" and filing.late and filing.reasons
    decisions = client.decisions_since(START)
    assert [(d.status, d.insurer_initiated) for d in decisions] == [("approved", False), ("cancelled", True)]
    assert "late" in decisions[-1].reason


def test_further_invoices_join_the_open_declaration_and_a_second_one_is_refused(client):
    filing = client.declare_overdue("100002", "OVD", [invoice("A", 55)], "overdue/c2/1")
    with pytest.raises(RequestAlreadyOpen):
        client.declare_overdue("100002", "OVD", [invoice("B", 54)], "overdue/c2/other")
    joined = client.add_to_overdue(filing.id, [invoice("B", 54), invoice("A", 55)], "overdue/c2/1/add/B")
    assert joined.invoices == 2                                        # A is not counted twice
    closed = client.close_overdue(filing.id, "overdue/c2/1/close")
    assert closed.state == "closed"
    assert client.close_overdue(filing.id, "overdue/c2/1/close").state == "closed"


def test_an_extension_request_is_answered_as_such(client):
    filing = client.declare_overdue("100003", "EXP", [invoice("X", 10)], "overdue/c3/1")
    assert (filing.kind, filing.state) == ("EXP", "extension_granted")


@pytest.mark.parametrize("body, detail", [
    ([], "non-empty"), ([{"invoiceNumber": "A", "dueDate": "soon", "amount": "1"}], "dueDate"),
    ([{"invoiceNumber": "A", "dueDate": "2026-01-01", "amount": "-5"}], "positive amount"),
])
def test_invalid_invoices_are_refused_naming_what_is_wrong(client, body, detail):
    with pytest.raises(InsurerRefused, match=detail):
        client.declare_overdue("100001", "OVD", body, f"bad/{detail}")


def test_an_answer_the_client_cannot_read_is_unknown_and_kept_raw(client, sim, monkeypatch):
    original = sim.engine.declare_overdue
    monkeypatch.setattr(sim.engine, "declare_overdue",
                        lambda body: (lambda s, a: (s, {**a, "overdueStatusCode": "Quarantined"}))(*original(body)))
    filing = client.declare_overdue("100001", "OVD", [invoice("INV-2", 40)], "overdue/c1/3")
    assert filing.state == "unknown" and filing.needs_review and filing.raw["overdueStatusCode"] == "Quarantined"


def test_a_claim_on_a_declared_overdue_is_paid_after_the_waiting_period_at_the_policy_percentage(client, sim):
    filing = client.declare_overdue("100001", "OVD", [invoice("INV-5", 120, "5000")], "overdue/c1/5")
    claim = client.file_claim("100001", filing.id, [invoice("INV-5", 120, "5000")], Decimal("5000"), "EUR",
                              ["invoices", "statement of account"], "claim/c1/5")
    assert claim.state == "waiting" and claim.waiting_until == START.date() + dt.timedelta(days=180)
    assert client.file_claim("100001", filing.id, [invoice("INV-5", 120, "5000")], Decimal("5000"), "EUR",
                             ["invoices", "statement of account"], "claim/c1/5").id == claim.id     # replayed
    sim.advance(days=179)
    assert client.claim_state(claim.id).state == "waiting"
    sim.advance(days=1)
    paid = client.claim_state(claim.id)
    assert (paid.state, paid.indemnity) == ("paid", Decimal("4500.00"))                 # 90 % of 5,000


def test_a_claim_needs_the_buyers_declared_overdue(client):
    with pytest.raises(InsurerRefused, match="overdueId"):
        client.file_claim("100001", "O-none", [invoice("A", 100)], Decimal("100"), "EUR", [], "claim/none")


@pytest.mark.parametrize("claimed, threshold, deductible, percent, expected", [
    ("5000", "0", "0", "90", "4500.00"), ("5000", "0", "1000", "80", "3200.00"),
    ("500", "500", "0", "90", "0.00"), ("800", "0", "1000", "90", "0.00"),
])
def test_the_expected_indemnity_applies_threshold_deductible_and_percentage(claimed, threshold, deductible,
                                                                            percent, expected):
    from creditguard.connector.insurer.claims import expected_indemnity
    from creditguard.mappings.models import PolicyTerms
    terms = PolicyTerms(max_credit_period_days=90, max_extension_days=60, overdue_notification_days=60,
                        claim_threshold=Decimal(threshold), deductible=Decimal(deductible),
                        insured_percent=Decimal(percent))
    assert expected_indemnity(Decimal(claimed), terms) == Decimal(expected)
