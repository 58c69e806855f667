"""Tryton's converters and splitter: payment terms, addresses, the add-on's cover, states, instalments.

Registered by name with the others of mappings/converters.py (see there what a converter is)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from creditguard.mappings.converters import converter, cover, iso_date, known_state, splitter
from creditguard.mappings.ids import canonical_id


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
    return cover(amount, None, status, valid_until, request_pending, ctx)


_INVOICE_STATES = {"draft": "draft", "validated": "draft", "posted": "posted", "paid": "posted",
                   "cancelled": "cancelled"}
_ORDER_STATES = {"draft": "quotation", "quotation": "quotation", "confirmed": "confirmed",
                 "processing": "confirmed", "done": "done", "cancelled": "cancelled"}


@converter
def invoice_state(state, ctx):
    """draft/validated -> draft, posted/paid -> posted, cancelled -> cancelled."""
    return known_state(_INVOICE_STATES, state, "invoice", ctx)


@converter
def order_state(state, ctx):
    """draft/quotation -> quotation, confirmed/processing -> confirmed, done, cancelled."""
    return known_state(_ORDER_STATES, state, "sale", ctx)


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
