"""Money, one way everywhere: Decimal amounts, whole cents while summing, half-up rounding to the cent
(as the ERPs book a converted amount), the credit-note sign, conversion to company currency.

    cents_rates(fx_rates, company)   {currency: cents of company currency per unit}  (the company's own: 100)
    to_cents(amount, cents_rate)     an amount in any currency -> whole cents of company currency (int)
    from_cents(cents)                whole cents -> Decimal with 2 places
    to_company(amount, rate)         an amount -> company currency, rounded to the cent (rate None: it is already)
    round_cent(amount)               half-up to the cent
    signed(kind, amount)             a document's amount as it counts: a credit note's against (negative,
                                     whichever sign it was written with), an invoice's as it is
    sign(kind)                       -1 for a credit note, else 1: the direction of its (positive) payments
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "CREDIT_NOTE", "cents_rates", "from_cents", "round_cent", "sign", "signed", "to_cents", "to_company"]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
CREDIT_NOTE = "credit_note"         # the invoice kind whose amounts count negative


def round_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def to_company(amount: Decimal, rate: Decimal | None) -> Decimal:
    """`amount` in company currency at `rate` (None: it is in company currency), rounded to the cent."""
    return round_cent(amount if rate is None else amount * rate)


def cents_rates(fx_rates: dict, company_currency: str) -> dict[str, Decimal]:
    """For each currency, how many cents of company currency one unit is worth; the company's own is 100."""
    rates = {currency: rate * HUNDRED for currency, rate in fx_rates.items()}
    rates[company_currency] = HUNDRED
    return rates


def to_cents(amount: Decimal, cents_rate: Decimal) -> int:
    """`amount` as whole cents of company currency (`cents_rate` from cents_rates), half-up."""
    return int((amount * cents_rate).to_integral_value(ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def sign(kind: str) -> int:
    return -1 if kind == CREDIT_NOTE else 1


def signed(kind: str, amount):
    return -abs(amount) if kind == CREDIT_NOTE else amount
