"""The one place that binds ERP record ids to canonical record ids, and back.

A canonical id is a non-empty string (snapshot contract). ERPs whose records have integer ids (Tryton, Odoo)
answer a relation as an integer, a `[id, "name"]` pair (Odoo's many2one), a `{"id": ...}` dict, or
False/None for "no record"; `canonical_id` accepts each of these. `IntegerIds` goes the other way for
the writers."""
from __future__ import annotations

from creditguard.mappings.errors import BadInput

__all__ = ["canonical_id", "IntegerIds"]


def canonical_id(value) -> str | None:
    """The canonical id of an ERP id or relation value; None for "no record"."""
    if value is None or value is False:
        return None
    if isinstance(value, dict):
        value = value.get("id")
    elif isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return None if value is None or value is False else str(value)


class IntegerIds:
    """Canonical ids <-> the integer ids of an ERP's records."""

    @staticmethod
    def canonical(erp_id) -> str | None:
        return canonical_id(erp_id)

    @staticmethod
    def erp(canonical: str) -> int:
        try:
            return int(canonical)
        except (TypeError, ValueError):
            raise BadInput(f"{canonical!r} is not a record id of this ERP (a whole number)",
                           hint="the store or snapshot holds an id from another ERP; run `sync --full`") from None
