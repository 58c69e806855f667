"""Hand-computed books shared by the analytics tests (as_of 2026-11-26, EUR, USD at 0.5)."""
import copy

from tests.conftest import invoice, make_snapshot


def inv(id, customer, total, date, due, payments=None, residual=None, kind="invoice", **extra):
    paid = sum(float(a) for _, a, *_ in payments or ())
    residual = residual if residual is not None else f"{float(total) - paid:.2f}"
    doc = invoice(id, customer_id=customer, residual=residual, amount_total=total, invoice_date=date, due=due,
                  kind=kind, **extra)
    if payments is not None:
        doc["payments"] = [{"date": d, "amount": a, "kind": k[0] if k else "payment"} for d, a, *k in payments]
    return doc


CUSTOMERS = [
    {"id": "c1", "name": "Acme", "country": "DE", "payment_term_days": 30,
     "insurer_cover": {"amount": "1500", "currency": "EUR", "status": "approved"}},
    {"id": "c2", "name": "Only Credits", "country": "FR"},
    {"id": "c3", "name": "Old Debt", "country": "TR",
     "insurer_cover": {"amount": "1000", "currency": "USD", "status": "approved"}},
    {"id": "c4", "name": "Written Off"},
    {"id": "c5", "name": "Steady Payer", "country": "DE", "on_hold": True,
     "insurer_cover": {"amount": "5000", "currency": "EUR", "status": "refused"}},
]

INVOICES = [
    # c1: one invoice paid in two parts 20 days late, one open 12 days overdue, one partly paid, not yet due,
    # and an unapplied credit note
    inv("a1", "c1", "1000", "2026-09-01", "2026-10-01", [("2026-10-11", "600"), ("2026-10-21", "400")]),
    inv("a2", "c1", "2000", "2026-10-15", "2026-11-14", []),
    inv("a3", "c1", "500", "2026-11-10", "2026-12-10", [("2026-11-20", "200")]),
    inv("a4", "c1", "100", "2026-11-01", "2026-11-01", [], kind="credit_note"),
    # c2: nothing but a credit note
    inv("b1", "c2", "50", "2026-11-05", "2026-11-05", [], kind="credit_note"),
    # c3: no sales in the period, one old invoice 148 days overdue, no history (contract 1 style)
    inv("c1", "c3", "400", "2026-06-01", "2026-07-01", residual="400"),
    # c4: settled by a payment and a write-off
    inv("d1", "c4", "300", "2026-09-10", "2026-10-10", [("2026-10-20", "200"), ("2026-11-01", "100", "write_off")]),
    # c5: five invoices due 2026-10-01, paid 5 days early, on time, 3, 10 and 40 days late
    *[inv(f"e{k}", "c5", "100", "2026-09-01", "2026-10-01", [(day, "100")])
      for k, day in enumerate(["2026-09-26", "2026-10-01", "2026-10-04", "2026-10-11", "2026-11-10"])],
    # drafts and cancelled invoices never count
    inv("x1", "c1", "9999", "2026-11-01", "2026-12-01", [], state="draft"),
]

ORDERS = [{"id": "o1", "customer_id": "c1", "state": "confirmed", "currency": "EUR", "amount_total": "1000",
           "amount_to_invoice": "1000"}]


def books_snapshot(**company) -> dict:
    doc = make_snapshot(copy.deepcopy(CUSTOMERS), copy.deepcopy(INVOICES), copy.deepcopy(ORDERS), country_risk={"DE": 0, "TR": 5},
                        policy_terms={"max_credit_period_days": 90, "max_extension_days": 60,
                                      "overdue_notification_days": 60, "discretionary_limit": "0",
                                      "insured_percent": 90})
    doc["format"] = "creditguard-snapshot/1.1"
    doc["company"].update(company)
    return doc
