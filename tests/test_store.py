"""The SQLite store: schema, all-or-nothing transactions (also when the process dies), records by ERP
source, outbox idempotency, episodes, holds and the audit log."""
import subprocess
import sys
import textwrap

import pytest

from creditguard.connector.cycle.store import SCHEMA_VERSION, Store
from creditguard.mappings.errors import ConfigError
from creditguard.rules.evaluate import Decision

from .conftest import REPO


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "state" / "cg.sqlite") as store:
        yield store


def test_a_new_store_is_created_with_its_schema(tmp_path):
    path = tmp_path / "state" / "cg.sqlite"
    Store(path).close()
    import sqlite3
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"bookmarks", "records", "cycles", "decisions", "episodes", "outbox", "audit", "holds",
                      "insurer_buyers", "insurer_requests", "insurer_decisions", "allowances", "insurer_overdues",
                      "insurer_overdue_invoices", "insurer_claims"}


def test_data_survives_reopening(tmp_path):
    path = tmp_path / "cg.sqlite"
    with Store(path) as store, store.transaction():
        store.set_bookmark("invoices", "2026-11-27T03:16:58")
        store.replace_source("invoices", "6", [{"id": "6/10"}, {"id": "6/11"}])
    with Store(path) as store:
        assert store.bookmarks() == {"invoices": "2026-11-27T03:16:58"}
        assert store.records("invoices") == [{"id": "6/10"}, {"id": "6/11"}]


def test_a_file_that_is_not_a_store_is_a_config_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database, just some text long enough to have a header " * 20)
    with pytest.raises(ConfigError) as error:
        Store(path)
    assert error.value.where == str(path)


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    import sqlite3
    path = tmp_path / "cg.sqlite"
    sqlite3.connect(path).execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="schema version"):
        Store(path)


