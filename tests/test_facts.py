"""Facts per customer: the boundaries of docs/facts.md."""
import datetime as dt
from decimal import Decimal

from creditguard.mappings.models import Snapshot
from creditguard.rules.facts import compute_facts
from tests.conftest import POLICY_TERMS, invoice, make_snapshot, order


def facts(customers=None, invoices=(), orders=(), **kw):
    customers = customers or [{"id": "c1", "name": "One"}]
    snapshot = Snapshot.model_validate(make_snapshot(customers, invoices, orders, **kw))
    return compute_facts(snapshot)[0]


def test_an_invoice_due_on_as_of_is_not_overdue_but_one_due_the_day_before_is():
    due_today = facts(invoices=[invoice(1, due="2026-11-26")])
    assert due_today["overdue_amount"] == 0 and due_today["max_days_overdue"] == 0
    due_yesterday = facts(invoices=[invoice(1, due="2026-11-25")])
    assert due_yesterday["overdue_amount"] == Decimal("100.00") and due_yesterday["max_days_overdue"] == 1


def test_credit_notes_reduce_receivables_and_are_never_overdue():
    f = facts(invoices=[invoice(1, residual="1000", due="2026-10-01"),
                        invoice(2, residual="300", due="2026-10-01", kind="credit_note")])
    assert f["open_receivables"] == Decimal("700.00")
    assert f["overdue_amount"] == Decimal("1000.00")


def test_draft_and_cancelled_documents_never_count():
    f = facts(invoices=[invoice(1, state="draft"), invoice(2, state="cancelled")],
              orders=[order(3, state="quotation"), order(4, state="cancelled"), order(5, state="done")])
    assert f["open_receivables"] == 0 and f["orders_to_invoice"] == 0 and f["exposure"] == 0


def test_disputed_invoices_count_in_exposure_but_not_in_overdue():
    f = facts(invoices=[invoice(1, residual="500", due="2026-08-01", disputed=True)])
    assert f["exposure"] == Decimal("500.00")
    assert f["overdue_amount"] == 0 and f["max_days_overdue"] == 0


def test_paid_invoices_are_not_overdue_and_the_oldest_open_one_sets_the_age():
    f = facts(invoices=[invoice(1, residual="0", due="2026-01-01"), invoice(2, due="2026-10-27"),
                        invoice(3, due="2026-11-16")])
    assert f["max_days_overdue"] == 30 and f["overdue_amount"] == Decimal("200.00")


def test_foreign_currency_is_converted_with_the_snapshot_rate():
    f = facts(invoices=[invoice(1, residual="101", currency="USD")],
              orders=[order(2, to_invoice="10", currency="USD")])
    assert f["open_receivables"] == Decimal("50.50") and f["orders_to_invoice"] == Decimal("5.00")
    assert f["exposure"] == Decimal("55.50")


def test_exposure_adds_confirmed_orders_not_yet_invoiced():
    f = facts(invoices=[invoice(1, residual="1000", due="2026-12-31")], orders=[order(2, to_invoice="250")])
    assert f["exposure"] == Decimal("1250.00")


def test_payment_term_is_the_longest_of_customer_quotations_and_confirmed_orders():
    customers = [{"id": "c1", "name": "One", "payment_term_days": 30}]
    f = facts(customers, orders=[order(1, state="quotation", payment_term_days=75),
                                 order(2, state="cancelled", payment_term_days=200),
                                 order(3, payment_term_days=45)])
    assert f["payment_term_days"] == 75


def test_cover_in_force_expired_and_refused():
    def cover(status, valid_until=None):
        return facts([{"id": "c1", "name": "One", "insurer_cover": {
            "amount": "2000", "currency": "USD", "status": status, "valid_until": valid_until}}])
    approved = cover("approved", "2026-11-26")
    assert approved["cover_status"] == "approved" and approved["insured_cover"] == Decimal("1000.00")
    expired = cover("partial", "2026-11-25")
    assert expired["cover_status"] == "expired" and expired["insured_cover"] == 0
    refused = cover("refused")
    assert refused["cover_status"] == "refused" and refused["insured_cover"] == 0
    none = facts()
    assert none["cover_status"] == "none" and none["insured_cover"] == 0


def test_uninsured_exposure_never_goes_below_zero():
    customers = [{"id": "c1", "name": "One", "insurer_cover": {"amount": "5000", "currency": "EUR",
                                                                "status": "approved"}}]
    assert facts(customers, invoices=[invoice(1, residual="1000")])["uninsured_exposure"] == 0
    assert facts(customers, invoices=[invoice(1, residual="7000")])["uninsured_exposure"] == Decimal("2000.00")


def test_country_risk_is_absent_for_an_unknown_country_and_credit_limit_zero_when_unset():
    f = facts([{"id": "c1", "name": "One", "country": "ZZ", "credit_limit": None}], country_risk={"DE": 0})
    assert f["country_risk"] is None and f["credit_limit"] == 0
    assert facts([{"id": "c1", "name": "One", "country": "DE"}], country_risk={"DE": 0})["country_risk"] == 0


def test_policy_terms_facts_are_absent_without_policy_terms():
    without = facts(invoices=[invoice(1, due="2026-10-27")])
    assert without["max_extension_days"] is None and without["discretionary_limit"] is None
    assert without["overdue_declare_by"] is None
    with_terms = facts(invoices=[invoice(1, due="2026-10-27")], policy_terms=POLICY_TERMS)
    assert with_terms["discretionary_limit"] == Decimal("10000.00")
    assert with_terms["overdue_declare_by"] == dt.date(2026, 12, 26)


def test_as_of_an_earlier_date_leaves_out_documents_dated_after_it():
    doc = make_snapshot([{"id": "c1", "name": "A"}],
                        [invoice(1, residual="100", due="2026-10-01", invoice_date="2026-09-01"),
                         invoice(2, residual="700", due="2026-12-20", invoice_date="2026-11-20")],
                        [order(1, to_invoice="50", date_order="2026-09-15"),
                         order(2, to_invoice="900", date_order="2026-11-25")])
    snapshot = Snapshot.model_validate(doc)
    [then] = compute_facts(snapshot, dt.date(2026, 10, 31))
    assert (then["open_receivables"], then["orders_to_invoice"], then["max_days_overdue"]) == (
        Decimal("100.00"), Decimal("50.00"), 30)
    [now] = compute_facts(snapshot)
    assert (now["open_receivables"], now["orders_to_invoice"]) == (Decimal("800.00"), Decimal("950.00"))
