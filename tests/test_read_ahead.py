"""Pages are read ahead by a background thread: same pages in the same order, errors where they happened."""
import pytest

from creditguard.connector.cycle.sync import read_ahead
from creditguard.mappings.errors import TransientError


def test_the_pages_come_in_order():
    assert list(read_ahead(iter(range(50)), depth=2)) == list(range(50))


def test_an_error_of_the_erp_comes_out_after_the_pages_before_it():
    def pages():
        yield 1
        yield 2
        raise TransientError("Odoo went away")
    seen = []
    with pytest.raises(TransientError, match="went away"):
        for page in read_ahead(pages()):
            seen.append(page)
    assert seen == [1, 2]


def test_stopping_early_stops_the_reader():
    fetched = []

    def pages():
        for n in range(1000):
            fetched.append(n)
            yield n
    for page in read_ahead(pages(), depth=2):
        if page == 3:
            break
    assert len(fetched) < 10
