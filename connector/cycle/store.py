"""The connector's local state in one SQLite file: bookmarks, synced records, decisions, outbox, audit, holds.

Tables (schema version in PRAGMA user_version):
    bookmarks   stream -> replication value (the ERP's write_date), moved with the records it covers
    records     the last snapshot's canonical records per stream, with the ERP record they came from
    cycles      one row per cycle: when, mode, status, summary
    decisions   every decision of every cycle, with the rule's message and the facts it read
    episodes    since when each decision (by key) has been in force: a note is written once per episode
    outbox      writes planned for the ERP, keyed for idempotency: pending -> done | superseded | failed
    audit       holds placed, updated and released: who, what, why, when
    holds       the holds Credit Guard has placed and that are in force
    insurer_*   the insurer's side (connector/insurer/ledger.py): buyer ids and grades per customer, cover
                requests (the insurer's outbox, keyed by decision), the insurer's decisions as received, overdue
                declarations and their invoices (connector/insurer/overdues.py)
Every change happens inside `transaction()`: a crash leaves the file as it was before that transaction.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from creditguard.mappings import clock
from creditguard.mappings.errors import BadInput, ConfigError

from creditguard.mappings.vocab import Operation

__all__ = ["Store", "OutboxEntry", "SCHEMA_VERSION"]

SCHEMA_VERSION = 5

_SCHEMA = """
CREATE TABLE bookmarks (stream TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE records (stream TEXT NOT NULL, id TEXT NOT NULL, source_id TEXT NOT NULL, data TEXT NOT NULL,
                      PRIMARY KEY (stream, id));
CREATE INDEX records_source ON records (stream, source_id);
CREATE TABLE cycles (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT NOT NULL,
                     dry_run INTEGER NOT NULL, as_of TEXT, status TEXT NOT NULL, summary TEXT);
CREATE TABLE decisions (cycle_id INTEGER NOT NULL REFERENCES cycles, customer_id TEXT NOT NULL,
                        rule TEXT NOT NULL, action TEXT NOT NULL, message TEXT NOT NULL, facts TEXT NOT NULL,
                        policy TEXT NOT NULL, policy_version INTEGER NOT NULL, amount TEXT, key TEXT NOT NULL);
CREATE INDEX decisions_customer ON decisions (customer_id, cycle_id);
CREATE TABLE episodes (key TEXT PRIMARY KEY, customer_id TEXT NOT NULL, since TEXT NOT NULL);
CREATE TABLE outbox (key TEXT PRIMARY KEY, cycle_id INTEGER NOT NULL, customer_id TEXT NOT NULL,
                     operation TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
                     attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                     result TEXT);
CREATE INDEX outbox_status ON outbox (status, cycle_id);
CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, cycle_id INTEGER, customer_id TEXT NOT NULL,
                    customer_name TEXT, event TEXT NOT NULL, rules TEXT, reason TEXT, actor TEXT NOT NULL);
CREATE TABLE holds (customer_id TEXT PRIMARY KEY, customer_name TEXT, since TEXT NOT NULL, rules TEXT,
                    reason TEXT, cycle_id INTEGER);
