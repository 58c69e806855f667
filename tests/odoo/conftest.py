"""Live tests on real Odoo servers, one series at a time: every test runs once per series in SERIES whose server
is named by its environment variables, and is skipped (with what to set) for the others. For series NN:

    ODOO_NN_URL, ODOO_NN_DB        the server and its database, whose addons path holds the credit_guard add-on
                                   built for that series (python addons/odoo/series.py NN.0)
    ODOO_NN_USER                   the connector's service user, with
    ODOO_NN_PASSWORD               its password (17.0, 18.0: JSON-RPC) or
    ODOO_NN_API_KEY                its API key (19.0 and later: JSON-2)
    ODOO_NN_ADMIN_PASSWORD         the admin's password, for building the books (ODOO_NN_ADMIN_USER, default admin)

The admin and the users the tests make log in with their password over JSON-RPC on every series (Odoo 19
still serves it); ODOO_NN_ADMIN_API_KEY has the admin use the series' own protocol instead. At the end of the
run one line says which series ran and which were skipped."""
import pytest

from creditguard.connector.erp import contract as erp
from tests.odoo.books import OdooBooks
from tests.odoo.servers import SERIES, Server

_RAN: dict[str, int] = {}              # series -> tests run on it (for the summary line)


@pytest.fixture(scope="session", params=SERIES, ids=lambda series: f"odoo{series}")
def odoo(request):
    server = Server.of(request.param)
    _RAN.setdefault(server.series, 0)
    if server.missing:
        pytest.skip(f"no real Odoo {server.series}.0: set {', '.join(server.missing)}")
    return server


@pytest.fixture(autouse=True)
def _count(request):
    if "odoo" in request.fixturenames:
        series = request.getfixturevalue("odoo").series
        _RAN[series] = _RAN.get(series, 0) + 1
    yield


def pytest_terminal_summary(terminalreporter):
    if not _RAN:                       # no live Odoo test was asked for
        return
    parts = []
    for series in SERIES:
        missing = Server.of(series).missing
        parts.append(f"{series}.0 ran ({_RAN.get(series, 0)} tests)" if not missing else
                     f"{series}.0 skipped (set {', '.join(missing)})")
    terminalreporter.write_line("live Odoo series: " + "; ".join(parts))


@pytest.fixture(scope="session")
def admin(odoo):
    client = odoo.admin()
    if str(client.version[0]) != odoo.series:
        pytest.fail(f"ODOO_{odoo.series}_URL names an Odoo {client.version[0]}, not {odoo.series}.0")
    _install_addon(client)
    yield client
    client.close()


def _install_addon(admin):
    """Install (or update) credit_guard over RPC when it is not installed."""
    [module] = admin.search_read("ir.module.module", [("name", "=", "credit_guard")], ["state"]) or [None]
    if module is None:
        admin.call("ir.module.module", "update_list")
        [module] = admin.search_read("ir.module.module", [("name", "=", "credit_guard")], ["state"])
    if module["state"] != "installed":
        admin.call("ir.module.module", "button_immediate_install", [module["id"]])


@pytest.fixture
def session(odoo, admin):
    """An ErpSession of the connector's user, as a cycle opens it."""
    session = erp.connect(odoo.config())
    yield session
    session.close()


@pytest.fixture
def books(admin):
    books = OdooBooks(admin)
    yield books
    books.cleanup()


@pytest.fixture
def login(odoo, admin, books):
    """A client of a new user in these groups: login(["sales_team.group_sale_salesman"])."""
    def make(groups):
        return odoo.client(*books.user("user", groups))
    return make


@pytest.fixture
def make_config(odoo, admin, tmp_path):
    """A config of the connector's user: its API key when the server has one, else its password; `secret`
    replaces whichever of the two it has (a wrong one, say), `password` gives a password instead."""
    def make(*, url=None, database=None, password=None, secret=None, extra="", name="creditguard.toml"):
        key = None if password else odoo.api_key
        login = f'api_key = "{secret or key}"\n' if key else f'password = "{secret or password or odoo.password}"\n'
        path = tmp_path / name
        path.write_text(f'[erp]\nkind = "odoo"\nurl = "{url or odoo.url}"\n'
                        f'database = "{database or odoo.database}"\nuser = "{odoo.user}"\n'
                        f'{login}timeout = 60\n{extra}\n[store]\npath = "store.sqlite"\n')
        return path
    return make
