"""Facts per customer (DESIGN.md §5): what the policy's conditions can read."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from mappings.models import Snapshot

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
COVER_STATUSES = ("none", "approved", "partial", "pending", "refused", "cancelled", "expired")


@dataclass(frozen=True)
class FactSpec:
    """One fact: its name, kind (money, days, grade, bool, status, date), whether it can be absent."""
    name: str
    kind: str
    doc: str
    nullable: bool = False

    @property
    def type(self) -> str:
        """The type the expression language sees: number, bool, status or date."""
        return {"money": "number", "days": "number", "grade": "number"}.get(self.kind, self.kind)


FACTS = {spec.name: spec for spec in (
    FactSpec("open_receivables", "money", "posted invoices' residual, credit notes negative"),
    FactSpec("overdue_amount", "money", "residual of posted, undisputed invoices due before as_of"),
    FactSpec("max_days_overdue", "days", "days the oldest overdue invoice is past its due date; 0 if none"),
    FactSpec("orders_to_invoice", "money", "amount not yet invoiced on confirmed orders"),
    FactSpec("exposure", "money", "open_receivables + orders_to_invoice"),
    FactSpec("credit_limit", "money", "internal credit limit; 0 when none is set"),
    FactSpec("insured_cover", "money", "insurer cover in force (approved or partial, not expired); else 0"),
    FactSpec("uninsured_exposure", "money", "max(0, exposure - insured_cover)"),
    FactSpec("payment_term_days", "days", "longest payment term of the customer, its quotations and orders"),
    FactSpec("cover_status", "status", "none, approved, partial, pending, refused, cancelled or expired"),
    FactSpec("cover_request_pending", "bool", "a cover request is waiting for the insurer's decision"),
    FactSpec("country_risk", "grade", "country risk grade 0 (low) to 7 (high); absent if unknown", True),
    FactSpec("on_hold", "bool", "the customer is on hold in the ERP now"),
    FactSpec("max_credit_period_days", "days", "policy term: longest payment term allowed", True),
    FactSpec("max_extension_days", "days", "policy term: longest time an invoice may stay unpaid past due", True),
    FactSpec("overdue_notification_days", "days", "policy term: overdue must be declared within this", True),
    FactSpec("discretionary_limit", "money", "policy term: exposure the insured may carry without a cover", True),
    FactSpec("overdue_declare_by", "date", "date by which the oldest overdue must be declared to the insurer",
             True),
)}


def to_company(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in company currency, rounded to the cent as the ERP books it."""
    return (amount * rate).quantize(CENT, ROUND_HALF_UP)


def compute_facts(snapshot: Snapshot, as_of: dt.date | None = None) -> list[dict]:
    """One facts dict per customer, in the snapshot's order, as of `as_of` (default: the snapshot's)."""
    as_of = as_of or snapshot.as_of
    rates = dict(snapshot.fx_rates)
    rates[snapshot.company.currency] = Decimal(1)
    index = {customer.id: i for i, customer in enumerate(snapshot.customers)}
    n = len(snapshot.customers)
    open_receivables = [ZERO] * n
    overdue_amount = [ZERO] * n
    oldest_due: list[dt.date | None] = [None] * n
    orders_to_invoice = [ZERO] * n
    terms = [customer.payment_term_days or 0 for customer in snapshot.customers]

    for inv in snapshot.invoices:
        if inv.state != "posted":
            continue
        i = index[inv.customer_id]
        residual = to_company(inv.amount_residual, rates[inv.currency])
        if inv.kind == "credit_note":
            residual = -abs(residual)
        open_receivables[i] += residual
        due = inv.due_date or inv.invoice_date
        if residual > 0 and not inv.disputed and due < as_of:
            overdue_amount[i] += residual
            if oldest_due[i] is None or due < oldest_due[i]:
                oldest_due[i] = due

    for order in snapshot.orders:
        if order.state not in ("quotation", "confirmed"):
            continue
        i = index[order.customer_id]
        if order.payment_term_days is not None and order.payment_term_days > terms[i]:
            terms[i] = order.payment_term_days
        if order.state == "confirmed":
            orders_to_invoice[i] += to_company(order.amount_to_invoice, rates[order.currency])

    pt = snapshot.policy_terms
    notification_days = pt.overdue_notification_days if pt else None
    result = []
    for i, customer in enumerate(snapshot.customers):
        exposure = open_receivables[i] + orders_to_invoice[i]
        cover_status, insured = _cover(customer.insurer_cover, as_of, rates)
        oldest = oldest_due[i]
        result.append({
            "open_receivables": open_receivables[i],
            "overdue_amount": overdue_amount[i],
            "max_days_overdue": (as_of - oldest).days if oldest else 0,
            "orders_to_invoice": orders_to_invoice[i],
            "exposure": exposure,
            "credit_limit": (customer.credit_limit or ZERO).quantize(CENT, ROUND_HALF_UP),
            "insured_cover": insured,
            "uninsured_exposure": max(ZERO, exposure - insured),
            "payment_term_days": terms[i],
            "cover_status": cover_status,
            "cover_request_pending": bool(customer.insurer_cover and customer.insurer_cover.request_pending),
            "country_risk": snapshot.country_risk.get(customer.country) if customer.country else None,
            "on_hold": customer.on_hold,
            "max_credit_period_days": pt.max_credit_period_days if pt else None,
            "max_extension_days": pt.max_extension_days if pt else None,
            "overdue_notification_days": notification_days,
            "discretionary_limit": pt.discretionary_limit.quantize(CENT, ROUND_HALF_UP) if pt else None,
            "overdue_declare_by": (oldest + dt.timedelta(days=notification_days)
                                   if oldest and notification_days is not None else None),
        })
    return result


def _cover(cover, as_of, rates) -> tuple[str, Decimal]:
    """The cover's status as the policy sees it, and the amount in force (company currency)."""
    if cover is None:
        return "none", ZERO
    in_force = cover.status in ("approved", "partial")
    if in_force and cover.valid_until is not None and cover.valid_until < as_of:
        return "expired", ZERO
    return cover.status, to_company(cover.amount, rates[cover.currency]) if in_force else ZERO