"""

# version 3: the insurer's side (connector/insurer/ledger.py)
_ALLOWANCE_SCHEMA = """
CREATE TABLE IF NOT EXISTS allowances (customer_id TEXT PRIMARY KEY, payload TEXT NOT NULL, written_at TEXT NOT NULL);
"""
_INSURER_SCHEMA = """
CREATE TABLE IF NOT EXISTS insurer_buyers (customer_id TEXT PRIMARY KEY, buyer_id TEXT NOT NULL, name TEXT,
                                           grade INTEGER, raw_grade TEXT, grade_date TEXT, found_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS insurer_buyers_buyer ON insurer_buyers (buyer_id);
CREATE TABLE IF NOT EXISTS insurer_requests (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
                                             customer_id TEXT NOT NULL, customer_name TEXT, amount TEXT NOT NULL,
                                             currency TEXT NOT NULL, status TEXT NOT NULL, buyer_id TEXT,
                                             request_id TEXT, message TEXT, raw TEXT, approved_by TEXT,
                                             attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
                                             sent_at TEXT, decided_at TEXT, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS insurer_requests_customer ON insurer_requests (customer_id, status);
CREATE TABLE IF NOT EXISTS insurer_decisions (decision_id TEXT PRIMARY KEY, customer_id TEXT, buyer_id TEXT,
                                              request_id TEXT, status TEXT NOT NULL, raw_status TEXT, amount TEXT,
                                              currency TEXT, decided_at TEXT, effective_date TEXT,
                                              valid_until TEXT, reason TEXT, needs_review INTEGER NOT NULL,
                                              raw TEXT NOT NULL, recorded_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS insurer_decisions_customer ON insurer_decisions (customer_id, decided_at);
"""
_OVERDUE_SCHEMA = """
CREATE TABLE IF NOT EXISTS insurer_overdues (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
                                             customer_id TEXT NOT NULL, customer_name TEXT, kind TEXT NOT NULL,
                                             status TEXT NOT NULL, deadline TEXT NOT NULL, currency TEXT,
                                             buyer_id TEXT, insurer_id TEXT, late INTEGER NOT NULL DEFAULT 0,
                                             message TEXT, raw TEXT, approved_by TEXT,
                                             attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
                                             filed_at TEXT, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS insurer_overdues_customer ON insurer_overdues (customer_id, status);
CREATE TABLE IF NOT EXISTS insurer_overdue_invoices (declaration_id INTEGER NOT NULL REFERENCES insurer_overdues,
                                                     invoice_id TEXT NOT NULL, number TEXT, due_date TEXT NOT NULL,
                                                     amount TEXT NOT NULL, currency TEXT, added_at TEXT NOT NULL,
                                                     sent INTEGER NOT NULL DEFAULT 0,
                                                     PRIMARY KEY (declaration_id, invoice_id));
CREATE TABLE IF NOT EXISTS insurer_claims (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
                                           declaration_id INTEGER NOT NULL UNIQUE REFERENCES insurer_overdues,
                                           customer_id TEXT NOT NULL, customer_name TEXT, status TEXT NOT NULL,
                                           claim_from TEXT NOT NULL, claim_by TEXT NOT NULL, currency TEXT,
                                           claimed TEXT NOT NULL, expected TEXT NOT NULL, file TEXT NOT NULL,
                                           missing TEXT NOT NULL, insurer_id TEXT, indemnity TEXT, recovered TEXT,
                                           waiting_until TEXT, message TEXT, raw TEXT, approved_by TEXT,
                                           attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
                                           filed_at TEXT, updated_at TEXT NOT NULL);
"""


class OutboxEntry:
    """One planned ERP write as stored: key, operation, customer and the payload the writer needs."""
    __slots__ = ("key", "cycle_id", "customer_id", "operation", "payload", "status", "attempts", "result")

    def __init__(self, key, cycle_id, customer_id, operation, payload, status, attempts=0, result=None):
        self.key, self.cycle_id, self.customer_id = key, cycle_id, customer_id
        self.operation, self.payload, self.status = operation, payload, status
        self.attempts, self.result = attempts, result

    def __repr__(self):
        return f"<OutboxEntry {self.operation} {self.customer_id} {self.status} {self.key}>"


def open_store(config) -> "Store":
    """The store of a config that has run (or synced) before; BadInput saying so when there is none yet."""
    if not config.store_path.exists():
        raise BadInput("nothing has been synced yet: the store does not exist", where=str(config.store_path),
                       hint=f"run `creditguard run --config {config.source} --once` (or `sync`) first")
    return Store(config.store_path)


class Store:
    """Open (and create when missing) the store at `path`."""

    def __init__(self, path):
        self.path = Path(path)
        self._depth = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot open the store: {exc}", where=str(self.path),
                              hint="check [store] path points at a Credit Guard store (or a new file)") from None
        except OSError as exc:
            raise ConfigError(f"cannot create the store: {exc.strerror}", where=str(self.path)) from None

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _migrate(self):
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise ConfigError(f"the store has schema version {version}; this Credit Guard knows "
                              f"{SCHEMA_VERSION}", where=str(self.path), hint="upgrade Credit Guard")
        with self.transaction():
            if version == 0:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self.db.execute(statement)
            if version == 1:
                self._episodes_without_policy()
            if version < 3:
                for statement in filter(str.strip, _INSURER_SCHEMA.split(";")):
                    self.db.execute(statement)
            if version < 4:
                self.db.execute(_ALLOWANCE_SCHEMA)
            if version < 5:
                for statement in filter(str.strip, _OVERDUE_SCHEMA.split(";")):
                    self.db.execute(statement)
                columns = {row[1] for row in self.db.execute("PRAGMA table_info(insurer_buyers)")}
                for column in ("grade_checked_at", "insolvent_since"):
                    if column not in columns:
                        self.db.execute(f"ALTER TABLE insurer_buyers ADD COLUMN {column} TEXT")
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _episodes_without_policy(self):
        """Version 1 keyed episodes by policy name and version too ("seed-default/1/overdue.flag/flag/7"):
        keep their start dates under the keys of version 2 ("overdue.flag/flag/7")."""
        rows = self.db.execute("SELECT key, customer_id, since FROM episodes").fetchall()
        self.db.execute("DELETE FROM episodes")
        for key, customer, since in rows:
            self.db.execute("INSERT OR IGNORE INTO episodes VALUES (?, ?, ?)", (key.split("/", 2)[2], customer, since))

    @contextmanager
    def transaction(self):
        """All or nothing: commit on leaving the block, roll back on an exception (nested blocks join)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    # -- bookmarks ----------------------------------------------------------------------------

    def bookmark(self, stream) -> str | None:
        row = self.db.execute("SELECT value FROM bookmarks WHERE stream=?", (stream,)).fetchone()
        return row[0] if row else None

    def bookmarks(self) -> dict:
        return dict(self.db.execute("SELECT stream, value FROM bookmarks"))

    def set_bookmark(self, stream, value: str) -> None:
        self.db.execute("INSERT INTO bookmarks VALUES (?, ?, ?) ON CONFLICT(stream) DO UPDATE SET "
                        "value=excluded.value, updated_at=excluded.updated_at", (stream, value, clock.iso()))

    def clear_bookmarks(self) -> None:
        self.db.execute("DELETE FROM bookmarks")

    # -- records ------------------------------------------------------------------------------

    def replace_source(self, stream, source_id, records) -> None:
        """The records that one ERP record maps to, replacing what it mapped to before."""
        self.db.execute("DELETE FROM records WHERE stream=? AND source_id=?", (stream, str(source_id)))
        self.db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)",
                            [(stream, r["id"], str(source_id), json.dumps(r)) for r in records])

    def delete_sources(self, stream, source_ids) -> None:
        self.db.executemany("DELETE FROM records WHERE stream=? AND source_id=?",
                            [(stream, str(s)) for s in source_ids])

    def clear_stream(self, stream) -> None:
        self.db.execute("DELETE FROM records WHERE stream=?", (stream,))

    def records(self, stream) -> list[dict]:
        rows = self.db.execute("SELECT data FROM records WHERE stream=? ORDER BY rowid", (stream,))
        return [json.loads(data) for (data,) in rows]

    def records_by_source(self, stream) -> dict[str, list[dict]]:
        out = {}
        for source_id, data in self.db.execute("SELECT source_id, data FROM records WHERE stream=? ORDER BY rowid",
                                               (stream,)):
            out.setdefault(source_id, []).append(json.loads(data))
        return out

    def records_of_sources(self, stream, source_ids) -> dict[str, list[dict]]:
        """The stored records of these ERP records only: source id -> records."""
        out, ids = {}, [str(s) for s in source_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.db.execute(f"SELECT source_id, data FROM records WHERE stream=? AND source_id IN "
                                   f"({','.join('?' * len(chunk))}) ORDER BY rowid", (stream, *chunk))
            for source_id, data in rows:
                out.setdefault(source_id, []).append(json.loads(data))
        return out

    def source_ids(self, stream) -> set[str]:
        return {s for (s,) in self.db.execute("SELECT DISTINCT source_id FROM records WHERE stream=?",
                                              (stream,))}

    def count(self, stream) -> int:
        return self.db.execute("SELECT count(*) FROM records WHERE stream=?", (stream,)).fetchone()[0]

    # -- cycles and decisions -----------------------------------------------------------------

    def start_cycle(self, mode, dry_run=False, as_of=None) -> int:
        cursor = self.db.execute("INSERT INTO cycles (started_at, mode, dry_run, as_of, status) "
                                 "VALUES (?, ?, ?, ?, 'running')",
                                 (clock.iso(), mode, int(dry_run), as_of and as_of.isoformat()))
        return cursor.lastrowid

    def finish_cycle(self, cycle_id, status, summary=None) -> None:
        self.db.execute("UPDATE cycles SET finished_at=?, status=?, summary=? WHERE id=?",
                        (clock.iso(), status, json.dumps(summary) if summary is not None else None, cycle_id))

    def cycles(self, limit=20) -> list[dict]:
        rows = self.db.execute("SELECT id, started_at, finished_at, mode, dry_run, as_of, status, summary "
                               "FROM cycles ORDER BY id DESC LIMIT ?", (limit,))
        names = ("id", "started_at", "finished_at", "mode", "dry_run", "as_of", "status", "summary")
        return [dict(zip(names, row)) for row in rows]

    def add_decisions(self, cycle_id, decisions) -> None:
        self.db.executemany(
            "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(cycle_id, d.customer_id, d.rule, d.action, d.message, json.dumps(d.facts, default=str),
              d.policy, d.policy_version, None if d.amount is None else str(d.amount), d.key)
             for d in decisions])

    def decisions(self, cycle_id) -> list[dict]:
        rows = self.db.execute("SELECT customer_id, rule, action, message, facts, amount, key FROM decisions "
                               "WHERE cycle_id=? ORDER BY rowid", (cycle_id,))
        return [{"customer_id": c, "rule": r, "action": a, "message": m, "facts": json.loads(f), "amount": am,
                 "key": k} for c, r, a, m, f, am, k in rows]

    # -- episodes -----------------------------------------------------------------------------

    def episodes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, since FROM episodes"))

    def set_episodes(self, episodes: dict[str, tuple[str, str]], customers=None) -> None:
        """Exactly these decision keys are in force: key -> (customer_id, since); of `customers` only, when
        given (the others' episodes stay)."""
        if customers is None:
            self.db.execute("DELETE FROM episodes")
        else:
            self.db.executemany("DELETE FROM episodes WHERE customer_id=?", [(c,) for c in customers])
        self.db.executemany("INSERT INTO episodes VALUES (?, ?, ?)",
                            [(key, customer, since) for key, (customer, since) in episodes.items()])

    # -- allowances (docs/allowance.md) --------------------------------------------------------

    def allowances(self) -> dict[str, dict]:
        """Customer id -> the set_allowance payload last written to the ERP."""
        return {c: json.loads(p) for c, p in self.db.execute("SELECT customer_id, payload FROM allowances")}

    def set_allowance(self, customer_id, payload: dict) -> None:
        self.db.execute("INSERT INTO allowances VALUES (?, ?, ?) ON CONFLICT(customer_id) DO UPDATE SET "
                        "payload=excluded.payload, written_at=excluded.written_at",
                        (customer_id, json.dumps(payload), clock.iso()))

    # -- outbox -------------------------------------------------------------------------------

    def enqueue(self, cycle_id, key, customer_id, operation, payload) -> str:
        """Plan a write; a key already done stays done. Returns the entry's status."""
        now = clock.iso()
        self.db.execute(
            "INSERT INTO outbox (key, cycle_id, customer_id, operation, payload, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT(key) DO UPDATE SET "
            "cycle_id=excluded.cycle_id, payload=excluded.payload, updated_at=excluded.updated_at, "
            "status=CASE WHEN status='done' THEN 'done' ELSE 'pending' END",
            (key, cycle_id, customer_id, Operation(operation).value, json.dumps(payload, default=str), now, now))
        return self.db.execute("SELECT status FROM outbox WHERE key=?", (key,)).fetchone()[0]

    def supersede_pending(self, cycle_id, customers=None) -> int:
        """Pending writes of earlier cycles that this cycle did not plan again are dropped (of `customers` only,
        when given)."""
        query = "UPDATE outbox SET status='superseded', updated_at=? WHERE status IN ('pending', 'failed') " \
                "AND cycle_id<?"
        if customers is None:
            return self.db.execute(query, (clock.iso(), cycle_id)).rowcount
        return sum(self.db.execute(query + " AND customer_id=?", (clock.iso(), cycle_id, c)).rowcount
                   for c in customers)

    def outbox(self, *, cycle_id=None, status=None) -> list[OutboxEntry]:
        query, args = "SELECT key, cycle_id, customer_id, operation, payload, status, attempts, result " \
                      "FROM outbox WHERE 1=1", []
        if cycle_id is not None:
            query += " AND cycle_id=?"
            args.append(cycle_id)
        if status is not None:
            query += " AND status=?"
            args.append(status)
        rows = self.db.execute(query + " ORDER BY rowid", args)
        return [OutboxEntry(k, c, cu, Operation(op), json.loads(p), s, a, r) for k, c, cu, op, p, s, a, r in rows]

    def is_done(self, key) -> bool:
        row = self.db.execute("SELECT status FROM outbox WHERE key=?", (key,)).fetchone()
        return bool(row) and row[0] == "done"

    def mark(self, key, status, result=None) -> None:
        self.db.execute("UPDATE outbox SET status=?, result=?, attempts=attempts+1, updated_at=? WHERE key=?",
                        (status, result, clock.iso(), key))

    # -- holds and audit ----------------------------------------------------------------------

    def audit(self, customer_id, event, *, name=None, rules=None, reason=None, actor, cycle_id=None,
              at=None) -> None:
        self.db.execute("INSERT INTO audit (at, cycle_id, customer_id, customer_name, event, rules, reason, "
                        "actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (at or clock.iso(), cycle_id, customer_id, name, event, rules, reason, actor))

    def audit_log(self, customer_id=None) -> list[dict]:
        query = "SELECT at, cycle_id, customer_id, customer_name, event, rules, reason, actor FROM audit"
        rows = self.db.execute(query + (" WHERE customer_id=?" if customer_id else "") + " ORDER BY id",
                               (customer_id,) if customer_id else ())
        names = ("at", "cycle_id", "customer_id", "customer_name", "event", "rules", "reason", "actor")
        return [dict(zip(names, row)) for row in rows]

    def set_hold(self, customer_id, *, name, since, rules, reason, cycle_id) -> None:
        self.db.execute("INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(customer_id) DO UPDATE SET "
                        "customer_name=excluded.customer_name, rules=excluded.rules, reason=excluded.reason, "
                        "cycle_id=excluded.cycle_id", (customer_id, name, since, rules, reason, cycle_id))

    def drop_hold(self, customer_id) -> None:
        self.db.execute("DELETE FROM holds WHERE customer_id=?", (customer_id,))

    def holds(self) -> list[dict]:
        rows = self.db.execute("SELECT customer_id, customer_name, since, rules, reason, cycle_id FROM holds "
                               "ORDER BY since, customer_id")
        names = ("customer_id", "customer_name", "since", "rules", "reason", "cycle_id")
        return [dict(zip(names, row)) for row in rows]
