"""Live tests on a real Odoo whose addons path holds addons/odoo: set ODOO_URL, ODOO_DB, ODOO_USER and
ODOO_PASSWORD (or ODOO_API_KEY) for the connector's service user, and ODOO_ADMIN_PASSWORD (ODOO_ADMIN_USER,
default admin) for building the books; without them the ring is skipped, with that reason."""
import os

import pytest

from connector import erp
from connector.config import ErpConfig
from connector.odoo.client import OdooClient
from tests.odoo.books import OdooBooks

NEEDED = ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_ADMIN_PASSWORD")
missing = [name for name in NEEDED if not os.environ.get(name)]
if not (os.environ.get("ODOO_PASSWORD") or os.environ.get("ODOO_API_KEY")):
    missing.append("ODOO_PASSWORD or ODOO_API_KEY")
SKIP = pytest.mark.skipif(bool(missing), reason=f"no real Odoo: set {', '.join(missing)}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/odoo/" in str(item.fspath):
            item.add_marker(SKIP)


@pytest.fixture(scope="session")
def admin():
    client = OdooClient(os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ.get("ODOO_ADMIN_USER", "admin"),
                        os.environ["ODOO_ADMIN_PASSWORD"]).connect()
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
def session():
    """An ErpSession of the connector's user, as a cycle opens it."""
    session = erp.connect(ErpConfig("odoo", os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ["ODOO_USER"],
                                    os.environ.get("ODOO_PASSWORD"), api_key=os.environ.get("ODOO_API_KEY")))
    yield session
    session.close()


@pytest.fixture
def books(admin):
    books = OdooBooks(admin)
    yield books
    books.cleanup()


@pytest.fixture
def login(admin, books):
    """A client of a new user in these groups: login(["sales_team.group_sale_salesman"])."""
    def make(groups):
        name, password = books.user("user", groups)
        return OdooClient(os.environ["ODOO_URL"], os.environ["ODOO_DB"], name, password).connect()
    return make


@pytest.fixture
def make_config(tmp_path):
    def make(*, url=None, database=None, password=None, extra="", name="creditguard.toml"):
        secret = password or os.environ.get("ODOO_PASSWORD") or ""
        key = "" if password or not os.environ.get("ODOO_API_KEY") else f'api_key = "{os.environ["ODOO_API_KEY"]}"\n'
        path = tmp_path / name
        path.write_text(f'[erp]\nkind = "odoo"\nurl = "{url or os.environ["ODOO_URL"]}"\n'
                        f'database = "{database or os.environ["ODOO_DB"]}"\nuser = "{os.environ["ODOO_USER"]}"\n'
                        f'password = "{secret}"\n{key}timeout = 60\n{extra}\n[store]\npath = "store.sqlite"\n')
        return path
    return make