def test_an_exception_rolls_the_whole_transaction_back(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.set_bookmark("customers", "2026-11-27T00:00:00")
            store.replace_source("customers", "5", [{"id": "5"}])
            with store.transaction():              # nested blocks join the outer one
                store.audit("5", "placed", actor="test")
            raise RuntimeError("crash in the middle")
    assert store.bookmarks() == {} and store.records("customers") == [] and store.audit_log() == []


def test_a_process_killed_inside_a_transaction_leaves_nothing(tmp_path):
    path = tmp_path / "cg.sqlite"
    with Store(path) as store, store.transaction():
        store.set_bookmark("customers", "before")
    script = textwrap.dedent(f"""
        import os
        from creditguard.connector.cycle.store import Store
        store = Store({str(path)!r})
        with store.transaction():
            store.set_bookmark("customers", "after")
            store.replace_source("customers", "5", [{{"id": "5"}}])
            os._exit(9)
        """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=60)
    assert proc.returncode == 9
    with Store(path) as store:
        assert store.bookmarks() == {"customers": "before"} and store.records("customers") == []


def test_records_are_replaced_per_erp_record(store):
    with store.transaction():
        store.replace_source("invoices", "6", [{"id": "6/10", "r": 1}, {"id": "6/11", "r": 1}])
        store.replace_source("invoices", "7", [{"id": "7"}])
    with store.transaction():                      # instalment 10 was paid: invoice 6 maps to one record now
        store.replace_source("invoices", "6", [{"id": "6/11", "r": 2}])
        store.delete_sources("invoices", ["7"])
    assert store.records("invoices") == [{"id": "6/11", "r": 2}]
    assert store.records_by_source("invoices") == {"6": [{"id": "6/11", "r": 2}]}
    assert store.source_ids("invoices") == {"6"}


def test_a_done_write_stays_done_when_planned_again(store):
    with store.transaction():
        cycle = store.start_cycle("full")
        assert store.enqueue(cycle, "note-key", "5", "add_note", {"text": "x"}) == "pending"
        store.mark("note-key", "done", "written")
    with store.transaction():
        later = store.start_cycle("incremental")
        assert store.enqueue(later, "note-key", "5", "add_note", {"text": "x"}) == "done"
    assert store.is_done("note-key")
    [entry] = store.outbox()
    assert (entry.status, entry.attempts, entry.result, entry.payload) == ("done", 1, "written", {"text": "x"})


def test_pending_writes_of_an_interrupted_cycle(store):
    with store.transaction():
        first = store.start_cycle("full")
        store.enqueue(first, "hold-1", "5", "place_hold", {})
        store.enqueue(first, "note-1", "5", "add_note", {})
    with store.transaction():
        second = store.start_cycle("incremental")
        assert store.enqueue(second, "note-1", "5", "add_note", {}) == "pending"     # planned again: kept
        assert store.supersede_pending(second) == 1                                  # hold-1 was not
    assert {e.key: e.status for e in store.outbox()} == {"hold-1": "superseded", "note-1": "pending"}
    assert [e.key for e in store.outbox(cycle_id=second, status="pending")] == ["note-1"]


def test_decisions_are_kept_per_cycle_with_their_explanation(store):
    decision = Decision(customer_id="5", rule="overdue.flag", action="flag",
                        message="Oldest overdue invoice is 45 days past due",
                        facts={"max_days_overdue": 45}, policy="seed-default", policy_version=1)
    with store.transaction():
        cycle = store.start_cycle("full")
        store.add_decisions(cycle, [decision])
        store.finish_cycle(cycle, "ok", {"done": 1})
    [saved] = store.decisions(cycle)
    assert saved["message"] == decision.message and saved["facts"] == {"max_days_overdue": 45}
    assert saved["key"] == decision.key
    assert store.cycles()[0]["status"] == "ok"


def test_episodes_are_exactly_the_decisions_in_force(store):
    with store.transaction():
        store.set_episodes({"k1": ("5", "2026-11-20"), "k2": ("6", "2026-11-27")})
    with store.transaction():
        store.set_episodes({"k2": ("6", "2026-11-27")})
    assert store.episodes() == {"k2": "2026-11-27"}


def test_holds_and_their_audit(store):
    with store.transaction():
        store.set_hold("5", name="Acme", since="2026-11-27T08:00:00+00:00", rules="overdue.extension_exceeded",
                       reason="Overdue 70 days", cycle_id=1)
        store.audit("5", "placed", name="Acme", rules="overdue.extension_exceeded", reason="Overdue 70 days",
                    actor="connector@tryton")
        store.set_hold("5", name="Acme", since="2026-11-28T08:00:00+00:00", rules="overdue.extension_exceeded",
                       reason="Overdue 71 days", cycle_id=2)
    [hold] = store.holds()
    assert hold["since"] == "2026-11-27T08:00:00+00:00" and hold["reason"] == "Overdue 71 days"   # since kept
    with store.transaction():
        store.drop_hold("5")
        store.audit("5", "released", name="Acme", actor="connector@tryton")
    assert store.holds() == []
    assert [(a["event"], a["actor"]) for a in store.audit_log("5")] == [("placed", "connector@tryton"),
                                                                       ("released", "connector@tryton")]


def test_a_version_1_store_keeps_its_episodes_under_keys_without_the_policy(tmp_path):
    import sqlite3
    path = tmp_path / "cg.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=1")
    db.execute("INSERT INTO episodes VALUES ('seed-default/1/overdue.flag/flag/7', '7', '2026-10-01')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.episodes() == {"overdue.flag/flag/7": "2026-10-01"}


def test_a_decision_is_the_same_episode_across_policy_names_and_versions():
    old = Decision(customer_id="7", rule="overdue.flag", action="flag", message="Overdue 40 days", facts={},
                   policy="seed-default", policy_version=1)
    tuned = Decision(customer_id="7", rule="overdue.flag", action="flag", message="Overdue 40 days", facts={},
                     policy="house-rules", policy_version=3)
    other = Decision(customer_id="7", rule="overdue.flag", action="notify", message="Overdue 40 days", facts={},
                     policy="house-rules", policy_version=3)
    assert old.key == tuned.key != other.key


def test_a_version_2_store_gains_the_insurer_tables_and_keeps_its_records(tmp_path):
    import sqlite3
    path = tmp_path / "cg.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    for table in ("insurer_buyers", "insurer_requests", "insurer_decisions"):
        db.execute(f"DROP TABLE {table}")
    db.execute("PRAGMA user_version=2")
    db.execute("INSERT INTO bookmarks VALUES ('customers', '2026-11-01', '2026-11-01')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.bookmarks() == {"customers": "2026-11-01"}
        assert store.db.execute("SELECT count(*) FROM insurer_requests").fetchone() == (0,)
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
