"""Thin Odoo client over odoo-client-lib: JSON-RPC for Odoo 17–18, JSON-2 with an API key for 19 and later
(chosen from the server's version at connect time; `[erp] protocol` may force it), and error translation.

odoo-client-lib 2.0.1 pitfalls handled here:
- its JSON-RPC transport posts with httpx's default 5 s timeout and a new connection per call: the connector
  below sends through one httpx.Client with the configured timeout (odoolib's Connection and Model stay);
- JSON-2 reads its timeout from a module constant: it is set to the configured one;
- the port must be an int; its `search_read` helper costs two round trips (the server's own is called instead);
- JSON-2 `read` of one record returns a dict, not a list (`read` below always returns a list);
- it logs call arguments — passwords and API keys included — at DEBUG: its logger is held at INFO.

Errors (mappings/errors.py):
    unreachable, timeout, HTTP 5xx/429, a serialization failure        -> TransientError (retry later)
    a wrong login, password or API key                                -> ErpRefused naming the user
    no such database                                                  -> ConfigError naming the database
    AccessError, UserError, ValidationError, other server errors      -> ErpRefused (.model, .name: the class)
"""
from __future__ import annotations

import logging
import random
from urllib.parse import urlsplit

import httpx
import odoolib
import odoolib.json2
from odoolib.rpc import JsonRPCConnector
from odoolib.tools import AuthenticationError

from mappings.errors import ConfigError, ErpRefused, TransientError

__all__ = ["OdooClient", "OdooError"]

log = logging.getLogger(__name__)
logging.getLogger("odoolib").setLevel(logging.INFO)        # it logs passwords and API keys at DEBUG

JSON2_FROM = 19                                          # the first major version served over JSON-2


_EMULATED = frozenset({"search_read"})       # methods odoolib's model proxy answers client-side


class OdooError(Exception):
    """An error answer of the Odoo server: `name` is its exception class (odoo.exceptions.AccessError)."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name, self.message = name, message


class _JsonRpc(JsonRPCConnector):
    """odoolib's JSON-RPC connector, sending through one keep-alive httpx.Client with our timeouts."""

    def __init__(self, base_url, http):
        self.url = f"{base_url}/jsonrpc"
        self.http = http

    def send(self, service_name, method, *args):
        body = {"jsonrpc": "2.0", "method": "call", "id": random.randint(0, 10**9),
                "params": {"service": service_name, "method": method, "args": args}}
        answer = _post(self.http, self.url, body)
        if answer.get("error"):
            data = answer["error"].get("data") or {}
            raise OdooError(data.get("name") or "", data.get("message") or answer["error"].get("message", ""))
        return answer.get("result", False)


def _post(http, url, body) -> dict:
    try:
        response = http.post(url, json=body)
    except httpx.TimeoutException:
        raise TransientError(f"Odoo at {url} did not answer in time") from None
    except httpx.TransportError as error:
        raise TransientError(f"Odoo at {url.rsplit('/', 1)[0]} is unreachable ({_reason(error)})") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"Odoo is busy or failing (HTTP {response.status_code})")
    if response.status_code == 404:
        raise ConfigError(f"{url} is not an Odoo server (HTTP 404)", hint="check [erp] url: the server's "
                          "address alone, e.g. http://127.0.0.1:8069")
    try:
        return response.json()
    except ValueError:
        raise ConfigError(f"{url} answered something that is not JSON (HTTP {response.status_code})",
                          hint="check [erp] url: is it the Odoo server itself, without a path?") from None


def _reason(error) -> str:
    cause = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    text = str(cause) or type(error).__name__
    return text.rsplit("] ", 1)[-1]


