"""The ERP write contract (tests/writer_contract.py) on the real Tryton, through the connector user's writer."""
import itertools

import pytest

from connector.tryton.writeback import TrytonWriter
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

    missing = max(admin.search('party.party', [], 0, 1, [('id', 'DESC')])) + 100000
    return Harness(TrytonWriter(connector), lambda: str(books.create_customer(f'Contract Customer {next(_names)}')),
                   set_hold, hold, str(missing))


@pytest.mark.parametrize('case', CASES, ids=lambda case: case.__name__)
def test_the_write_contract(harness, case):
    case(harness)
