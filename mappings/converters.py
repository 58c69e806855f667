"""Named converters and splitters that mapping files may use: small, pure, tested functions.

A converter takes the values of a mapping line's source fields, in order, and the MapContext (`ctx`): the
record being mapped, the related records read with its page, and the lookup tables of earlier streams.
A splitter turns one ERP record into several (one canonical invoice per unpaid instalment); the fields it
adds start with `_`. The converters every ERP may use are here; each ERP's own are in mappings/<erp>/converters.py,
beside its YAML (mappings/mapper.py imports them, and they register by name).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from creditguard.mappings.errors import MappingError
from creditguard.mappings.ids import canonical_id

__all__ = ["CONVERTERS", "SPLITTERS", "MapContext", "converter", "cover", "known_state", "splitter"]

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


@converter
def company_currency(company_id, ctx):
    """The company's currency (the `company` stream): what Odoo books amounts of journal items in."""
    currency = ctx.company.get("currency")
    if currency is None:
        raise MappingError("needs the company's currency (the `company` stream)", where=ctx.where)
    return currency


# -- for the ERPs' converters (mappings/<erp>/converters.py) ------------------------------------

def cover(amount, currency, status, valid_until, request_pending, ctx):
    """An InsurerCover record, in `currency` or the company's; None when there is neither cover nor request."""
    request_pending = bool(request_pending)
    if not status and not request_pending:
        return None
    return {"amount": Decimal(str(amount or 0)), "currency": currency or company_currency(None, ctx),
            "status": status or "pending", "valid_until": valid_until, "request_pending": request_pending}


def known_state(table, value, what, ctx):
    """`value` translated by `table` (an ERP's states into the canonical ones); MappingError naming it if unknown."""
    try:
        return table[value]
    except KeyError:
        raise MappingError(f"unknown {what} state {value!r}", where=ctx.where,
                           hint=f"known states: {', '.join(table)}") from None
