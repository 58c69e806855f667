"""Thin Odoo client over odoo-client-lib: JSON-RPC for Odoo 17–18, JSON-2 with an API key for 19 and later
(chosen from the server's version at connect time; `[erp] protocol` may force it), and error translation.

odoo-client-lib 2.0.1 pitfalls handled here:
- its JSON-RPC transport posts with httpx's default 5 s timeout and a new connection per call: the connector
  below sends through one httpx.Client with the configured timeout (odoolib's Connection and Model stay);
- its `search_read` helper costs two round trips (the server's own is called instead);
- its JSON-2 model maps positional arguments to names by reading /doc-bearer/<model>.json, which Odoo 19
  refuses (403) to a user outside the API documentation group, such as a connector's service user; it also
  opens a new connection per call and answers `read` of one record with a dict. JSON-2 is therefore sent here
  (`_Json2`): named arguments (JSON2_ARGS names the positional ones of the methods the connector calls), the
  API key as bearer token, through the same keep-alive client;
- it logs call arguments — passwords and API keys included — at DEBUG: its logger is held at INFO.

The server's version comes from /web/webclient/version_info (every series; 19 deprecates /jsonrpc).

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

import odoolib
from odoolib.rpc import JsonRPCConnector
from odoolib.tools import AuthenticationError

from creditguard.mappings.errors import ConfigError, ErpRefused, TransientError

from creditguard.connector import http

__all__ = ["OdooClient", "OdooError"]

log = logging.getLogger(__name__)
logging.getLogger("odoolib").setLevel(logging.INFO)        # it logs passwords and API keys at DEBUG

JSON2_FROM = 19                                          # the first major version served over JSON-2


_EMULATED = frozenset({"search_read"})       # methods odoolib's model proxy answers client-side

# JSON-2 takes named arguments only: the names of the positional arguments of the methods the connector calls
# (Odoo's own signatures; `ids` first for methods on records).
JSON2_ARGS = {
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search": ("domain", "offset", "limit", "order"),
    "read": ("ids", "fields", "load"),
    "write": ("ids", "vals"),
    "create": ("vals_list",),
    "fields_get": ("allfields", "attributes"),
    "context_get": (),
    "has_access": ("ids", "operation"),
    "message_post": ("ids",),
    "activity_schedule": ("ids", "act_type_xmlid", "date_deadline", "summary", "note"),
    "check_object_reference": ("module", "xml_id", "raise_on_access_error"),
    "credit_guard_write_many": ("groups",),
    "button_immediate_install": ("ids",),
    "button_immediate_upgrade": ("ids",),
    "update_list": (),
}


class OdooError(Exception):
    """An error answer of the Odoo server: `name` is its exception class (odoo.exceptions.AccessError)."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name, self.message = name, message


class _JsonRpc(JsonRPCConnector):
    """odoolib's JSON-RPC connector, sending through one keep-alive httpx.Client with our timeouts."""

    def __init__(self, base_url, client):
        self.url = f"{base_url}/jsonrpc"
        self.http = client

    def send(self, service_name, method, *args):
        body = {"jsonrpc": "2.0", "method": "call", "id": random.randint(0, 10**9),
                "params": {"service": service_name, "method": method, "args": args}}
        answer = _post(self.http, self.url, body)
        if answer.get("error"):
            data = answer["error"].get("data") or {}
            raise OdooError(data.get("name") or "", data.get("message") or answer["error"].get("message", ""))
        return answer.get("result", False)


class _Json2:
    """Odoo's JSON-2 API (19.0 and later): POST /json/2/<model>/<method> with named arguments, the API key as
    bearer token and the database in X-Odoo-Database. Answers the result, or raises OdooError (the server's
    exception), AuthenticationError (401), TransientError (busy, unreachable)."""

    def __init__(self, base_url, client, database, key):
        self.url, self.http, self.database = f"{base_url}/json/2", client, database
        self.headers = {"Authorization": f"bearer {key}", "X-Odoo-Database": database}

    def call(self, model, method, args, kwargs):
        names = JSON2_ARGS.get(method)
        if names is None and args or len(args) > len(names or ()):
            raise TypeError(f"{model}.{method}: JSON-2 needs the names of its positional arguments "
                            f"(connector/erp/odoo/client.py JSON2_ARGS)")
        url = f"{self.url}/{model}/{method}"
        try:
            response = self.http.post(url, json={**dict(zip(names or (), args)), **kwargs}, headers=self.headers)
        except http.Timeout:
            raise TransientError(f"Odoo at {self.url} did not answer {model}.{method} in time") from None
        except http.Unreachable as error:
            raise TransientError(f"Odoo at {self.url.rsplit('/', 2)[0]} is unreachable ({http.reason(error)})") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 200 and answer is not None:
            return answer
        if response.status_code == 401:
            raise AuthenticationError()
        if isinstance(answer, dict) and answer.get("name"):
            raise OdooError(answer["name"], answer.get("message") or "")
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"Odoo is busy or failing (HTTP {response.status_code})")
        if response.status_code == 404:      # the server said its version: it found no such database
            raise ConfigError(f"Odoo at {self.url.rsplit('/', 2)[0]} has no database {self.database!r}",
                              where=f"{self.url.rsplit('/', 2)[0]}/{self.database}", hint="check [erp] database")
        raise ConfigError(f"{url} is not an Odoo JSON-2 API (HTTP {response.status_code})",
                          hint="check [erp] url (the server's address alone) and [erp] protocol")