class OdooClient:
    """One Odoo user's session on one database."""

    def __init__(self, url, database, login, secret, *, timeout=60.0, connect_timeout=5.0, protocol=None):
        parts = urlsplit(url)
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.host, self.port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        self.secure = parts.scheme == "https"
        self.database, self.login_name = database, login
        self._secret = secret
        self.timeout = timeout
        self.protocol = protocol               # None: chosen from the server's version
        self.version = None                    # (major, minor)
        self.user_id = None
        self.context = {}
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, connect=connect_timeout))
        self._connection = None
        self._models = {}

    def __repr__(self):
        return f"<OdooClient {self.login_name}@{self.url}/{self.database} {self.protocol or '-'}>"

    # -- session ------------------------------------------------------------------------------

    def connect(self, *, user_id: int | None = None) -> "OdooClient":
        """Find the server's version, choose the protocol, log in and load the user's context.

        `user_id`, the id this login had at the last connect (connector/erp.py's memo), spares the login call
        over JSON-RPC: Odoo hashes the password at every login (PBKDF2, 600,000 rounds: most of a second),
        while the calls that carry the id and password are checked against its cache. When the server refuses
        that id and password, the ordinary login runs and says what is wrong."""
        info = _JsonRpc(self.url, self.http).send("common", "version")
        major = int(str(info.get("server_version_info", [0])[0]).split("~")[-1].split("saas")[-1] or 0)
        self.version = (major, info.get("server_version_info", [0, 0])[1])
        self.protocol = self.protocol or ("json2" if major >= JSON2_FROM else "jsonrpc")
        if self.protocol == "json2":
            odoolib.json2.DEFAULT_TIMEOUT = self.timeout
            self._connection = odoolib.get_connection(self.host, "json2s" if self.secure else "json2", self.port,
                                                      self.database, self.login_name, self._secret)
        else:
            self._connection = odoolib.rpc.Connection(_JsonRpc(self.url, self.http), self.database,
                                                      self.login_name, self._secret, user_id=user_id)
            if user_id and self._context_of(user_id):
                return self
        self._login()
        self.context = self.call("res.users", "context_get")
        return self

    def _context_of(self, user_id) -> bool:
        """The user's context with a remembered id and no login; False when the server refuses them."""
        try:
            self.context = self._connection.get_model("res.users").context_get()
        except OdooError as error:
            if error.name.rsplit(".", 1)[-1] not in ("AccessDenied", "AccessError"):
                raise self._translate(error, "res.users.context_get", "res.users") from None
            self._connection.user_id = None
            return False
        self.user_id = user_id
        return True

    def _login(self):
        try:
            if self.protocol == "json2":
                if not self._connection.check_login():
                    raise AuthenticationError()
                self.user_id = self.call("res.users", "search", [("login", "=", self.login_name)], limit=1)[:1]
                self.user_id = self.user_id[0] if self.user_id else None
            else:
                self._connection.check_login()
                self.user_id = self._connection.user_id
        except AuthenticationError:
            what = "API key" if self.protocol == "json2" else "password (or API key)"
            raise ErpRefused(f"Odoo refused the login of user {self.login_name!r}: wrong user name or {what}",
                             where=f"{self.url}/{self.database}", hint="check [erp] user and password "
                             "(or api_key), or CREDITGUARD_ERP_PASSWORD / CREDITGUARD_ERP_API_KEY") from None
        except OdooError as error:
            raise self._translate(error, "login") from None

    def close(self):
        self.http.close()

    # -- calls --------------------------------------------------------------------------------

    def call(self, model, method, *args, **kwargs):
        """`model.method(*args, **kwargs)` on the server, with the user's context; errors translated."""
        if self.context and "context" not in kwargs:
            kwargs["context"] = self.context
        proxy = self._models.get(model) or self._models.setdefault(model, self._connection.get_model(model))
        # odoolib's JSON-RPC model emulates search_read as a search and then a read: two round trips. Its
        # generic proxy sends the server's own search_read, one round trip (Odoo has it since 8.0).
        remote = type(proxy).__getattr__(proxy, method) if method in _EMULATED else getattr(proxy, method)
        try:
            return remote(*args, **kwargs)
        except OdooError as error:
            raise self._translate(error, f"{model}.{method}", model) from None
        except AuthenticationError:
            raise ErpRefused(f"Odoo refused the API key of user {self.login_name!r}",
                             where=f"{self.url}/{self.database}") from None
        except ValueError as error:                       # JSON-2: 422 and other refusals
            raise ErpRefused(f"Odoo refused {model}.{method}: {str(error)[:300]}", where=model) from None
        except httpx.TimeoutException:
            raise TransientError(f"Odoo at {self.url} did not answer {model}.{method} in time") from None
        except httpx.TransportError as error:
            raise TransientError(f"Odoo at {self.url} is unreachable ({_reason(error)})") from None

    def search_read(self, model, domain, fields, *, offset=0, limit=None, order=None, context=None):
        """The server's own search_read: one round trip (see `call`)."""
        kwargs = {"fields": list(fields), "offset": offset, "limit": limit, "order": order}
        if context:
            kwargs["context"] = {**self.context, **context}
        return self.call(model, "search_read", domain, **{k: v for k, v in kwargs.items() if v is not None})

    def read(self, model, ids, fields) -> list[dict]:
        rows = self.call(model, "read", list(ids), list(fields))
        return [rows] if isinstance(rows, dict) else list(rows or [])

    def search(self, model, domain, *, limit=None, order=None) -> list[int]:
        kwargs = {k: v for k, v in {"limit": limit, "order": order}.items() if v is not None}
        return self.call(model, "search", domain, **kwargs)

    def write(self, model, ids, values) -> None:
        self.call(model, "write", list(ids), values)

    def create(self, model, values) -> int:
        created = self.call(model, "create", values)
        return created[0] if isinstance(created, list) else created

    def fields_get(self, model) -> dict:
        return self.call(model, "fields_get", attributes=["type", "readonly", "relation", "string"])

    # -- errors -------------------------------------------------------------------------------

    def _translate(self, error, what, model=None):
        name, message = error.name.rsplit(".", 1)[-1], (error.message or "").strip()
        if "does not exist" in message and "database" in message:
            return ConfigError(f"Odoo at {self.url} has no database {self.database!r}",
                               where=f"{self.url}/{self.database}", hint="check [erp] database")
        if name in ("OperationalError", "SerializationFailure", "ConcurrencyError") or "could not serialize" in message:
            return TransientError(f"Odoo could not complete {what} now ({message[:200]}); retry later")
        if name == "AccessDenied":
            return ErpRefused(f"Odoo refused the login of user {self.login_name!r}: wrong user name or password",
                              where=f"{self.url}/{self.database}", hint="check [erp] user and password")
        refused = ErpRefused(message or f"Odoo refused {what} ({name})", where=model or what)
        refused.model, refused.name = model, name
        return refused
