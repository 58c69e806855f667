"""Load the connector's TOML config file, with CREDITGUARD_* environment overrides; errors name file and key.

    [erp]                               # the ERP to read from and write holds to
    kind = "tryton"
    url = "http://127.0.0.1:8000"
    database = "credit"
    user = "connector"
    password = "..."                    # or the environment variable CREDITGUARD_ERP_PASSWORD
    timeout = 60                        # seconds per ERP call (optional)
    mappings = "my-mappings"            # optional: a folder of mapping files replacing the built-in ones

    [store]
    path = "creditguard.sqlite"         # relative paths are relative to the config file

    [policy]
    file = "my-policy.yaml"             # optional; default: the built-in seed-default policy
    engine = "durable"                  # optional: durable | python

    [insurance]                         # optional: the trade-credit insurance policy terms (snapshot v1)
    max_credit_period_days = 90
    ...

    [country_risk]                      # optional: country -> grade 0..7
    TR = 5

    [insurer]                           # optional: the credit insurer's API (connector/insurer/config.py)

    [serve]                             # optional: `creditguard serve` (connector/cycle/serve.py)
    address = "127.0.0.1:8765"          # where the ERP's change notices are posted (default)
    secret = "..."                      # the shared secret of their HMAC (or CREDITGUARD_SERVE_SECRET)
    every = 300                         # seconds between scheduled cycles over every customer (default)

Every `[section] key` can be overridden by the environment variable CREDITGUARD_<SECTION>_<KEY>
(e.g. CREDITGUARD_ERP_URL, CREDITGUARD_STORE_PATH); `[insurance]` and `[country_risk]` cannot.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from creditguard.mappings.errors import ConfigError, did_you_mean, first_problem
from creditguard.mappings.models import PolicyTerms
from creditguard.rules.evaluate import ENGINES

from creditguard.connector.erp.contract import kinds
from creditguard.connector.insurer.config import InsurerConfig, load_insurer

if sys.version_info >= (3, 11):
    import tomllib
else:                                   # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Config", "ErpConfig", "ServeConfig", "load_config", "ENV_PREFIX"]

ENV_PREFIX = "CREDITGUARD_"
ERP_KINDS = kinds()

# section -> key -> (type, required)
_KEYS = {
    "erp": {"kind": (str, True), "url": (str, True), "database": (str, True), "user": (str, True),
            "password": (str, False), "api_key": (str, False), "timeout": (float, False), "mappings": (str, False),
            "protocol": (str, False), "company": (str, False), "credit_controller": (str, False)},
    "store": {"path": (str, True)},
    "policy": {"file": (str, False), "engine": (str, False)},
    "serve": {"address": (str, False), "secret": (str, False), "every": (float, False)},
}
_FREE_SECTIONS = ("insurance", "country_risk", "insurer")


@dataclass(frozen=True, kw_only=True)
class ErpConfig:
    kind: str
    url: str
    database: str
    user: str
    password: str | None = field(default=None, repr=False)    # checked when connecting
    timeout: float = 60.0
    mappings: Path | None = None        # None: the built-in mappings/<kind>/
    source: str = ""                    # the config file, for messages
    api_key: str | None = field(default=None, repr=False)     # Odoo 19+ (JSON-2): the user's API key
    protocol: str | None = None         # Odoo: jsonrpc | json2 (default: from the server's version)
    company: str | None = None          # Odoo: the company's id or name (default: the user's current company)
    credit_controller: str | None = None   # Odoo: the login that gets the credit team's to-dos


@dataclass(frozen=True)
class ServeConfig:
    """`creditguard serve`: where it listens, the webhook's shared secret, the scheduled cycle's period."""
    host: str = "127.0.0.1"
    port: int = 8765
    secret: str | None = field(default=None, repr=False)
    every: float = 300.0


@dataclass(frozen=True, kw_only=True)
class Config:
    source: str                         # the config file, for messages
    erp: ErpConfig
    store_path: Path
    policy_file: Path | None = None     # None: the built-in policy
    engine: str = "durable"
    policy_terms: PolicyTerms | None = None
    country_risk: dict = field(default_factory=dict)
    insurer: InsurerConfig | None = None   # None: no insurer API; cover comes from the ERP alone
    serve: ServeConfig = ServeConfig()


def load_config(path, environ=None) -> Config:
    """Read, override from the environment and check the config file at `path`."""
    environ = os.environ if environ is None else environ
    path = Path(path)
    source = str(path)
    raw = _read_toml(path)
    unknown = sorted(set(raw) - set(_KEYS) - set(_FREE_SECTIONS))
    if unknown:
        raise ConfigError(f"unknown section [{unknown[0]}]", where=source,
                          hint=f"known sections: {', '.join(f'[{s}]' for s in (*_KEYS, *_FREE_SECTIONS))}")
    values = {section: _section(raw, section, source, environ) for section in _KEYS}
    base = path.resolve().parent
    mappings = values["erp"].pop("mappings", None)
    erp = ErpConfig(**values["erp"], mappings=base / mappings if mappings else None, source=source)
    if erp.protocol not in (None, "jsonrpc", "json2"):
        raise ConfigError(f"unknown protocol {erp.protocol!r}", where=f"{source}: [erp] protocol",
                          hint="jsonrpc (Odoo 17-18) or json2 (Odoo 19 and later); leave it out to choose by version")
    if erp.kind not in ERP_KINDS:
        raise ConfigError(f"unknown ERP kind {erp.kind!r}", where=f"{source}: [erp] kind",
                          hint=f"supported: {', '.join(ERP_KINDS)}")
    url = urlsplit(erp.url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError(f"{erp.url!r} is not an http(s) URL", where=f"{source}: [erp] url",
                          hint='e.g. url = "http://127.0.0.1:8000"')
    if url.path.strip("/") or url.query or url.fragment:
        raise ConfigError(f"{erp.url!r} has a path; the ERP's address is the server alone",
                          where=f"{source}: [erp] url", hint=f'url = "{url.scheme}://{url.netloc}" (the database '
                          f'goes in [erp] database)')
    if erp.timeout <= 0:
        raise ConfigError("must be a positive number of seconds", where=f"{source}: [erp] timeout")
    engine = values["policy"].get("engine", "durable")
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}", where=f"{source}: [policy] engine",
                          hint=f"one of: {', '.join(ENGINES)}")
    policy_file = values["policy"].get("file")
    return Config(source=source, erp=erp, store_path=base / values["store"]["path"],
                  policy_file=base / policy_file if policy_file else None, engine=engine,
                  policy_terms=_policy_terms(raw.get("insurance"), source),
                  country_risk=_country_risk(raw.get("country_risk", {}), source),
                  insurer=load_insurer(raw.get("insurer"), source, environ),
                  serve=_serve(values["serve"], source))


def _serve(values, source) -> ServeConfig:
    host, port = ServeConfig.host, ServeConfig.port
    if "address" in values:
        host, _, text = values["address"].rpartition(":")
        if not host or not text.isdigit() or not 0 < int(text) < 65536:
            raise ConfigError(f"{values['address']!r} is not HOST:PORT", where=f"{source}: [serve] address",
                              hint='e.g. address = "127.0.0.1:8765"')
        port = int(text)
    every = values.get("every", ServeConfig.every)
    if every <= 0:
        raise ConfigError("must be a positive number of seconds", where=f"{source}: [serve] every")
    return ServeConfig(host, port, values.get("secret"), every)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("no such config file", where=str(path),
                          hint="pass the path of a TOML file with [erp] and [store] sections") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror}", where=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(path)) from None


def _section(raw, section, source, environ) -> dict:
    """The known keys of one section: file values, then environment overrides, then checks."""
    table = raw.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError("must be a table", where=f"{source}: [{section}]")
    spec = _KEYS[section]
    for key in table:
        if key not in spec:
            raise ConfigError(f"unknown key {key!r}", where=f"{source}: [{section}] {key}",
                              hint=did_you_mean(key, spec) or f"known keys: {', '.join(spec)}")
    values = {}
    for key, (kind, required) in spec.items():
        variable = f"{ENV_PREFIX}{section.upper()}_{key.upper()}"
        if environ.get(variable):
            values[key] = _typed(environ[variable], kind, f"environment variable {variable}")
        elif key in table:
            values[key] = _typed(table[key], kind, f"{source}: [{section}] {key}")
        elif required:
            hint = f"add {key} = ... under [{section}], or set {variable}"
            raise ConfigError(f"missing key {key!r}", where=f"{source}: [{section}]", hint=hint)
    return values


def _typed(value, kind, where):
    if kind is float and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{value!r} is not a number", where=where) from None
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, str) and value.strip():
        return value.strip()
    expected = "a number" if kind is float else "a non-empty string"
    raise ConfigError(f"must be {expected} (got {value!r})", where=where)


def _policy_terms(table, source) -> PolicyTerms | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError("must be a table", where=f"{source}: [insurance]")
    known = list(PolicyTerms.model_fields)
    for key in table:
        if key not in known:
            raise ConfigError(f"unknown key {key!r}", where=f"{source}: [insurance] {key}",
                              hint=did_you_mean(key, known) or f"known keys: {', '.join(known)}")
    try:
        return PolicyTerms.model_validate(table)
    except ValidationError as exc:
        problem = first_problem(exc)
        if problem.kind == "missing":
            raise ConfigError(f"missing key {problem.path!r}", where=f"{source}: [insurance]",
                              hint=f"add {problem.path} = ... under [insurance]") from None
        raise ConfigError(problem.message, where=f"{source}: [insurance] {problem.path}") from None


def _country_risk(table, source) -> dict:
    if not isinstance(table, dict):
        raise ConfigError("must be a table of COUNTRY = grade", where=f"{source}: [country_risk]")
    for country, grade in table.items():
        if len(country) != 2 or not country.isupper():
            raise ConfigError("a country is a two-letter ISO code such as DE",
                              where=f"{source}: [country_risk] {country}")
        if not isinstance(grade, int) or isinstance(grade, bool) or not 0 <= grade <= 7:
            raise ConfigError(f"a grade is a whole number 0..7 (got {grade!r})",
                              where=f"{source}: [country_risk] {country}")
    return dict(table)