def _post(client, url, body) -> dict:
    try:
        response = client.post(url, json=body)
    except http.Timeout:
        raise TransientError(f"Odoo at {url} did not answer in time") from None
    except http.Unreachable as error:
        raise TransientError(f"Odoo at {url.rsplit('/', 1)[0]} is unreachable ({http.reason(error)})") from None
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


class OdooClient:
    """One Odoo user's session on one database."""

    def __init__(self, url, database, login, secret, *, timeout=60.0, connect_timeout=5.0, protocol=None,
                 key=None):
        parts = urlsplit(url)
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.database, self.login_name = database, login
        self._secret = secret
        self.key = key                         # the secret is an API key (None: it may be either)
        self.timeout = timeout
        self.protocol = protocol               # None: chosen from the server's version
        self.version = None                    # (major, minor)
        self.user_id = None
        self.context = {}
        self.http = http.client(timeout=timeout, connect_timeout=connect_timeout)
        self._connection = None
        self._models = {}

    def __repr__(self):
        return f"<OdooClient {self.login_name}@{self.url}/{self.database} {self.protocol or '-'}>"

    # -- session ------------------------------------------------------------------------------

    def connect(self, *, user_id: int | None = None) -> "OdooClient":
        """Find the server's version, choose the protocol, log in and load the user's context.

        `user_id`, the id this login had at the last connect (connector/erp/contract.py's memo), spares the login call
        over JSON-RPC: Odoo hashes the password at every login (PBKDF2, 600,000 rounds: most of a second),
        while the calls that carry the id and password are checked against its cache. When the server refuses
        that id and password, the ordinary login runs and says what is wrong."""
        info = self._version()
        major = int(str(info.get("server_version_info", [0])[0]).split("~")[-1].split("saas")[-1] or 0)
        self.version = (major, info.get("server_version_info", [0, 0])[1])
        self.protocol = self.protocol or ("json2" if major >= JSON2_FROM else "jsonrpc")
        if self.protocol == "json2" and self.key is False:
            raise ConfigError(f"Odoo {major} takes an API key, not a password, over its JSON-2 API",
                              where=f"{self.url}/{self.database}",
                              hint=f"as the user {self.login_name!r} in Odoo: Preferences > Account Security > "
                                   "New API Key; put it in [erp] api_key (or CREDITGUARD_ERP_API_KEY) instead "
                                   "of the password. [erp] protocol = \"jsonrpc\" keeps the password on the old "
                                   "API, which Odoo 19 still serves (deprecated; gone in Odoo 20)")
        if self.protocol == "json2":
            self._connection = _Json2(self.url, self.http, self.database, self._secret)
        else:
            self._connection = odoolib.rpc.Connection(_JsonRpc(self.url, self.http), self.database,
                                                      self.login_name, self._secret, user_id=user_id)
            if user_id and self._context_of(user_id):
                return self
        self._login()
        return self

    def _version(self) -> dict:
        """The server's version, from the web client's route (JSON-RPC shaped on every series)."""
        answer = _post(self.http, f"{self.url}/web/webclient/version_info",
                       {"jsonrpc": "2.0", "method": "call", "params": {}, "id": random.randint(0, 10**9)})
        if not isinstance(answer.get("result"), dict):
            raise ConfigError(f"{self.url} does not say its Odoo version", where=f"{self.url}/{self.database}",
                              hint="check [erp] url: the Odoo server's address alone")
        return answer["result"]

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
        """JSON-RPC: the login, then the user's context. JSON-2 has no login: the user's context, asked with the
        key, says who the key is of."""
        try:
            if self.protocol == "json2":
                self.context = self._connection.call("res.users", "context_get", (), {})
                self.user_id = self.context.get("uid")
            else:
                self._connection.check_login()
                self.user_id = self._connection.user_id
                self.context = self.call("res.users", "context_get")
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
        try:
            if self.protocol == "json2":
                return self._connection.call(model, method, args, kwargs)
            proxy = self._models.get(model) or self._models.setdefault(model, self._connection.get_model(model))
            # odoolib's JSON-RPC model emulates search_read as a search and then a read: two round trips. Its
            # generic proxy sends the server's own search_read, one round trip (Odoo has it since 8.0).
            remote = type(proxy).__getattr__(proxy, method) if method in _EMULATED else getattr(proxy, method)
            return remote(*args, **kwargs)
        except OdooError as error:
            raise self._translate(error, f"{model}.{method}", model) from None
        except AuthenticationError:
            raise ErpRefused(f"Odoo refused the API key of user {self.login_name!r}",
                             where=f"{self.url}/{self.database}") from None
        except http.Timeout:
            raise TransientError(f"Odoo at {self.url} did not answer {model}.{method} in time") from None
        except http.Unreachable as error:
            raise TransientError(f"Odoo at {self.url} is unreachable ({http.reason(error)})") from None

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
