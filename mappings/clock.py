"""The one clock: the current time in UTC, replaceable in tests (`with clock.frozen(t): ...`).

Every timestamp Credit Guard writes (the store, the ledger, the ERP's hold-since, the insurer's desks) comes
from here, aware and in UTC; an ERP that stores naive UTC gets `naive()`.
"""
from __future__ import annotations

import contextlib
import datetime as dt

__all__ = ["frozen", "iso", "naive", "now"]

_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return _fixed or dt.datetime.now(dt.timezone.utc)


def iso() -> str:
    """The current time as ISO 8601 to the second, with its offset: 2026-12-07T16:45:00+00:00."""
    return now().isoformat(timespec="seconds")


def naive() -> dt.datetime:
    """The current UTC time to the second, without a time zone (how Odoo and Tryton store datetimes)."""
    return now().replace(tzinfo=None, microsecond=0)


@contextlib.contextmanager
def frozen(at: dt.datetime):
    """Within the block, `now()` is `at` (aware)."""
    global _fixed
    if at.tzinfo is None:
        raise ValueError("clock.frozen needs an aware datetime")
    before, _fixed = _fixed, at.astimezone(dt.timezone.utc)
    try:
        yield
    finally:
        _fixed = before
