"""Facts per customer (docs/facts.md): what the policy's conditions can read."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from creditguard.mappings.models import COVER_IN_FORCE, COVER_STATUSES
from creditguard.mappings.money import cents_rates, from_cents, round_cent, signed, to_cents, to_company

from creditguard.rules.expr import Vocabulary


ZERO = Decimal("0.00")
COVER_STATUS_FACT = ("none", *COVER_STATUSES)        # the values of the cover_status fact


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
        return _TYPES.get(self.kind, self.kind)


_TYPES = {"money": "number", "days": "number", "grade": "number", "status": "text", "country": "text"}


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
    FactSpec("cover_reduced", "bool", "the cover in force is one the insurer reduced on its own"),
    FactSpec("country", "country", "the customer's country, an ISO code such as 'TR'; absent if unknown", True),
    FactSpec("country_risk", "grade", "country risk grade 0 (low) to 7 (high); absent if unknown", True),
    FactSpec("buyer_grade", "grade", "the insurer's grade of the buyer, 1 (best) to 10; absent if unknown", True),
    FactSpec("on_hold", "bool", "the customer is on hold in the ERP now"),
    FactSpec("max_credit_period_days", "days", "policy term: longest payment term allowed", True),
    FactSpec("max_extension_days", "days", "policy term: longest time an invoice may stay unpaid past due", True),
    FactSpec("overdue_notification_days", "days", "policy term: overdue must be declared within this", True),
    FactSpec("discretionary_limit", "money", "policy term: exposure the insured may carry without a cover", True),
    FactSpec("overdue_declare_by", "date", "date by which the oldest overdue must be declared to the insurer",
             True),
    FactSpec("declared_overdue", "bool", "an overdue declaration of this buyer is open at the insurer"),
    FactSpec("claim_open", "bool", "a claim on this buyer is prepared or filed, not yet paid or refused"),
    FactSpec("days_to_declaration_deadline", "days", "days left to declare the oldest overdue (negative: "
             "late); absent when nothing is to declare (none overdue, or declared already)", True),
)}
NUMBER_FACTS = tuple(name for name, spec in FACTS.items() if spec.type == "number")
# what each text fact may be compared with
VOCABULARIES = {
    "cover_status": Vocabulary("status", COVER_STATUS_FACT),
    "country": Vocabulary("country code", pattern="[A-Z]{2}", example="TR"),
}


def absent_facts(policy) -> frozenset:
    """The facts that may be absent (None) when `policy` is evaluated: nullable, and no default given."""
    return frozenset(name for name, spec in FACTS.items() if spec.nullable and name not in policy.defaults)


def compute_facts(snapshot, as_of: dt.date | None = None) -> list[dict]:
    """One facts dict per customer, in the snapshot's order, as of `as_of` (default: the snapshot's).

    `snapshot` is a Snapshot or a SnapshotSource; its invoices and orders are read once."""
    ledger = Ledger(snapshot.header, snapshot.customers, as_of)
    ledger.absorb(ledger.fold_invoices(snapshot.iter_invoices()))
    ledger.absorb(ledger.fold_orders(snapshot.iter_orders()))
    return ledger.facts()


class Totals:
    """One customer's running totals: money in whole cents, the oldest overdue due date as a day ordinal."""
    __slots__ = ("receivable", "overdue", "oldest_due", "to_invoice", "term")

    def __init__(self, term: int = 0):
        self.receivable = 0          # posted invoices' residual, credit notes negative
        self.overdue = 0             # residual of undisputed invoices past due
        self.oldest_due = None       # ordinal of the oldest overdue due date, None if nothing is overdue
        self.to_invoice = 0          # confirmed orders not yet invoiced
        self.term = term             # longest payment term, days

    def add(self, other: "Totals") -> None:
        self.receivable += other.receivable
        self.overdue += other.overdue
        if other.oldest_due is not None and (self.oldest_due is None or other.oldest_due < self.oldest_due):
            self.oldest_due = other.oldest_due
        self.to_invoice += other.to_invoice
        if other.term > self.term:
            self.term = other.term


