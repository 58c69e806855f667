"""Read mapped streams from Odoo (an ErpReader of connector/erp/contract.py): paged search_read by id, in the
configured company, changes since a write_date bookmark, the related records of each page, the fields and
access rights the connector's user has."""
from __future__ import annotations

import datetime as dt

from creditguard.mappings.errors import ErpRefused
from creditguard.mappings.ids import IntegerIds, canonical_id

from creditguard.connector.erp.contract import Page
from creditguard.connector.erp.reading import domain_for, read_related

__all__ = ["OdooReader", "OVERLAP"]

# Odoo stamps write_date with the transaction's start: a record written by a transaction still open at our
# read can appear later with an earlier write_date. Incremental reads go back this far.
OVERLAP = dt.timedelta(seconds=120)
_WRITE_DATE = "%Y-%m-%d %H:%M:%S"


class OdooReader:
    """Reads streams (mappings.mapper.Stream) through a logged-in OdooClient, in one company."""

    def __init__(self, client, company_id: int, fields: dict | None = None):
        self.client = client
        self.company_id = company_id
        self._fields = dict(fields or {})          # model -> fields_get; `fields`: as remembered (erp.connect)

    @property
    def known_fields(self) -> dict:
        """The fields asked for so far, by model (what erp.connect remembers)."""
        return self._fields

    def fields_of(self, model) -> dict:
        """The fields the user may read (Odoo leaves out those of groups the user is not in)."""
        if model not in self._fields:
            self._fields[model] = self.client.fields_get(model)
        return self._fields[model]

    def access(self, needed) -> dict[str, set[str]]:
        """Odoo answers one right at a time: only the rights `needed` ({model: {"read", ...}}) are asked. From
        18.0 with `has_access` on no records (check_access_rights is deprecated there, and JSON-2 refuses it
        with ids), before with check_access_rights."""
        if self.client.version[0] >= 18:
            def allowed(model, perm):
                return self.client.call(model, "has_access", [], perm)
        else:
            def allowed(model, perm):
                return self.client.call(model, "check_access_rights", perm, raise_exception=False)
        return {model: {perm for perm in sorted(perms) if allowed(model, perm)}
                for model, perms in sorted(needed.items())}

    def field_exists(self, model, name) -> bool:
        """A field the user may not read is refused with an AccessError; one that does not exist is invalid."""
        try:
            self.client.search_read(model, [], [name], limit=1)
        except ErpRefused as refused:
            return getattr(refused, "name", "") == "AccessError"
        return True

    def pages(self, stream, since: str | None = None, customers=None):
        """Pages of the stream's records (all, or changed since the bookmark `since`; of `customers` only, when
        given), with related records."""
        domain = domain_for(stream, self.company_id)
        if customers is not None:
            domain.append((stream.customer_field, "in", sorted(IntegerIds.erp(c) for c in customers)))
        if since and stream.replication_key:
            start = dt.datetime.fromisoformat(since) - OVERLAP
            domain.append((stream.replication_key, ">", start.strftime(_WRITE_DATE)))
        fields = stream.fields_to_read(self.fields_of)
        if stream.replication_key and stream.replication_key not in fields:
            fields.append(stream.replication_key)
        types = {name: spec.get("type") for name, spec in self.fields_of(stream.model).items()}
        context = {"allowed_company_ids": [self.company_id], "active_test": False, **(stream.context or {})}
        last_id = 0
        while True:
            records = self.client.search_read(stream.model, domain + [("id", ">", last_id)], fields,
                                              limit=stream.page_size, order="id asc", context=context)
            if records:
                _nulls(records, types)
                yield Page(records, read_related(stream, records, self._read))
            if len(records) < stream.page_size:
                return
            last_id = records[-1]["id"]

    def documents(self, invoice_numbers) -> dict[str, dict]:
        found = {n: {"orders": [], "deliveries": []} for n in invoice_numbers}
        try:
            moves = self.client.search_read("account.move", [("name", "in", sorted(found)),
                                                             ("move_type", "=", "out_invoice")], ["name"])
            number = {m["id"]: m["name"] for m in moves}
            with_pickings = bool(number) and self.field_exists("sale.order", "picking_ids")
            orders = self.client.search_read("sale.order", [("invoice_ids", "in", sorted(number))],
                                             ["name", "invoice_ids"] + (["picking_ids"] if with_pickings else [])) \
                if number else []
            wanted = sorted({p for o in orders for p in o.get("picking_ids") or []})
            pickings = {p["id"]: p for p in self.client.read("stock.picking", wanted, ["name", "state", "date_done"])} \
                if wanted else {}
        except ErpRefused:                      # no access (or no sales app): what was found so far
            return found
        for order in orders:
            done = [f"{p['name']} ({str(p['date_done'])[:10]})" for i in order.get("picking_ids") or []
                    if (p := pickings.get(i)) and p["state"] == "done"]
            for move in order["invoice_ids"]:
                if move in number:
                    found[number[move]]["orders"].append(order["name"])
                    found[number[move]]["deliveries"] += done
        return found

    def ids(self, stream) -> set[str]:
        """Every id the stream's domain selects now (to notice deleted records); ids only, no fields."""
        context = {"allowed_company_ids": [self.company_id], "active_test": False}
        return {canonical_id(i) for i in self.client.call(stream.model, "search", domain_for(stream, self.company_id),
                                                          context={**self.client.context, **context})}

    @staticmethod
    def bookmark(stream, records) -> str | None:
        """The latest write_date of the page: Odoo's "YYYY-MM-DD HH:MM:SS" sorts as text, so only it is parsed."""
        key = stream.replication_key
        latest = max((r[key] for r in records if r.get(key)), default=None) if key else None
        return _parse_write_date(latest).isoformat() if latest else None

    def _read(self, model, ids, fields):
        rows = self.client.read(model, ids, fields)
        if rows:
            _nulls(rows, {name: spec.get("type") for name, spec in self.fields_of(model).items()})
        return rows


def _parse_write_date(value):
    return dt.datetime.strptime(value, _WRITE_DATE) if isinstance(value, str) else value


def _nulls(records, types) -> None:
    """Odoo answers an empty field with False: None, except for true/false fields."""
    names = [name for name in records[0] if name != "id" and types.get(name) not in ("boolean", None)]
    for record in records:
        for name in names:
            if record[name] is False:
                record[name] = None
