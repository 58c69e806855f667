"""The ERP write contract (tests/writer_contract.py) on a real Odoo of each series, through the connector's
session."""
from decimal import Decimal

import pytest

from tests.writer_contract import CASES, Harness

FIELDS = ["credit_guard_hold", "credit_guard_hold_origin", "credit_guard_hold_reason"]


@pytest.fixture
def harness(session, admin, books):
    def set_hold(customer, origin, reason):
        admin.write("res.partner", [int(customer)], {"credit_guard_hold": origin is not None,
                                                     "credit_guard_hold_origin": origin or False,
                                                     "credit_guard_hold_reason": reason or False})

    def hold(customer):
        [row] = admin.read("res.partner", [int(customer)], FIELDS)
        return bool(row["credit_guard_hold"]), row["credit_guard_hold_origin"] or None, \
            row["credit_guard_hold_reason"] or None

    def cover(customer):
        [row] = admin.read("res.partner", [int(customer)], ["credit_guard_cover_amount", "credit_guard_cover_currency_id"])
        if not row["credit_guard_cover_amount"] and not row["credit_guard_cover_currency_id"]:
            return None, None
        currency = row["credit_guard_cover_currency_id"] and row["credit_guard_cover_currency_id"][1]
        return Decimal(str(round(row["credit_guard_cover_amount"], 2))).quantize(Decimal("0.01")), currency or None

    missing = max(admin.search("res.partner", [], order="id desc", limit=1)) + 100000
    return Harness(session.writer, lambda: str(books.customer("Contract Customer")), set_hold, hold, str(missing),
                   cover)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_the_write_contract(harness, case):
    case(harness)
