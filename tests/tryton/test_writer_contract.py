"""The ERP write contract (tests/writer_contract.py) on the real Tryton, through the connector user's writer."""
import itertools
from decimal import Decimal

import pytest

from creditguard.connector.erp.tryton.writeback import TrytonWriter
from tests.writer_contract import CASES, Harness

FIELDS = ['creditguard_hold', 'creditguard_hold_origin', 'creditguard_hold_reason']
_names = itertools.count(1)


@pytest.fixture
def harness(admin, connector, books):
    def set_hold(customer, origin, reason):
        admin.write('party.party', [int(customer)], {'creditguard_hold': origin is not None,
            'creditguard_hold_origin': origin, 'creditguard_hold_reason': reason})

    def hold(customer):
        row, = admin.read('party.party', [int(customer)], FIELDS)
        return bool(row['creditguard_hold']), row['creditguard_hold_origin'] or None, \
            row['creditguard_hold_reason'] or None

    def cover(customer):
        row, = admin.read('party.party', [int(customer)], ['insurer_cover_amount'])
        if row['insurer_cover_amount'] is None:
            return None, None
        company, = admin.read('company.company', [admin.context['company']], ['currency'])
        currency, = admin.read('currency.currency', [company['currency']], ['code'])
        return Decimal(row['insurer_cover_amount']), currency['code']      # the add-on: company currency

    missing = max(admin.search('party.party', [], 0, 1, [('id', 'DESC')])) + 100000
    return Harness(TrytonWriter(connector), lambda: str(books.create_customer(f'Contract Customer {next(_names)}')),
                   set_hold, hold, str(missing), cover)


@pytest.mark.parametrize('case', CASES, ids=lambda case: case.__name__)
def test_the_write_contract(harness, case):
    case(harness)
