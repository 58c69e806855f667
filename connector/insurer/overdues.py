"""Overdue declarations to the insurer: on time, once, and joined by the buyer's later overdues.

The policy terms (`[insurance]`, README "The credit insurer") say when: an undisputed invoice unpaid
`declare_after_days` after its due date is in "state of default" and must be declared by its due date + `overdue_notification_days`
(the declaration deadline). Per customer, after each evaluation (`OverdueDesk.plan`):

    an invoice reaches the threshold, no open declaration   a declaration is opened with every overdue invoice
                                                             of the customer at the threshold: queued (approval
                                                             "auto") or awaiting `creditguard insurer approve D<n>`
    a customer with an open declaration                      the new overdue invoices join it (sent as an
                                                             addition once it is filed), never a second one
    all its invoices paid before it was filed                cancelled: nothing is sent
    all its invoices paid after it was filed                 closed, and the insurer told so
    `[insurer] extensions` lists the customer                an extension request (EXP) instead of a state of
                                                             default (OVD), once per customer

A declaration filed after its deadline is still sent; the insurer's answer says it is late (and, under most
policies, the insurer cancels the buyer's cover: that comes back as a decision like any other) and Credit Guard
flags it for a person. Each filing carries an idempotency key derived from the declaration's key, and the attempt
is on record before anything leaves, so a crash or a retry never files twice: the insurer answers a replayed key
from its record. An answer that cannot be read is kept raw and the declaration waits for a person (`review`).

Store: tables insurer_overdues and insurer_overdue_invoices (connector/cycle/store.py).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from creditguard.mappings import clock
from creditguard.mappings.vocab import FilingStatus

__all__ = ["OverdueDesk", "OPEN", "declare_after_days", "Overdue", "open_invoices", "overdues"]

OPEN = FilingStatus.open()                   # a declaration not yet closed or cancelled
UNFILED = FilingStatus.unfiled()
STATUS_WORDS = {FilingStatus.AWAITING_APPROVAL: "awaiting approval",
                FilingStatus.QUEUED: "queued (goes out with the next cycle)",
                FilingStatus.FILED: "filed with the insurer",
                FilingStatus.REVIEW: "answer needs review",
                FilingStatus.CLOSED: "closed (paid)",
                FilingStatus.CANCELLED: "cancelled (paid before filing)",
                FilingStatus.FAILED: "refused by the insurer (see message)"}


def declare_after_days(terms) -> int:
    """Days past due at which an invoice is declared: the term, else the deadline less the warning days."""
    if terms.declare_after_days is not None:
        return terms.declare_after_days
    return max(0, terms.overdue_notification_days - terms.deadline_warning_days)


@dataclass(frozen=True, kw_only=True)
class Overdue:
    """An undisputed invoice of the snapshot at or past the declaration threshold."""
    invoice_id: str
    customer_id: str
    number: str | None
    due_date: dt.date
    amount: Decimal                  # its residual, in its own currency
    currency: str

    @property
    def as_row(self) -> dict:
        return {"invoice_id": self.invoice_id, "number": self.number, "due_date": self.due_date.isoformat(),
                "amount": str(self.amount), "currency": self.currency}


def open_invoices(snapshot) -> dict:
    """The snapshot's posted invoices with something left to pay, by id: what declarations and claims are about
    (read once per cycle, then shared)."""
    return {inv.id: inv for inv in snapshot.invoices
            if inv.state == "posted" and inv.kind == "invoice" and inv.amount_residual > 0}


def overdues(open_items: dict, terms, as_of: dt.date, insolvent=frozenset()) -> dict[str, list[Overdue]]:
    """Per customer, its open invoices (`open_invoices`) that must be declared on `as_of`, oldest due date
    first; of an `insolvent` customer, every one, due or not."""
    threshold = declare_after_days(terms)
    found: dict[str, list[Overdue]] = {}
    for inv in open_items.values():
        due = inv.due_date or inv.invoice_date
        if inv.disputed or due is None or (as_of - due).days < threshold and inv.customer_id not in insolvent:
            continue
        found.setdefault(inv.customer_id, []).append(
            Overdue(invoice_id=inv.id, customer_id=inv.customer_id, number=inv.number, due_date=due,
                    amount=inv.amount_residual, currency=inv.currency))
    for rows in found.values():
        rows.sort(key=lambda o: (o.due_date, o.invoice_id))
    return found


class OverdueDesk:
    """The declarations of one store: planning them from a snapshot, and the rows the CLI shows."""

    def __init__(self, store):
        self.store = store
        self.db = store.db

    # -- reading --------------------------------------------------------------------------------

    def declarations(self, *, statuses=None, customer_id=None, where="", args=()) -> list[dict]:
        query, params = "SELECT * FROM insurer_overdues WHERE 1=1" + where, list(args)
        if statuses:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            params += list(statuses)
        if customer_id is not None:
            query += " AND customer_id=?"
            params.append(customer_id)
        cursor = self.db.execute(query + " ORDER BY id", params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def declaration(self, row_id) -> dict | None:
        rows = self.declarations(where=" AND id=?", args=(row_id,))
        return rows[0] if rows else None

    def open_declaration(self, customer_id) -> dict | None:
        rows = self.declarations(statuses=OPEN, customer_id=customer_id)
        return rows[-1] if rows else None

    def invoices(self, declaration_id) -> list[dict]:
        cursor = self.db.execute("SELECT * FROM insurer_overdue_invoices WHERE declaration_id=? ORDER BY due_date, "
                                 "invoice_id", (declaration_id,))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def declared_customers(self) -> set[str]:
        """Customers with an open declaration: the `declared_overdue` fact."""
        return {r["customer_id"] for r in self.declarations(statuses=OPEN)}

    def extended_customers(self) -> set[str]:
        rows = self.db.execute("SELECT DISTINCT customer_id FROM insurer_overdues WHERE kind='EXP'")
        return {c for (c,) in rows}

    # -- writing (inside store.transaction()) --------------------------------------------------------

    def update(self, row_id, **values) -> None:
        values["updated_at"] = clock.iso()
        sets = ", ".join(f"{name}=?" for name in values)
        self.db.execute(f"UPDATE insurer_overdues SET {sets} WHERE id=?", (*values.values(), row_id))

    def _open(self, customer_id, name, kind, status, deadline, currency) -> int:
        now = clock.iso()
        cursor = self.db.execute(
            "INSERT INTO insurer_overdues (key, customer_id, customer_name, kind, status, deadline, currency, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f"pending/{customer_id}/{now}", customer_id, name, kind, status, deadline.isoformat(), currency,
             now, now))
        row_id = cursor.lastrowid
        self.db.execute("UPDATE insurer_overdues SET key=? WHERE id=?", (f"creditguard/overdue/{customer_id}/"
                                                                          f"{row_id}", row_id))
        return row_id

    def _add_invoice(self, declaration_id, overdue: Overdue, sent: bool) -> bool:
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO insurer_overdue_invoices (declaration_id, invoice_id, number, due_date, amount, "
            "currency, added_at, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (declaration_id, overdue.invoice_id, overdue.number, overdue.due_date.isoformat(), str(overdue.amount),
             overdue.currency, clock.iso(), int(sent)))
        return cursor.rowcount == 1

    def plan(self, snapshot, open_items, terms, as_of, *, manual: bool, extensions=frozenset(), audit=None,
             insolvent=frozenset()) -> dict:
        """Open, extend, cancel and close declarations after the snapshot of `as_of` (`open_items`: its
        `open_invoices`). Call in a transaction.

        Returns what changed: {"opened": [...], "joined": [...], "cancelled": [...]} (rows)."""
        due = overdues(open_items, terms, as_of, insolvent)
        names = {c.id: c.name for c in snapshot.customers}
        changed = {"opened": [], "joined": [], "cancelled": []}
        extended = self.extended_customers()
        for customer_id, rows in sorted(due.items()):
            if customer_id not in names:
                continue
            current = self.open_declaration(customer_id)
            if current is None:
                kind = "EXP" if customer_id in extensions and customer_id not in extended \
                    and customer_id not in insolvent else "OVD"
                deadline = min(o.due_date for o in rows) + dt.timedelta(days=terms.overdue_notification_days)
                row_id = self._open(customer_id, names[customer_id], kind,
                                    FilingStatus.first(manual), deadline, rows[0].currency)
                for overdue in rows:
                    self._add_invoice(row_id, overdue, sent=False)
                changed["opened"].append(self.declaration(row_id))
                if audit:
                    audit(customer_id, f"overdue declaration D{row_id} ({kind}) of {len(rows)} invoice(s) opened, "
                          f"to file by {deadline.isoformat()}", names[customer_id])
                continue
            joined = [o for o in rows if self._add_invoice(current["id"], o, sent=False)]
            if joined:
                changed["joined"].append((current, joined))
                if audit:
                    audit(customer_id, f"{len(joined)} further overdue invoice(s) joined declaration "
                          f"D{current['id']}", names[customer_id])
        for declaration in self.declarations(statuses=OPEN):
            invoices = self.invoices(declaration["id"])
            if invoices and not any(i["invoice_id"] in open_items for i in invoices):
                if declaration["status"] in UNFILED:
                    self.update(declaration["id"], status=FilingStatus.CANCELLED, message="paid before filing")
                    changed["cancelled"].append(declaration)
                    if audit:
                        audit(declaration["customer_id"], f"overdue declaration D{declaration['id']} cancelled: "
                              "paid before filing", declaration["customer_name"])
        return changed                  # a filed one all paid is closed at the insurer when it is next sent to


def invoice_payload(rows) -> list[dict]:
    return [{"invoiceNumber": r["number"] or r["invoice_id"], "invoiceId": r["invoice_id"],
             "dueDate": r["due_date"], "amount": r["amount"], "currencyCode": r["currency"]} for r in rows]


def raw_text(value) -> str:
    return json.dumps(value, default=str)
