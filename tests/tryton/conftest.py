"""Live tests on a real Tryton 8.2 (SQLite) that the suite installs, seeds and starts by itself.

Session: connector/testing/tryton.py makes its venv and template database when missing (~40 s the first
time, cached in .tryton/ or $CREDITGUARD_TRYTON_HOME) and starts one server on a free port. Each test
gets a pristine copy of the template (`tryton_db`) and clients logged in as admin, sales and connector.
"""
import pytest

from creditguard.connector.testing.tryton import EmbeddedTryton
from examples.tryton.books import Books


@pytest.fixture(scope='session')
def tryton_server(request):
    server = EmbeddedTryton().start()
    yield server
    # after failures keep the run directory (server.log, databases) until the next run cleans it
    server.stop(keep_files=bool(request.session.testsfailed))


@pytest.fixture
def tryton_db(tryton_server):
    """The name of a fresh copy of the template database, for this test only."""
    return tryton_server.fresh_database()


@pytest.fixture
def admin(tryton_server, tryton_db):
    return tryton_server.client(tryton_db, 'admin')


@pytest.fixture
def sales(tryton_server, tryton_db):
    return tryton_server.client(tryton_db, 'sales')


@pytest.fixture
def connector(tryton_server, tryton_db):
    return tryton_server.client(tryton_db, 'connector')


@pytest.fixture
def books(admin):
    return Books(admin)
