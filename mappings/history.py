"""Contract 1.1 checks: an invoice's payment history must add up to its residual, within its dates."""
from __future__ import annotations

from creditguard.mappings.errors import SnapshotError
from creditguard.mappings.models import SNAPSHOT_FORMAT_HISTORY


def check_header(header, source: str) -> None:
    """The 1.1 company totals only in a 1.1 file."""
    if header.format == SNAPSHOT_FORMAT_HISTORY:
        return
    for name in ("trade_payables", "inventory_value"):
        if getattr(header.company, name) is not None:
            raise _older_format(source, f"company.{name}")


def check_history(header, doc, source: str) -> None:
    """An invoice's payments: only in a 1.1 file, dated between its invoice date and as_of, summing to
    amount_total - amount_residual. `doc.payments` is not None."""
    where = f"{source}: invoices[id={doc.id}]"
    if header.format != SNAPSHOT_FORMAT_HISTORY:
        raise _older_format(source, f"invoices[id={doc.id}].payments")
    if doc.invoice_date is not None and doc.invoice_date > header.as_of:
        raise SnapshotError(f"invoice dated {doc.invoice_date} after the snapshot's as_of {header.as_of}",
                            where=f"{where}.invoice_date", hint="a snapshot's history ends on its as_of")
    paid = 0
    for k, payment in enumerate(doc.payments):
        if payment.date > header.as_of:
            raise SnapshotError(f"payment dated {payment.date} after the snapshot's as_of {header.as_of}",
                                where=f"{where}.payments[{k}].date", hint="a snapshot's history ends on its as_of")
        if doc.invoice_date is not None and payment.date < doc.invoice_date:
            raise SnapshotError(f"payment dated {payment.date} before the invoice date {doc.invoice_date}",
                                where=f"{where}.payments[{k}].date")
        paid += payment.amount
    if paid > doc.amount_total:
        raise SnapshotError(f"payments total {paid} exceed the invoice's amount_total {doc.amount_total}",
                            where=f"{where}.payments")
    if doc.amount_total - paid != doc.amount_residual:
        raise SnapshotError(f"the history does not match the residual: amount_total {doc.amount_total} - "
                            f"payments {paid} = {doc.amount_total - paid}, but amount_residual is "
                            f"{doc.amount_residual}", where=f"{where}.amount_residual",
                            hint="list every payment, credit note and write-off that settled the invoice")


def _older_format(source, field):
    return SnapshotError(f"{field.rsplit('.', 1)[-1]} needs format {SNAPSHOT_FORMAT_HISTORY!r}",
                         where=f"{source}: {field}", hint=f'set "format": "{SNAPSHOT_FORMAT_HISTORY}"')
