"""Named converters and splitters that mapping files may use: small, pure, tested functions.

A converter takes the values of a mapping line's source fields, in order, and the MapContext (`ctx`): the
record being mapped, the related records read with its page, and the lookup tables of earlier streams.
A splitter turns one ERP record into several (one canonical invoice per unpaid instalment); the fields it
adds start with `_`.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import MappingError
from .ids import canonical_id

__all__ = ["CONVERTERS", "SPLITTERS", "MapContext", "converter", "splitter"]

CONVERTERS: dict = {}
SPLITTERS: dict = {}


@dataclass
class MapContext:
    """What a converter may look at besides its own values."""
    record: dict = field(default_factory=dict)
    related: dict = field(default_factory=dict)        # related name -> {id: record}
    lookups: dict = field(default_factory=dict)        # stream name -> {id: mapped record}
    where: str = ""                                    # "account.invoice 7", for messages

    @property
    def company(self) -> dict:
        """The mapped company record (the `company` stream), or {} before it is read."""
        return next(iter(self.lookups.get("company", {}).values()), {})

    def lookup(self, stream, record_id, what):
        """The mapped record `record_id` of lookup stream `stream`; MappingError if it is missing."""
        table = self.lookups.get(stream)
        if table is None:
            raise MappingError(f"{what} needs the {stream!r} stream, which was not read first", where=self.where)
        try:
            return table[canonical_id(record_id)]
        except KeyError:
            raise MappingError(f"{what}: {stream} record {record_id} is unknown", where=self.where) from None


def converter(function):
    CONVERTERS[function.__name__] = function
    return function


def splitter(provides):
    def register(function):
        function.provides = frozenset(provides)
        SPLITTERS[function.__name__] = function
        return function
    return register


# -- plain values ---------------------------------------------------------------------------------

@converter
def record_id(value, ctx):
    """An ERP id (integer, or a relation's id) as a canonical record id string; None stays None."""
    return canonical_id(value)


@converter
def text(value, ctx):
    return None if value is None or value is False else str(value)


@converter
def boolean(value, ctx):
    """SQLite answers booleans as 0/1 and empty as None: a plain bool."""
    return bool(value)


@converter
def decimal(value, ctx):
    return None if value is None else Decimal(str(value))


@converter
def positive(value, ctx):
    """The absolute value of an amount (credit notes are negative in the ERP, positive in the snapshot)."""
    return None if value is None else abs(Decimal(str(value)))


@converter
def iso_date(value, ctx):
    if isinstance(value, dt.datetime):
        return value.date()
    return value


# -- lookups ------------------------------------------------------------------------------------

@converter
def currency_code(currency_id, ctx):
    """A currency's ISO code from the `currencies` stream."""
    return ctx.lookup("currencies", currency_id, "currency")["code"]


@converter
def term_days(term_id, ctx):
    """Days of a payment term from the `payment_terms` stream; no term -> None."""
    if term_id is None:
        return None
    return ctx.lookup("payment_terms", term_id, "payment term")["days"]


# -- Tryton specifics ---------------------------------------------------------------------------

@converter
def longest_delta_days(line_ids, ctx):
    """The longest a payment may take under a Tryton payment term: the max over its lines of
    days + 7 x weeks + 30 x months, plus 30 when a day or month of the year is fixed and 6 for a weekday
    (the most those can add)."""
    deltas = ctx.related.get("deltas", {})
    lines = ctx.related.get("lines", {})
    longest = 0
    for line_id in line_ids or ():
        for delta_id in lines.get(line_id, {}).get("relativedeltas", ()):
            delta = deltas.get(delta_id, {})
            days = (delta.get("days") or 0) + 7 * (delta.get("weeks") or 0) + 30 * (delta.get("months") or 0)
            days += 30 if delta.get("day") or delta.get("month") else 0
            days += 6 if delta.get("weekday") else 0
            longest = max(longest, days)
    return longest


@converter
def first_country(address_ids, ctx):
    """The ISO code of the country of the party's first address that has one."""
    addresses, countries = ctx.related.get("addresses", {}), ctx.related.get("countries", {})
    for address_id in address_ids or ():
        country_id = addresses.get(address_id, {}).get("country")
        if country_id:
            code = countries.get(country_id, {}).get("code")
            return code.upper() if code else None
    return None


@converter
def insurer_cover(amount, status, valid_until, request_pending, ctx):
    """The add-on's cover fields as an InsurerCover (company currency); a request without a cover yet is a
    cover of 0 with status pending, so the request is not repeated."""
    return _cover(amount, None, status, valid_until, request_pending, ctx)


def _cover(amount, currency, status, valid_until, request_pending, ctx):
    """An InsurerCover record, in `currency` or the company's; None when there is neither cover nor request."""
    request_pending = bool(request_pending)
    if not status and not request_pending:
        return None
    return {"amount": Decimal(str(amount or 0)), "currency": currency or company_currency(None, ctx),
            "status": status or "pending", "valid_until": valid_until, "request_pending": request_pending}


_INVOICE_STATES = {"draft": "draft", "validated": "draft", "posted": "posted", "paid": "posted",
                   "cancelled": "cancelled"}
_ORDER_STATES = {"draft": "quotation", "quotation": "quotation", "confirmed": "confirmed",
                 "processing": "confirmed", "done": "done", "cancelled": "cancelled"}


@converter
def invoice_state(state, ctx):
    """draft/validated -> draft, posted/paid -> posted, cancelled -> cancelled."""
    return _state(_INVOICE_STATES, state, "invoice", ctx)


@converter
def order_state(state, ctx):
    """draft/quotation -> quotation, confirmed/processing -> confirmed, done, cancelled."""
    return _state(_ORDER_STATES, state, "sale", ctx)


def _state(table, state, what, ctx):
    try:
        return table[state]
    except KeyError:
        raise MappingError(f"unknown {what} state {state!r}", where=ctx.where,
                           hint=f"known states: {', '.join(table)}") from None


@converter
def invoice_kind(sequence_type, total_amount, ctx):
    """Tryton numbers an invoice as a credit note when its total is negative; drafts have no number yet."""
    if sequence_type in ("invoice", "credit_note"):
        return sequence_type
    return "credit_note" if total_amount is not None and total_amount < 0 else "invoice"


@converter
def amount_to_invoice(total_amount, invoice_ids, ctx):
    """The sale's total (tax included, like the receivable it becomes) less the totals of its invoices
    that are posted or paid; draft, validated and cancelled invoices are still to invoice."""
    invoices = ctx.related.get("invoices", {})
    invoiced = sum((Decimal(str(invoices[i].get("total_amount") or 0)) for i in invoice_ids or ()
                    if i in invoices and invoices[i].get("state") in ("posted", "paid")), Decimal(0))
    return max(Decimal(0), Decimal(str(total_amount or 0)) - invoiced)


@splitter(provides=("_id", "_number", "_amount", "_residual", "_due", "_payments"))
def instalments(record, ctx):
    """One record per unpaid instalment of a posted Tryton invoice (its lines to pay), with its own due date
    and residual; an invoice with a single instalment keeps its own id, several get `<invoice>/<line>`.
    Unreconciled payment lines (partial payments) are applied to the earliest instalments first.
    Drafts, cancelled and fully paid invoices give one record with the invoice's total and residual.
    `_payments` is the history (contract 1.1): the partial payments applied to an instalment, or the
    reconciliations that paid a paid invoice, by date; None where it would not add up."""
    lines = ctx.related.get("lines_to_pay", {})
    to_pay = [lines[i] for i in record.get("lines_to_pay") or () if i in lines]
    total = abs(Decimal(str(record.get("total_amount") or 0)))
    invoice_id = canonical_id(record["id"])
    currency = record.get("currency")
    if record.get("state") != "posted" or not to_pay:
        residual = Decimal(0) if record.get("state") == "paid" else total
        history = _reconciled(record, to_pay, total, ctx) if record.get("state") == "paid" else None
        return [dict(record, _id=invoice_id, _number=record.get("number"), _amount=total, _residual=residual,
                     _due=record.get("payment_term_date") or record.get("invoice_date"), _payments=history)]
    partials = sorted(((line.get("date"), -_line_amount(line, currency, ctx)) for line in _payment_lines(record, ctx)),
                      key=lambda p: (p[0] or dt.date.max))
    paid = sum((amount for _, amount in partials), Decimal(0))
    if _line_amount(to_pay[0], currency, ctx) < 0:
        paid, partials = -paid, [(day, -amount) for day, amount in partials]
    to_pay.sort(key=lambda line: (line.get("maturity_date") or dt.date.max, line["id"]))
    out = []
    for n, line in enumerate(to_pay, 1):
        amount = abs(_line_amount(line, currency, ctx))
        residual = Decimal(0) if line.get("reconciliation") else amount
        applied = min(residual, max(paid, Decimal(0)))
        residual, paid = residual - applied, paid - applied
        history, partials = _take(partials, applied) if not line.get("reconciliation") else (None, partials)
        if line.get("reconciliation") or (residual == 0 and len(to_pay) > 1):
            continue
        single = len(to_pay) == 1
        number = record.get("number")
        out.append(dict(record, _id=invoice_id if single else f"{invoice_id}/{line['id']}",
                        _number=number if single or not number else f"{number} ({n}/{len(to_pay)})",
                        _amount=amount, _residual=residual, _due=line.get("maturity_date"),
                        _payments=_dated(history, record)))
    if not out:       # every instalment reconciled but the invoice not yet marked paid
        out.append(dict(record, _id=invoice_id, _number=record.get("number"), _amount=total,
                        _residual=Decimal(0), _due=to_pay[-1].get("maturity_date"),
                        _payments=_reconciled(record, to_pay, total, ctx)))
    return out


def _take(partials, amount):
    """The partial payments, earliest first, that make up `amount`, and what is left of them."""
    taken, left = [], list(partials)
    while amount > 0 and left:
        day, available = left[0]
        used = min(available, amount)
        taken.append((day, used))
        amount -= used
        left = [(day, available - used)] + left[1:] if available > used else left[1:]
    return taken, left


def _reconciled(record, to_pay, total, ctx):
    """A paid invoice's history: each line to pay settled on its reconciliation's date."""
    reconciliations = ctx.related.get("reconciliations", {})
    currency = record.get("currency")
    events = []
    for line in to_pay:
        done = reconciliations.get(line.get("reconciliation"))
        if done is None or done.get("date") is None:
            return None
        events.append((done["date"], abs(_line_amount(line, currency, ctx))))
    return _dated(events, record) if sum((a for _, a in events), Decimal(0)) == total else None


def _dated(events, record):
    """Payment events as contract 1.1 wants them; None (no history) when one has no date or precedes the
    invoice: the ERP's books say so, but the contract could not carry it."""
    if events is None:
        return None
    invoice_date = record.get("invoice_date")
    history = []
    for day, amount in events:
        day = iso_date(day, None)
        if day is None or (invoice_date is not None and day < iso_date(invoice_date, None)):
            return None
        if amount > 0:
            history.append({"date": day, "amount": amount, "kind": "payment"})
    return history


def _payment_lines(record, ctx):
    lines = ctx.related.get("payment_lines", {})
    return [lines[i] for i in record.get("payment_lines") or () if i in lines and not lines[i].get("reconciliation")]


def _line_amount(line, invoice_currency, ctx):
    """A move line's amount in the invoice's currency (debit positive)."""
    if line.get("second_currency") and line.get("second_currency") == invoice_currency:
        return Decimal(str(line.get("amount_second_currency") or 0))
    return Decimal(str(line.get("debit") or 0)) - Decimal(str(line.get("credit") or 0))


# -- Odoo specifics -----------------------------------------------------------------------------

_ODOO_ORDER_STATES = {"draft": "quotation", "sent": "quotation", "sale": "confirmed", "done": "done",
                      "cancel": "cancelled"}
_ODOO_INVOICE_STATES = {"draft": "draft", "posted": "posted", "cancel": "cancelled"}
_ODOO_INVOICE_KINDS = {"out_invoice": "invoice", "out_refund": "credit_note"}
_PREVIEW_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")       # US English, as the mapping reads it


@converter
def odoo_order_state(state, ctx):
    """draft/sent -> quotation, sale -> confirmed, done (Odoo 16 and older) -> done, cancel -> cancelled."""
    return _state(_ODOO_ORDER_STATES, state, "sale order", ctx)


@converter
def odoo_invoice_state(state, ctx):
    return _state(_ODOO_INVOICE_STATES, state, "invoice", ctx)


@converter
def odoo_invoice_kind(move_type, ctx):
    """out_invoice -> invoice, out_refund -> credit_note."""
    return _state(_ODOO_INVOICE_KINDS, move_type, "customer invoice type", ctx)


@converter
def line_id(move_id, line, ctx):
    """`<invoice>/<receivable line>`: one canonical invoice per instalment."""
    return f"{canonical_id(move_id)}/{canonical_id(line)}"


@converter
def company_currency(company_id, ctx):
    """The company's currency (the `company` stream): what Odoo books amounts of journal items in."""
    currency = ctx.company.get("currency")
    if currency is None:
        raise MappingError("needs the company's currency (the `company` stream)", where=ctx.where)
    return currency


@converter
def datetime_date(value, ctx):
    """The date of an ERP date-time ("2026-11-30 14:05:00" or a datetime)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


@converter
def country_code(country_id, ctx):
    """The ISO code of a country read with the page (related `countries`)."""
    country = ctx.related.get("countries", {}).get(_first_id(country_id))
    code = country.get("code") if country else None
    return code.upper() if code else None


@converter
def commercial_partner(partner_id, ctx):
    """The commercial partner (the company) of a partner read with the page (related `partners`)."""
    partner = ctx.related.get("partners", {}).get(_first_id(partner_id))
    return canonical_id(partner.get("commercial_partner_id")) if partner else canonical_id(partner_id)


@converter
def preview_days(preview, example_date, ctx):
    """Days from an example invoice's date to the last due date Odoo computed for it under the term."""
    dates = [dt.date(int(y), int(m), int(d)) for m, d, y in _PREVIEW_DATE.findall(preview or "")]
    if not dates or not example_date:
        return 0
    return max(0, (max(dates) - dt.date.fromisoformat(str(example_date)[:10])).days)


@converter
def insurer_cover_with_currency(amount, currency_id, status, valid_until, request_pending, ctx):
    """The add-on's cover fields as an InsurerCover, in the cover's own currency (company currency if unset)."""
    currency = ctx.lookup("currencies", currency_id, "currency")["code"] if currency_id else None
    return _cover(amount, currency, status, valid_until, request_pending, ctx)


def _first_id(value):
    return value[0] if isinstance(value, (list, tuple)) and value else value


@converter
def odoo_payments(paid_by, refunded_by, balance, residual, ctx):
    """The settlements of a receivable line, from its partial reconciliations: date, amount (company currency)
    and kind — a credit note when the other side is an invoice or a refund, else a payment. None (no history)
    when they do not add up to the line's total less its residual."""
    events = []
    for ids, related, lines, side in ((paid_by, "paid_by", "settling_lines", "credit_move_id"),
                                      (refunded_by, "refunded_by", "refunding_lines", "debit_move_id")):
        for partial_id in ids or ():
            partial = ctx.related.get(related, {}).get(partial_id)
            if partial is None:
                return None
            other = ctx.related.get(lines, {}).get(_first_id(partial.get(side)), {})
            kind = "credit_note" if other.get("move_type") in ("out_invoice", "out_refund") else "payment"
            events.append({"date": datetime_date(partial.get("max_date"), ctx),
                           "amount": abs(Decimal(str(partial.get("amount") or 0))), "kind": kind})
    settled = sum((e["amount"] for e in events), Decimal(0))
    if abs(Decimal(str(balance or 0))) - settled != abs(Decimal(str(residual or 0))):
        return None
    return sorted((e for e in events if e["amount"] > 0), key=lambda e: e["date"])
