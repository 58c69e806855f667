"""Shared helpers: build small snapshots in code and run the real `creditguard` command."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from creditguard.rules import durable_engine

REPO = Path(__file__).resolve().parent.parent
CLI = (sys.executable, "-m", "creditguard.connector.cli")     # the `creditguard` command of this environment
EXAMPLE = REPO / "examples" / "snapshot.json"

# The rings (README "Tests"): a folder of live tests is one ring, with the marker of its name.
RINGS = ("tryton", "odoo", "insurer")

needs_durable = pytest.mark.skipif(not durable_engine.available(),
                                   reason=f"durable-rules cannot run here: {durable_engine.IMPORT_ERROR}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        ring = Path(str(item.fspath)).parent.name
        if ring in RINGS:
            item.add_marker(getattr(pytest.mark, ring))


def interruptible():
    """For Popen(preexec_fn=...): the child takes Ctrl-C (SIGINT) as from a user's terminal, also when the test run
    itself was started in the background, where the shell ignores SIGINT and every child inherits that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def make_snapshot(customers, invoices=(), orders=(), *, as_of="2026-11-26", policy_terms=None,
                  fx_rates=None, country_risk=None) -> dict:
    doc = {"format": "creditguard-snapshot/1", "as_of": as_of,
           "company": {"name": "Test Co", "currency": "EUR"},
           "fx_rates": fx_rates or {"USD": "0.5"}, "country_risk": country_risk or {},
           "customers": list(customers), "invoices": list(invoices), "orders": list(orders)}
    if policy_terms is not None:
        doc["policy_terms"] = policy_terms
    return doc


def invoice(id, customer_id="c1", residual="100", due="2026-11-01", **extra) -> dict:
    doc = {"id": str(id), "customer_id": customer_id, "kind": "invoice", "state": "posted", "currency": "EUR",
           "amount_total": residual, "amount_residual": residual, "invoice_date": "2026-10-01",
           "due_date": due, "disputed": False}
    doc.update(extra)
    return doc


def order(id, customer_id="c1", to_invoice="100", state="confirmed", **extra) -> dict:
    doc = {"id": str(id), "customer_id": customer_id, "state": state, "currency": "EUR",
           "amount_total": to_invoice, "amount_to_invoice": to_invoice}
    doc.update(extra)
    return doc


POLICY_TERMS = {"max_credit_period_days": 90, "max_extension_days": 60, "overdue_notification_days": 60,
                "discretionary_limit": "10000", "insured_percent": 90}


@pytest.fixture
def write_json(tmp_path):
    def write(doc, name="snapshot.json"):
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        return path
    return write


def run_cli(*args, check=None, env=None, stdin=None):
    """Run the installed command line as a user would; returns the completed process. The environment is
    this one without COLUMNS and LINES (readline, once loaded in this process, exports them to children),
    plus `env`."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    proc = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**environ, **(env or {})}, input=stdin)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc
