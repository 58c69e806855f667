"""The real Odoo servers the live tests and the contract recorder talk to, one per series, each named by its
environment variables (ODOO_NN_URL, ...; tests/odoo/conftest.py lists them)."""
import os
from dataclasses import dataclass, field

from creditguard.connector.config import ErpConfig
from creditguard.connector.erp.odoo.client import OdooClient

SERIES = ("17", "18", "19")            # the series the add-on is built for (addons/odoo/series.py)


@dataclass(frozen=True)
class Server:
    series: str
    url: str | None
    database: str | None
    user: str | None
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    admin_user: str = "admin"
    admin_password: str | None = field(default=None, repr=False)
    admin_api_key: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, series):
        def env(name):
            return os.environ.get(f"ODOO_{series}_{name}") or None
        return cls(series, env("URL"), env("DB"), env("USER"), env("PASSWORD"), env("API_KEY"),
                   env("ADMIN_USER") or "admin", env("ADMIN_PASSWORD"), env("ADMIN_API_KEY"))

    @property
    def missing(self) -> list[str]:
        names = [f"ODOO_{self.series}_{n}" for n, v in (("URL", self.url), ("DB", self.database),
                                                        ("USER", self.user)) if not v]
        if not (self.password or self.api_key):
            names.append(f"ODOO_{self.series}_PASSWORD or ODOO_{self.series}_API_KEY")
        if not (self.admin_password or self.admin_api_key):
            names.append(f"ODOO_{self.series}_ADMIN_PASSWORD")
        return names

    def config(self, **changes) -> ErpConfig:
        """The connector's ErpConfig for this server."""
        values = {"password": self.password, "api_key": self.api_key, **changes}
        return ErpConfig(kind="odoo", url=self.url, database=self.database, user=self.user, **values)

    def client(self, login, password) -> OdooClient:
        """A user of this server logged in with a password (over JSON-RPC, which every series serves)."""
        return OdooClient(self.url, self.database, login, password, protocol="jsonrpc").connect()

    def admin(self) -> OdooClient:
        """The admin, logged in: with ODOO_NN_ADMIN_API_KEY over the series' own protocol, else with the password
        over JSON-RPC."""
        key = self.admin_api_key
        return OdooClient(self.url, self.database, self.admin_user, key or self.admin_password,
                          protocol=None if key else "jsonrpc").connect()
