"""Odoo's converters: states, move types, receivable lines, countries, payment-term previews, the add-on's cover
in its currency, settlements.

Registered by name with the others of mappings/converters.py (see there what a converter is)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from creditguard.mappings.converters import converter, cover, known_state
from creditguard.mappings.ids import canonical_id


_ODOO_ORDER_STATES = {"draft": "quotation", "sent": "quotation", "sale": "confirmed", "done": "done",
                      "cancel": "cancelled"}
_ODOO_INVOICE_STATES = {"draft": "draft", "posted": "posted", "cancel": "cancelled"}
_ODOO_INVOICE_KINDS = {"out_invoice": "invoice", "out_refund": "credit_note"}
_PREVIEW_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")       # US English, as the mapping reads it


@converter
def odoo_order_state(state, ctx):
    """draft/sent -> quotation, sale -> confirmed, done (Odoo 16 and older) -> done, cancel -> cancelled."""
    return known_state(_ODOO_ORDER_STATES, state, "sale order", ctx)


@converter
def odoo_invoice_state(state, ctx):
    return known_state(_ODOO_INVOICE_STATES, state, "invoice", ctx)


@converter
def odoo_invoice_kind(move_type, ctx):
    """out_invoice -> invoice, out_refund -> credit_note."""
    return known_state(_ODOO_INVOICE_KINDS, move_type, "customer invoice type", ctx)


@converter
def line_id(move_id, line, ctx):
    """`<invoice>/<receivable line>`: one canonical invoice per instalment."""
    return f"{canonical_id(move_id)}/{canonical_id(line)}"


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
    return cover(amount, currency, status, valid_until, request_pending, ctx)


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