class Ledger:
    """Each customer's running Totals, folded from invoices and orders.

    Folding a batch gives a small partial ({customer index: Totals}) that `absorb` adds in: batches
    can be folded anywhere (another process) and absorbed in any order, with the same result."""

    def __init__(self, header, customers, as_of: dt.date | None = None):
        self.header = header
        self.customers = customers
        self.as_of = as_of or header.as_of
        # as of an earlier date than the snapshot's, the books are as they were then: later documents are left out
        self.cutoff = self.as_of if self.as_of < header.as_of else None
        self.index = {customer.id: i for i, customer in enumerate(customers)}
        self.cents_rate = cents_rates(header.fx_rates, header.company.currency)
        self.totals = [Totals(customer.payment_term_days or 0) for customer in customers]

    def fold_invoices(self, invoices) -> dict:
        partial, index, rates, as_of, cutoff = {}, self.index, self.cents_rate, self.as_of, self.cutoff
        for inv in invoices:
            if inv.state != "posted" or cutoff and (inv.invoice_date or inv.due_date) > cutoff:
                continue
            if not inv.amount_residual:         # paid: it adds nothing (most invoices of a ledger)
                continue
            i = index[inv.customer_id]
            residual = signed(inv.kind, to_cents(inv.amount_residual, rates[inv.currency]))
            totals = partial.get(i) or partial.setdefault(i, Totals())
            totals.receivable += residual
            due = inv.due_date or inv.invoice_date
            if residual > 0 and not inv.disputed and due < as_of:
                totals.overdue += residual
                due = due.toordinal()
                if totals.oldest_due is None or due < totals.oldest_due:
                    totals.oldest_due = due
        return partial

    def fold_orders(self, orders) -> dict:
        partial, index, rates, cutoff = {}, self.index, self.cents_rate, self.cutoff
        for order in orders:
            if order.state not in ("quotation", "confirmed") or cutoff and order.date_order and \
                    order.date_order > cutoff:
                continue
            i = index[order.customer_id]
            totals = partial.get(i) or partial.setdefault(i, Totals())
            if order.payment_term_days is not None and order.payment_term_days > totals.term:
                totals.term = order.payment_term_days
            if order.state == "confirmed":
                totals.to_invoice += to_cents(order.amount_to_invoice, rates[order.currency])
        return partial

    def absorb(self, partial: dict) -> None:
        for i, totals in partial.items():
            self.totals[i].add(totals)

    def facts(self) -> list[dict]:
        """One facts dict per customer, in order."""
        header, as_of = self.header, self.as_of
        rates = dict(header.fx_rates)
        rates[header.company.currency] = None
        pt = header.policy_terms
        notification_days = pt.overdue_notification_days if pt else None
        discretionary = round_cent(pt.discretionary_limit) if pt else None
        result = []
        for customer, t in zip(self.customers, self.totals):
            oldest = dt.date.fromordinal(t.oldest_due) if t.oldest_due is not None else None
            result.append(customer_facts(header, customer, as_of, rates, from_cents(t.receivable), from_cents(t.overdue),
                                         oldest, from_cents(t.to_invoice), t.term, notification_days, discretionary))
        return result


def customer_facts(header, customer, as_of, rates, open_receivables, overdue_amount, oldest, orders_to_invoice,
                   payment_term_days, notification_days, discretionary) -> dict:
    pt = header.policy_terms
    exposure = open_receivables + orders_to_invoice
    declare_by = oldest + dt.timedelta(days=notification_days) if oldest and notification_days is not None else None
    cover_status, insured = _cover(customer.insurer_cover, as_of, rates)
    return {
        "open_receivables": open_receivables,
        "overdue_amount": overdue_amount,
        "max_days_overdue": (as_of - oldest).days if oldest else 0,
        "orders_to_invoice": orders_to_invoice,
        "exposure": exposure,
        "credit_limit": round_cent(customer.credit_limit or ZERO),
        "insured_cover": insured,
        "uninsured_exposure": max(ZERO, exposure - insured),
        "payment_term_days": payment_term_days,
        "cover_status": cover_status,
        "cover_request_pending": bool(customer.insurer_cover and customer.insurer_cover.request_pending),
        "cover_reduced": bool(customer.insurer_cover and customer.insurer_cover.reduced
                              and cover_status in COVER_IN_FORCE),
        "country": customer.country,
        "country_risk": header.country_risk.get(customer.country) if customer.country else None,
        "buyer_grade": customer.buyer_grade,
        "on_hold": customer.on_hold,
        "max_credit_period_days": pt.max_credit_period_days if pt else None,
        "max_extension_days": pt.max_extension_days if pt else None,
        "overdue_notification_days": notification_days,
        "discretionary_limit": discretionary,
        "overdue_declare_by": declare_by,
        "declared_overdue": customer.declared_overdue,
        "claim_open": customer.claim_open,
        "days_to_declaration_deadline": (declare_by - as_of).days if declare_by and not customer.declared_overdue
        else None,
    }


def _cover(cover, as_of, rates) -> tuple[str, Decimal]:
    """The cover's status as the policy sees it, and the amount in force (company currency)."""
    if cover is None:
        return "none", ZERO
    in_force = cover.status in COVER_IN_FORCE
    if in_force and cover.valid_until is not None and cover.valid_until < as_of:
        return "expired", ZERO
    return cover.status, to_company(cover.amount, rates[cover.currency]) if in_force else ZERO
