"""The ERP write contract (erp/contract.py: ErpWriter; "a hold placed by a person: Credit Guard never lifts or
rewrites it"), as cases every writer passes on its real ERP. A cycle writes what it planned from its read; a
person may act in between, so each case acts as an administrator after the read and before the write.

Each ERP's live ring runs CASES with a Harness of its own: tests/tryton/test_writer_contract.py,
tests/odoo/test_writer_contract.py. A new writer passes these before it is done."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import pytest

from creditguard.connector.erp.contract import CREDIT_GUARD, MANUAL
from creditguard.connector.erp.operations import Write, apply
from creditguard.mappings.vocab import Operation, Outcome
from creditguard.mappings.errors import ErpRefused


@dataclass
class Harness:
    writer: object                                      # the connector user's ErpWriter
    customer: Callable[[], str]                         # a new customer: its canonical id
    set_hold: Callable[[str, str | None, str | None], None]     # as an admin: (customer, origin, reason); None: no hold
    hold: Callable[[str], tuple[bool, str | None, str | None]]  # (held, origin, reason), as the ERP has it now
    missing: str                                        # the canonical id of a customer the ERP does not have
    cover: Callable[[str], tuple]                       # (amount, currency code) of the customer's cover; (None, None)


HOLD = {"reason": "Invoice 70 days overdue", "rules": "overdue.extension_exceeded"}


def write(h, operation, customer, **payload):
    return apply(h.writer,
                 Write(key=f"contract-{operation.value}", customer_id=customer, customer_name="contract",
                       operation=operation, payload=payload))


def release_leaves_a_hold_made_manual_since_the_read(h):
    customer = h.customer()
    h.set_hold(customer, CREDIT_GUARD, "Invoice 70 days overdue")        # what the cycle read
    h.set_hold(customer, MANUAL, "Lawsuit pending")                      # a person, before the write
    assert write(h, Operation.RELEASE_HOLD, customer) is Outcome.ALREADY_THERE
    assert h.hold(customer) == (True, MANUAL, "Lawsuit pending")


def place_leaves_a_manual_hold_placed_since_the_read(h):
    customer = h.customer()                                             # the cycle read it not held
    h.set_hold(customer, MANUAL, "Lawsuit pending")
    assert write(h, Operation.PLACE_HOLD, customer, **HOLD) is Outcome.ALREADY_THERE
    assert h.hold(customer) == (True, MANUAL, "Lawsuit pending")


def update_leaves_a_manual_hold(h):
    customer = h.customer()
    h.set_hold(customer, CREDIT_GUARD, "Over the credit limit")
    h.set_hold(customer, MANUAL, "Lawsuit pending")
    assert write(h, Operation.UPDATE_HOLD, customer, **HOLD) is Outcome.ALREADY_THERE
    assert h.hold(customer) == (True, MANUAL, "Lawsuit pending")


def a_credit_guard_hold_is_placed_updated_and_lifted(h):
    customer = h.customer()
    assert write(h, Operation.PLACE_HOLD, customer, **HOLD) is Outcome.WRITTEN
    assert h.hold(customer) == (True, CREDIT_GUARD, HOLD["reason"])
    assert write(h, Operation.UPDATE_HOLD, customer, reason="Over the credit limit",
                 rules="credit_limit.exceeded") is Outcome.WRITTEN
    assert h.hold(customer) == (True, CREDIT_GUARD, "Over the credit limit")
    assert write(h, Operation.RELEASE_HOLD, customer) is Outcome.WRITTEN
    assert h.hold(customer)[0] is False


def a_write_already_there_changes_nothing(h):
    customer = h.customer()
    assert write(h, Operation.RELEASE_HOLD, customer) is Outcome.ALREADY_THERE     # nothing to lift
    note = {"text": "Credit Guard flag (overdue.flag): 45 days", "marker": "[creditguard contract-note]"}
    assert write(h, Operation.ADD_NOTE, customer, **note) is Outcome.WRITTEN
    assert write(h, Operation.ADD_NOTE, customer, **note) is Outcome.ALREADY_THERE
    assert h.hold(customer)[0] is False


def a_refused_write_raises_and_names_it(h):
    with pytest.raises(ErpRefused, match=f"no (partner|party) {h.missing}"):
        write(h, Operation.PLACE_HOLD, h.missing, **HOLD)


COVER = {"amount": "25000.00", "status": "approved", "valid_until": "2027-06-30", "request_pending": False}
FOREIGN = "CHF"             # a currency every ERP knows, and no test company's


def a_cover_in_a_foreign_currency_is_kept_in_it_or_refused(h):
    # never an amount written as if it were in another currency: the ERP keeps the currency, or says no
    customer = h.customer()
    try:
        outcome = write(h, Operation.SET_COVER, customer, currency=FOREIGN, **COVER)
    except ErpRefused as refused:
        assert FOREIGN in str(refused)
        assert h.cover(customer) == (None, None)
    else:
        assert outcome is Outcome.WRITTEN
        assert h.cover(customer) == (Decimal("25000.00"), FOREIGN)
        assert write(h, Operation.SET_COVER, customer, currency=FOREIGN, **COVER) is Outcome.ALREADY_THERE


def a_cover_in_a_currency_the_erp_lacks_is_refused_naming_it(h):
    customer = h.customer()
    with pytest.raises(ErpRefused, match="ZZZ"):
        write(h, Operation.SET_COVER, customer, currency="ZZZ", **COVER)
    assert h.cover(customer) == (None, None)


CASES = [release_leaves_a_hold_made_manual_since_the_read, place_leaves_a_manual_hold_placed_since_the_read,
         update_leaves_a_manual_hold, a_credit_guard_hold_is_placed_updated_and_lifted,
         a_write_already_there_changes_nothing, a_refused_write_raises_and_names_it,
         a_cover_in_a_foreign_currency_is_kept_in_it_or_refused,
         a_cover_in_a_currency_the_erp_lacks_is_refused_naming_it]
