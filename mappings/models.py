"""The canonical, ERP-neutral models: the snapshot contract v1 (docs/snapshot.md), and the rows that ERP
mappings produce besides it (company, currency, payment term). The one home of the status vocabularies."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.dataclasses import dataclass

SNAPSHOT_FORMAT = "creditguard-snapshot/1"
SNAPSHOT_FORMAT_HISTORY = "creditguard-snapshot/1.1"   # minor 1: payment history and the WCR totals
SnapshotFormat = Literal["creditguard-snapshot/1", "creditguard-snapshot/1.1"]

Money = Annotated[Decimal, Field(allow_inf_nan=False)]
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]     # a limit or a cover: never below 0
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
RecordId = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Days = Annotated[int, Field(ge=0)]

COVER_STATUSES = ("approved", "partial", "pending", "refused", "cancelled", "expired")
COVER_IN_FORCE = ("approved", "partial")       # statuses under which the cover amount counts
CoverStatus = Literal[COVER_STATUSES]
InvoiceKind = Literal["invoice", "credit_note"]
InvoiceState = Literal["draft", "posted", "cancelled"]
OrderState = Literal["quotation", "confirmed", "done", "cancelled"]
PaymentKind = Literal["payment", "credit_note", "write_off"]

_STRICT = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class Company(BaseModel):
    model_config = _STRICT
    name: str
    currency: Currency
    # contract 1.1, optional, in company currency: what a working capital requirement needs
    trade_payables: Optional[Money] = None
    inventory_value: Optional[Money] = None


class PolicyTerms(BaseModel):
    """Conditions of the trade-credit insurance policy the company holds."""
    model_config = _STRICT
    insurer: Optional[str] = None
    max_credit_period_days: Days
    max_extension_days: Days
    overdue_notification_days: Days
    discretionary_limit: Money = Decimal(0)
    insured_percent: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(90)
    # overdue declarations (connector/insurer/overdues.py): an undisputed invoice this many days past due is
    # declared (default: overdue_notification_days - deadline_warning_days); deadlines this close are notified
    declare_after_days: Optional[Days] = None
    deadline_warning_days: Days = 7
    # claims (connector/insurer/claims.py; off without claim_filing_days): a declared overdue still unpaid on the
    # claim date (its due date + max_extension_days: the end of the extension period) is claimed within
    # claim_filing_days of it; the insurer pays insured_percent of the loss above the deductible after the
    # waiting period, nothing when the loss is at or below the claim threshold
    claim_filing_days: Optional[Days] = None
    waiting_period_days: Optional[Days] = None
    claim_threshold: Money = Decimal(0)
    deductible: Money = Decimal(0)


class InsurerCover(BaseModel):
    """The credit limit an insurer grants on one buyer."""
    model_config = _STRICT
    amount: Amount
    currency: Currency
    status: CoverStatus
    valid_until: Optional[dt.date] = None
    request_pending: bool = False
    reduced: bool = False           # the insurer cut this cover on its own (a reduction with notice)


class Customer(BaseModel):
    model_config = _STRICT
    id: RecordId
    name: str
    country: Optional[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = None
    credit_limit: Optional[Amount] = None
    payment_term_days: Optional[Days] = None
    on_hold: bool = False
    insurer_cover: Optional[InsurerCover] = None
    buyer_grade: Optional[Annotated[int, Field(ge=1, le=10)]] = None   # the insurer's grade of the buyer
    declared_overdue: bool = False  # an overdue declaration of the buyer is open at the insurer
    claim_open: bool = False        # a claim on the buyer is prepared or filed, not yet paid or refused


# Invoices and orders come by the million: slotted pydantic dataclasses keep them small.
@dataclass(slots=True, frozen=True, config=_STRICT)
class Payment:
    """Contract 1.1: one event that settled part of an invoice, in the invoice's currency."""
    date: dt.date
    amount: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    kind: PaymentKind = "payment"


@dataclass(slots=True, frozen=True, config=_STRICT)
class Invoice:
    id: RecordId
    customer_id: RecordId
    kind: InvoiceKind
    state: InvoiceState
    currency: Currency
    amount_total: Money
    amount_residual: Money
    due_date: Optional[dt.date] = None
    invoice_date: Optional[dt.date] = None
    number: Optional[str] = None
    disputed: bool = False
    payments: Optional[tuple[Payment, ...]] = None   # contract 1.1: None = no history given


@dataclass(slots=True, frozen=True, config=_STRICT)
class SaleOrder:
    id: RecordId
    customer_id: RecordId
    state: OrderState
    currency: Currency
    amount_total: Money
    amount_to_invoice: Money
    date_order: Optional[dt.date] = None
    number: Optional[str] = None
    payment_term_days: Optional[Days] = None


class SnapshotHeader(BaseModel):
    """Everything of a snapshot but its records: the date, the company and its terms."""
    model_config = ConfigDict(extra="forbid")
    format: SnapshotFormat
    as_of: dt.date
    company: Company
    fx_rates: dict[Currency, Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]] = {}
    policy_terms: Optional[PolicyTerms] = None
    country_risk: dict[str, Annotated[int, Field(ge=0, le=7)]] = {}

    def rate(self, currency: str) -> Decimal | None:
        """Value of one unit of `currency` in company currency, None when the snapshot has no rate."""
        return Decimal(1) if currency == self.company.currency else self.fx_rates.get(currency)


class Snapshot(SnapshotHeader):
    """One company's receivables, orders and covers on one date."""
    customers: list[Customer]
    invoices: list[Invoice] = []
    orders: list[SaleOrder] = []

    @property
    def header(self) -> SnapshotHeader:
        return SnapshotHeader.model_construct(**{name: getattr(self, name) for name in SnapshotHeader.model_fields})

    def iter_invoices(self):
        return iter(self.invoices)

    def iter_orders(self):
        return iter(self.orders)


# --- rows the ERP mappings produce besides the snapshot's records ---------------------------------

class CompanyRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    party_id: Optional[str] = None


class CurrencyRow(BaseModel):
    """`rate`: units of this currency for one unit of the ERP's base (0 or None: no rate)."""
    model_config = ConfigDict(extra="forbid")
    id: str
    code: str = Field(pattern=r"^[A-Z]{3}$")
    rate: Optional[float] = None


class PaymentTermRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    days: int = Field(ge=0)


ROW_MODELS = {"customer": Customer, "invoice": Invoice, "order": SaleOrder, "company": CompanyRow,
              "currency": CurrencyRow, "payment_term": PaymentTermRow}
