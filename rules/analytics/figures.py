"""How every analytics figure is rounded and typed, once (docs/kpis.md, "Rounding").

Money is whole cents (ints) until it is shown, then a Decimal of 2 places. Days and ratios are computed
exactly (integers and Fractions, never binary floats) and rounded once, half-up (a half rounds away
from zero), to the precision they are printed at: days to 0.1, ratios to 0.0001 (a percentage to
0.01 %). The terminal, JSON and HTML print that one rounded value, so they cannot disagree."""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

DAYS = 1          # decimal places of a number of days (DSO, average days late)
RATIO = 4         # decimal places of a ratio between 0 and 1 (shown as a percentage with 2)


class Number(Decimal):
    """A figure that is not money (days, a ratio): JSON writes it as a number, not a string."""

    __slots__ = ()


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _half_up(value) -> int:
    """The nearest whole number to `value` (exactly: int, Fraction, Decimal or float), a half away from 0."""
    value = Fraction(value)
    whole = math.floor(abs(value) + Fraction(1, 2))
    return -whole if value < 0 else whole


def rounded(value, places: int) -> Number:
    """`value` (int, Fraction or Decimal) rounded half-up to `places` decimals, exactly."""
    return Number(Decimal(_half_up(Fraction(value) * 10 ** places)).scaleb(-places))


def days(numerator, denominator=1) -> Number:
    return rounded(Fraction(numerator) / Fraction(denominator), DAYS)


def ratio(numerator, denominator) -> Number:
    return rounded(Fraction(numerator) / Fraction(denominator), RATIO)


def cents_half_up(value) -> int:
    """A Fraction or float of cents to whole cents, half-up."""
    return _half_up(value)


def quantile(values, p: float):
    """Nearest-rank quantile: the smallest value with at least p of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else None
