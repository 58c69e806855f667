"""The insurer's side of the store (tables insurer_* of connector/cycle/store.py): buyers, requests, decisions.

    buyers      customer -> the insurer's buyer id (found once with find_buyer, then kept) and its last grade
    requests    the insurer's outbox: one row per cover request, keyed by the decision that asked for it
                    awaiting_approval -> queued -> open -> decided          (manual approval)
                                         queued -> open -> decided          (automatic)
                    queued -> failed (the insurer refused the call: a person looks)
                    open -> review (an answer that could not be read: kept raw, a person looks)
                PENDING statuses are "a request is waiting": the customer's cover_request_pending fact
    decisions   every decision the insurer sent, once (by its decision id), raw answer kept; needs_review
                when it cannot be read (unknown code, no amount or buyer): such a decision changes no cover

The cover in force on a date is the latest decision (by decision time) effective on or before that date, so a
reduction with notice leaves the earlier cover standing until its effective date. Call the writing methods
inside `store.transaction()`.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from creditguard.mappings import clock
from creditguard.mappings.vocab import RequestStatus

__all__ = ["Ledger", "PENDING", "CoverOnDate"]

PENDING = RequestStatus.pending()
DECISIONS_BOOKMARK = "insurer:decisions"           # in the store's bookmarks table: the feed's latest decided_at


@dataclass(frozen=True, kw_only=True)
class CoverOnDate:
    """The cover in force on a date, and the next change already decided (a reduction with notice)."""
    decision_id: str
    status: str
    amount: Decimal
    currency: str
    valid_until: str | None
    effective_date: str | None
    reduced: bool                                   # the insurer cut it on its own
    next_change: dict | None = None                 # the decision that takes effect later, if any


class Ledger:
    def __init__(self, store):
        self.store = store
        self.db = store.db

    # -- buyers ---------------------------------------------------------------------------------

    def buyer_id(self, customer_id) -> str | None:
        row = self.db.execute("SELECT buyer_id FROM insurer_buyers WHERE customer_id=?", (customer_id,)).fetchone()
        return row[0] if row else None

    def bind_buyer(self, customer_id, buyer_id, name) -> None:
        self.db.execute("INSERT INTO insurer_buyers (customer_id, buyer_id, name, found_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(customer_id) DO UPDATE SET buyer_id=excluded.buyer_id, name=excluded.name",
                        (customer_id, buyer_id, name, clock.iso()))

    def buyers(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT customer_id, buyer_id, name, grade, raw_grade, grade_date, grade_checked_at "
                               "FROM insurer_buyers")
        return {c: {"buyer_id": b, "name": n, "grade": g, "raw_grade": r, "grade_date": d, "grade_checked_at": k}
                for c, b, n, g, r, d, k in rows}

    def customer_of(self, buyer_id) -> str | None:
        row = self.db.execute("SELECT customer_id FROM insurer_buyers WHERE buyer_id=? ORDER BY found_at LIMIT 1",
                              (buyer_id,)).fetchone()
        return row[0] if row else None

    def set_insolvent(self, customer_id, since: str) -> None:
        """The insurer says the buyer is insolvent (from `since`, a date): its unpaid invoices are declared and
        claimed at once (overdues.py, claims.py)."""
        self.db.execute("UPDATE insurer_buyers SET insolvent_since=COALESCE(insolvent_since, ?) WHERE customer_id=?",
                        (since, customer_id))

    def insolvent(self) -> dict[str, str]:
        """customer id -> the date its insolvency was reported."""
        rows = self.db.execute("SELECT customer_id, insolvent_since FROM insurer_buyers WHERE insolvent_since IS NOT "
                               "NULL")
        return dict(rows.fetchall())

    def grade_checked(self, customer_id) -> None:
        """The buyer's grade was asked for now (grades are fetched on a schedule: InsurerStep._fetch_grades)."""
        self.db.execute("UPDATE insurer_buyers SET grade_checked_at=? WHERE customer_id=?", (clock.iso(), customer_id))

    def set_grade(self, customer_id, grade, raw_grade, grade_date) -> None:
        self.db.execute("UPDATE insurer_buyers SET grade=?, raw_grade=?, grade_date=? WHERE customer_id=?",
                        (grade, raw_grade, grade_date, customer_id))

    # -- requests -------------------------------------------------------------------------------

    def add_request(self, key, customer_id, name, amount, currency, status) -> bool:
        """A new request under `key`; False when the key is known already (the decision asked before)."""
        now = clock.iso()
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO insurer_requests (key, customer_id, customer_name, amount, currency, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, customer_id, name, str(amount), currency, status, now, now))
        return cursor.rowcount == 1

    def requests(self, *, statuses=None, customer_id=None, where="", args=()) -> list[dict]:
        query, params = "SELECT * FROM insurer_requests WHERE 1=1" + where, list(args)
        if statuses:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            params += list(statuses)
        if customer_id:
            query += " AND customer_id=?"
            params.append(customer_id)
        cursor = self.db.execute(query + " ORDER BY id", params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def request(self, request_row_id) -> dict | None:
        rows = self.requests(where=" AND id=?", args=(request_row_id,))
        return rows[0] if rows else None

    def request_by_key(self, key) -> dict | None:
        rows = self.requests(where=" AND key=?", args=(key,))
        return rows[0] if rows else None

    def pending_customers(self) -> set[str]:
        return {r["customer_id"] for r in self.requests(statuses=PENDING)}

    def update_request(self, key, **values) -> None:
        values["updated_at"] = clock.iso()
        sets = ", ".join(f"{name}=?" for name in values)
        self.db.execute(f"UPDATE insurer_requests SET {sets} WHERE key=?", (*values.values(), key))

    def count_attempt(self, key) -> None:
        self.db.execute("UPDATE insurer_requests SET attempts=attempts+1, updated_at=? WHERE key=?", (clock.iso(), key))

    def request_by_insurer_id(self, request_id) -> dict | None:
        rows = self.requests(where=" AND request_id=?", args=(request_id,))
        return rows[0] if rows else None

    # -- decisions ------------------------------------------------------------------------------

    def add_decision(self, decision, customer_id) -> bool:
        """Record a decision once (by its id); False when it was recorded before."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO insurer_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (decision.decision_id, customer_id, decision.buyer_id, decision.request_id, decision.status,
             decision.raw_status, None if decision.amount is None else str(decision.amount), decision.currency,
             decision.decided_at and decision.decided_at.isoformat(),
             decision.effective_date and decision.effective_date.isoformat(),
             decision.valid_until and decision.valid_until.isoformat(), decision.reason,
             int(decision.needs_review or customer_id is None), json.dumps(decision.raw, default=str), clock.iso()))
        return cursor.rowcount == 1

    def decisions(self, *, customer_id=None, review=None) -> list[dict]:
        query, args = "SELECT * FROM insurer_decisions WHERE 1=1", []
        if customer_id is not None:
            query += " AND customer_id=?"
            args.append(customer_id)
        if review is not None:
            query += " AND needs_review=?"
            args.append(int(review))
        cursor = self.db.execute(query + " ORDER BY decided_at, rowid", args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def managed_customers(self) -> set[str]:
        """Customers the insurer step speaks for: with a buyer id, a request or a decision."""
        rows = self.db.execute("SELECT customer_id FROM insurer_buyers UNION SELECT customer_id FROM "
                               "insurer_requests UNION SELECT customer_id FROM insurer_decisions "
                               "WHERE customer_id IS NOT NULL")
        return {c for (c,) in rows}

    def cover_on(self, customer_id, day: dt.date) -> CoverOnDate | None:
        """The cover in force on `day`: the latest readable decision effective on or before it."""
        in_force, later = None, None
        for row in self.decisions(customer_id=customer_id, review=False):
            effective = row["effective_date"]
            if effective is None or effective <= day.isoformat():
                in_force, later = row, None
            else:
                later = row
        if in_force is None:
            return None
        return CoverOnDate(decision_id=in_force["decision_id"], status=in_force["status"],
                           amount=Decimal(in_force["amount"]),
                           currency=in_force["currency"], valid_until=in_force["valid_until"],
                           effective_date=in_force["effective_date"],
                           reduced=in_force["request_id"] is None and in_force["status"] == "partial",
                           next_change=later)

    def feed_since(self) -> str | None:
        return self.store.bookmark(DECISIONS_BOOKMARK)

    def set_feed_since(self, value: str) -> None:
        self.store.set_bookmark(DECISIONS_BOOKMARK, value)
