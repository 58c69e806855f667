"""Claims: a declared overdue still unpaid on the claim date becomes a claim file, filed once, followed to payment.

Terms (`[insurance]`; claims are off without `claim_filing_days`): the claim date of a filed declaration is its
oldest invoice's due date + `max_extension_days` (the end of the extension period), or the date the insurer
reported the buyer insolvent, if earlier; the claim must be filed by
the claim date + `claim_filing_days`. The insurer pays, after `waiting_period_days`, `insured_percent` of the loss
above the `deductible` — nothing when the loss is at or below the `claim_threshold`.

The claim file (`ClaimDesk.plan`, once per declaration) holds what the ERP gives: the claimed invoices with what
is still unpaid on them, the statement of account (every open item of the buyer), the declaration it follows,
the sales orders and the deliveries done the ERP holds for the invoices (by reference: ErpReader.documents), the
amounts claimed, the threshold and deductible applied and the expected indemnity. A document the ERP does not
hold for every claimed invoice (a service has no delivery; an invoice made without an order has no order) is
listed as missing: a claim with a document missing waits for a person (`creditguard insurer approve C<n>`, which
records who let it go with what missing), and is never filed otherwise; a complete one is filed with the cycle
unless `[insurer] declarations = "manual"`. Paid before filing: cancelled. Filed: followed each cycle to its
indemnity (or refusal), which is recorded against the claim; what the buyer pays on the claimed invoices after
that is recorded as the claim's recovery (`ClaimDesk.recoveries`), which the insured owes the insurer its share of.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from creditguard.mappings import clock
from creditguard.mappings.vocab import FilingStatus
from creditguard.mappings.money import round_cent

__all__ = ["ClaimDesk", "CLAIM_OPEN", "expected_indemnity", "DOCUMENTS"]

CLAIM_OPEN = FilingStatus.open()
DOCUMENTS = ("sales order or contract", "proof of delivery")     # what a claim needs besides the invoices
STATUS_WORDS = {FilingStatus.AWAITING_APPROVAL: "awaiting approval",
                FilingStatus.QUEUED: "queued (goes out with the next cycle)",
                FilingStatus.FILED: "filed, in the waiting period",
                FilingStatus.PAID: "indemnity paid",
                FilingStatus.REJECTED: "refused by the insurer",
                FilingStatus.CANCELLED: "cancelled (paid before filing)",
                FilingStatus.REVIEW: "answer needs review",
                FilingStatus.FAILED: "the insurer refused the filing (see message)"}


def expected_indemnity(claimed: Decimal, terms) -> Decimal:
    """What the policy pays on a loss of `claimed`: nothing at or below the threshold, else the insured share of
    the loss above the deductible."""
    if claimed <= terms.claim_threshold:
        return Decimal("0.00")
    return round_cent(max(Decimal(0), claimed - terms.deductible) * terms.insured_percent / 100)


class ClaimDesk:
    def __init__(self, store):
        self.store = store
        self.db = store.db

    def claims(self, *, statuses=None, where="", args=()) -> list[dict]:
        query, params = "SELECT * FROM insurer_claims WHERE 1=1" + where, list(args)
        if statuses:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            params += list(statuses)
        cursor = self.db.execute(query + " ORDER BY id", params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def claim(self, row_id) -> dict | None:
        rows = self.claims(where=" AND id=?", args=(row_id,))
        return rows[0] if rows else None

    def open_customers(self) -> set[str]:
        """Customers with a claim not yet paid, refused or cancelled: the `claim_open` fact."""
        return {c["customer_id"] for c in self.claims(statuses=CLAIM_OPEN)}

    def update(self, row_id, **values) -> None:
        values["updated_at"] = clock.iso()
        sets = ", ".join(f"{name}=?" for name in values)
        self.db.execute(f"UPDATE insurer_claims SET {sets} WHERE id=?", (*values.values(), row_id))

    def plan(self, snapshot, open_items, terms, as_of, overdue_desk, audit=None, insolvent=None, documents=None,
             manual=False) -> list[dict]:
        """Prepare the claims due on `as_of` and cancel those paid before filing; the claims prepared
        (`open_items`: the snapshot's overdues.open_invoices). Call in a transaction."""
        if terms.claim_filing_days is None:
            return []
        residual = {i: inv.amount_residual for i, inv in open_items.items()}
        prepared = []
        claimed_for = {c["declaration_id"] for c in self.claims()}
        for declaration in overdue_desk.declarations(statuses=(FilingStatus.FILED,)):
            invoices = overdue_desk.invoices(declaration["id"])
            if declaration["id"] in claimed_for or not invoices:
                continue
            claim_from = min(dt.date.fromisoformat(i["due_date"]) for i in invoices) + \
                dt.timedelta(days=terms.max_extension_days)
            if (insolvent or {}).get(declaration["customer_id"]):       # insolvency: the loss is there now
                claim_from = min(claim_from, dt.date.fromisoformat(insolvent[declaration["customer_id"]]))
            unpaid = [i for i in invoices if i["invoice_id"] in residual]
            if as_of < claim_from or not unpaid:
                continue
            found = documents([i["number"] for i in unpaid if i["number"]]) if documents else {}
            prepared.append(self._prepare(snapshot, terms, declaration, unpaid, residual, claim_from, audit, found,
                                          manual))
        for claim in self.claims(statuses=FilingStatus.unfiled()):
            rows = json.loads(claim["file"])["invoices"]
            if not any(r["invoice_id"] in residual for r in rows):
                self.update(claim["id"], status=FilingStatus.CANCELLED, message="paid before filing")
                if audit:
                    audit(claim["customer_id"], f"claim C{claim['id']} cancelled: paid before filing",
                          claim["customer_name"])
        return prepared

    def recoveries(self, open_items, audit=None) -> list[tuple[dict, Decimal]]:
        """Paid claims whose invoices the buyer has paid (part of) since: the recovery recorded, once per change
        (`open_items`: overdues.open_invoices). Call in a transaction."""
        residual = {i: inv.amount_residual for i, inv in open_items.items()}
        found = []
        for claim in self.claims(statuses=(FilingStatus.PAID,)):
            rows = json.loads(claim["file"])["invoices"]
            unpaid_now = sum((residual.get(r["invoice_id"], Decimal(0)) for r in rows), Decimal(0))
            recovered = round_cent(max(Decimal(0), Decimal(claim["claimed"]) - unpaid_now))
            if recovered != Decimal(claim["recovered"] or 0):
                self.update(claim["id"], recovered=str(recovered))
                if audit:
                    audit(claim["customer_id"], f"recovery on claim C{claim['id']}: {recovered:,.2f} paid by the "
                          "buyer since the indemnity (the insurer's share is due to it)", claim["customer_name"])
                found.append((claim, recovered))
        return found

    def _prepare(self, snapshot, terms, declaration, unpaid, residual, claim_from, audit, found, manual) -> dict:
        customer_id = declaration["customer_id"]
        claimed = round_cent(sum((residual[i["invoice_id"]] for i in unpaid), Decimal(0)))
        expected = expected_indemnity(claimed, terms)
        statement = [{"number": inv.number or inv.id, "invoice_id": inv.id, "kind": inv.kind,
                      "due_date": (inv.due_date or inv.invoice_date).isoformat(), "residual": str(inv.amount_residual),
                      "currency": inv.currency}
                     for inv in snapshot.invoices if inv.customer_id == customer_id and inv.state == "posted"
                     and inv.amount_residual > 0]
        claim_file = {
            "declaration": {"id": declaration["id"], "insurer_id": declaration["insurer_id"],
                            "filed_at": declaration["filed_at"], "kind": declaration["kind"]},
            "invoices": [{"invoice_id": i["invoice_id"], "number": i["number"] or i["invoice_id"],
                          "due_date": i["due_date"], "declared": i["amount"],
                          "unpaid": str(residual[i["invoice_id"]]), "currency": i["currency"]} for i in unpaid],
            "statement_of_account": statement,
            "claimed": str(claimed), "claim_threshold": str(terms.claim_threshold),
            "deductible": str(terms.deductible), "insured_percent": str(terms.insured_percent),
            "expected_indemnity": str(expected),
        }
        held = {"sales order or contract": "orders", "proof of delivery": "deliveries"}
        per_invoice = [found.get(i["number"] or "", {}) for i in unpaid]
        claim_file["orders"] = sorted({o for f in per_invoice for o in f.get("orders", [])})
        claim_file["deliveries"] = sorted({d for f in per_invoice for d in f.get("deliveries", [])})
        claim_file["documents"] = {"invoices": "from the ERP", "statement of account": "from the ERP", **{
            kind: ("from the ERP: " + ", ".join(claim_file[key])) if per_invoice and all(f.get(key) for f in per_invoice)
            else "missing" for kind, key in held.items()}}
        missing = [kind for kind in DOCUMENTS if claim_file["documents"][kind] == "missing"]
        claim_by = claim_from + dt.timedelta(days=terms.claim_filing_days)
        now = clock.iso()
        cursor = self.db.execute(
            "INSERT INTO insurer_claims (key, declaration_id, customer_id, customer_name, status, claim_from, "
            "claim_by, currency, claimed, expected, file, missing, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f"creditguard/claim/{customer_id}/D{declaration['id']}", declaration["id"], customer_id,
             declaration["customer_name"], FilingStatus.first(bool(missing) or manual),
             claim_from.isoformat(), claim_by.isoformat(), declaration["currency"], str(claimed), str(expected),
             json.dumps(claim_file), json.dumps(missing), now, now))
        if audit:
            audit(customer_id, f"claim C{cursor.lastrowid} prepared on declaration D{declaration['id']}: "
                  f"{claimed:,.2f} claimed, {expected:,.2f} expected"
                  + (f"; missing: {', '.join(missing)}" if missing else "; complete"), declaration["customer_name"])
        return self.claim(cursor.lastrowid)
