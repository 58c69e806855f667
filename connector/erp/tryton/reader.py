"""Read mapped streams from Tryton (an ErpReader of connector/erp/contract.py): paged search_read by id, changes since
a write_date bookmark, the related records of each page, the model's fields (fields_get)."""
from __future__ import annotations

import datetime as dt

from creditguard.mappings.errors import ErpRefused
from creditguard.mappings.ids import IntegerIds, canonical_id

from creditguard.connector.erp.contract import Page
from creditguard.connector.erp.reading import bookmark_after, domain_for, read_related

__all__ = ["TrytonReader", "OVERLAP"]

# Tryton stamps write_date when a transaction writes, not when it commits: a record written by a transaction
# still open at our read can appear later with an earlier write_date. Incremental reads go back this far.
OVERLAP = dt.timedelta(seconds=120)


class TrytonReader:
    """Reads streams (mappings.mapper.Stream) through a logged-in TrytonClient."""

    def __init__(self, client):
        self.client = client
        self._fields = {}

    def fields_of(self, model) -> dict:
        """The fields the user may read (Tryton hides the others, e.g. a relation to a model it may not
        read); a field the user may not write is `readonly`."""
        if model not in self._fields:
            self._fields[model] = self.client.fields_get(model, None)
        return self._fields[model]

    def access(self, needed) -> dict[str, set[str]]:
        """The user's model access (ir.model.access), as Tryton computes it for its groups: one call."""
        granted = self.client.model('ir.model.access', 'get_access', sorted(needed))
        return {model: {perm for perm, allowed in perms.items() if allowed} for model, perms in granted.items()}

    def field_exists(self, model, name) -> bool:
        return bool(self.client.search('ir.model.field', [('model', '=', model), ('name', '=', name)], 0, 1))

    def pages(self, stream, since: str | None = None, customers=None):
        """Pages of the stream's records (all, or changed since the bookmark `since`; of `customers` only, when
        given), with related records."""
        domain = domain_for(stream, self.client.context.get('company'))
        if customers is not None:
            domain.append((stream.customer_field, 'in', sorted(IntegerIds.erp(c) for c in customers)))
        if since and stream.replication_key:
            domain.append((stream.replication_key, '>', dt.datetime.fromisoformat(since) - OVERLAP))
        fields = stream.fields_to_read(self.fields_of)
        if stream.replication_key and stream.replication_key not in fields:
            fields.append(stream.replication_key)
        for records in self.client.pages(stream.model, domain, fields, page_size=stream.page_size,
                context=stream.context or None):
            yield Page(records, read_related(stream, records, self._read))

    def documents(self, invoice_numbers) -> dict[str, dict]:
        found = {n: {'orders': [], 'deliveries': []} for n in invoice_numbers}
        try:
            ids = self.client.search('account.invoice', [('number', 'in', sorted(found)), ('type', '=', 'out')])
            number = {r['id']: r['number'] for r in self.client.read('account.invoice', ids, ['number'])}
            sale_ids = self.client.search('sale.sale', [('invoices', 'in', sorted(number))]) if number else []
            sales = self.client.read('sale.sale', sale_ids, ['number', 'invoices', 'shipments']) if sale_ids else []
        except ErpRefused:
            return found
        shipments = {}
        wanted = sorted({s for sale in sales for s in sale['shipments']})
        if wanted:
            try:
                shipments = {r['id']: r for r in self.client.read('stock.shipment.out', wanted,
                                                                  ['number', 'state', 'effective_date'])}
            except ErpRefused:                  # no access to shipments: the deliveries stay missing
                shipments = {}
        for sale in sales:
            done = [f"{s['number']} ({s['effective_date']})" for i in sale['shipments']
                    if (s := shipments.get(i)) and s['state'] == 'done']
            for invoice in sale['invoices']:
                if invoice in number:
                    found[number[invoice]]['orders'].append(sale['number'])
                    found[number[invoice]]['deliveries'] += done
        return found

    def ids(self, stream) -> set[str]:
        """Every id the stream's domain selects now (to notice deleted records); ids only, no fields."""
        return {canonical_id(i) for i in self.client.search(stream.model,
            domain_for(stream, self.client.context.get('company')), 0, None, [('id', 'ASC')])}

    @staticmethod
    def bookmark(stream, records) -> str | None:
        """The bookmark after these records: their latest replication value, ISO text."""
        return bookmark_after(stream, records)

    def _read(self, model, ids, fields):
        return self.client.model(model, 'read', ids, fields)
