"""The `[insurer]` section of the connector's config: which insurer, where, which policy, who approves requests.

    [insurer]
    kind = "allianz"                    # the Allianz Trade shaped API (the simulator speaks it too)
    url = "http://127.0.0.1:8765"       # the API's base address
    api_key = "..."                     # or the environment variable CREDITGUARD_INSURER_API_KEY
    policy_id = "P-1"                   # the insurance policy the requests are filed under
    approval = "auto"                   # auto: requests go out with the cycle; manual: each waits for
                                        # `creditguard insurer approve ID`
    declarations = "auto"               # overdue declarations: auto (filed with the cycle) or manual (each
                                        # waits for `creditguard insurer approve D<n>`); default: as approval
    extensions = ["42"]                 # customers whose first declaration is an extension request (EXP)
    poll_after_hours = 24               # an open request the feed has not decided for this long is polled
    grades_every_hours = 24             # a buyer's grade is fetched this often (and after a decision on it)
    grades_per_cycle = 100              # at most this many grade calls per cycle (the insurer's rate limit)
    business_unit_code = "ACI"          # optional (Allianz Trade: ACI, EHSE ...)
    timeout = 30                        # optional: seconds per call

Like every section, a key can come from CREDITGUARD_INSURER_<KEY>. The API key is kept out of reprs and logs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from creditguard.mappings.errors import ConfigError, did_you_mean

__all__ = ["InsurerConfig", "load_insurer", "KINDS", "APPROVALS"]

KINDS = ("allianz",)
APPROVALS = ("auto", "manual")
_KEYS = {"kind": True, "url": True, "api_key": False, "policy_id": True, "approval": False,
         "declarations": False, "extensions": False, "poll_after_hours": False, "grades_every_hours": False,
         "grades_per_cycle": False, "business_unit_code": False, "timeout": False}
_NUMBERS = ("timeout", "poll_after_hours", "grades_every_hours", "grades_per_cycle")


@dataclass(frozen=True, kw_only=True)
class InsurerConfig:
    kind: str
    url: str
    policy_id: str
    api_key: str | None = field(default=None, repr=False)     # None: CREDITGUARD_INSURER_API_KEY when connecting
    approval: str = "auto"
    declarations: str | None = None                           # None: as `approval`
    extensions: frozenset = frozenset()
    poll_after_hours: float = 24.0
    grades_every_hours: float = 24.0
    grades_per_cycle: float = 100
    business_unit_code: str = "ACI"
    timeout: float = 30.0
    source: str = ""

    @property
    def manual(self) -> bool:
        return self.approval == "manual"

    @property
    def declarations_manual(self) -> bool:
        return (self.declarations or self.approval) == "manual"


def load_insurer(table, source, environ) -> InsurerConfig | None:
    """The `[insurer]` table checked, with CREDITGUARD_INSURER_* overrides; None when the section is absent."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError("must be a table", where=f"{source}: [insurer]")
    for key in table:
        if key not in _KEYS:
            raise ConfigError(f"unknown key {key!r}", where=f"{source}: [insurer] {key}",
                              hint=did_you_mean(key, _KEYS) or f"known keys: {', '.join(_KEYS)}")
    values = {}
    for key, required in _KEYS.items():
        variable = f"CREDITGUARD_INSURER_{key.upper()}"
        where = f"environment variable {variable}" if environ.get(variable) else f"{source}: [insurer] {key}"
        value = environ.get(variable) or table.get(key)
        if value is None:
            if required:
                raise ConfigError(f"missing key {key!r}", where=f"{source}: [insurer]",
                                  hint=f"add {key} = ... under [insurer], or set {variable}")
            continue
        values[key] = _number(value, where) if key in _NUMBERS else _ids(value, where) if key == "extensions" \
            else _text(value, where)
    config = InsurerConfig(**values, source=source)
    _check(config, source)
    return config


def _check(config, source):
    if config.kind not in KINDS:
        raise ConfigError(f"unknown insurer kind {config.kind!r}", where=f"{source}: [insurer] kind",
                          hint=f"supported: {', '.join(KINDS)} (the simulator speaks the allianz API)")
    if config.declarations not in (None, *APPROVALS):
        raise ConfigError(f"declarations must be one of {', '.join(APPROVALS)} (got {config.declarations!r})",
                          where=f"{source}: [insurer] declarations",
                          hint="auto: declarations are filed with the cycle; manual: `creditguard insurer approve D<n>`")
    if config.approval not in APPROVALS:
        raise ConfigError(f"approval must be one of {', '.join(APPROVALS)} (got {config.approval!r})",
                          where=f"{source}: [insurer] approval",
                          hint="auto: requests go out with the cycle; manual: `creditguard insurer approve ID`")
    url = urlsplit(config.url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError(f"{config.url!r} is not an http(s) URL", where=f"{source}: [insurer] url",
                          hint='e.g. url = "https://api.allianz-trade.com"')
    if config.timeout <= 0:
        raise ConfigError("must be a positive number of seconds", where=f"{source}: [insurer] timeout")
    for key in ("poll_after_hours", "grades_every_hours", "grades_per_cycle"):
        if getattr(config, key) < 0:
            raise ConfigError("must not be negative", where=f"{source}: [insurer] {key}")


def _text(value, where) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ConfigError(f"must be a non-empty string (got {'a secret' if 'api_key' in where.lower() else value!r})",
                      where=where)


def _ids(value, where) -> frozenset:
    """A list of customer ids (the environment gives them comma-separated)."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip()
                                              for v in value):
        raise ConfigError(f"must be a list of customer ids such as [\"42\", \"57\"] (got {value!r})", where=where)
    return frozenset(str(v).strip() for v in value)


def _number(value, where) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{value!r} is not a number", where=where) from None
