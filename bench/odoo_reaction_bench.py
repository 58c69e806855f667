"""Reaction bench on a real Odoo: a change in Odoo -> the customer's allowance written back, through `creditguard serve`.

The Odoo counterpart of bench/reaction_bench.py. Needs a running Odoo with the credit_guard add-on (its addons path
holds addons/odoo) and the variables of the live tests: ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD (the
connector's user) and ODOO_ADMIN_PASSWORD (for booking). Books `--customers` customers with a credit limit and an
invoice each, runs `creditguard serve` as its own process on loopback, points the add-on's notices at it (system
parameters credit_guard.webhook_url / credit_guard.webhook_secret), then `--changes` times makes one change as a
user would — an invoice posted or an order confirmed, alternately, for a customer in turn — and measures from the
moment Odoo answered (the change is committed) to the moment the partner's allowance fields show it (read every
10 ms). Prints p50, p95 and max; target p95 < 1 s (bench/README.md). What it booked is cancelled afterwards and
the notice parameters are set back.

    ODOO_URL=... ODOO_DB=... ODOO_USER=... ODOO_PASSWORD=... ODOO_ADMIN_PASSWORD=... \\
        .venv/bin/python bench/odoo_reaction_bench.py --changes 200 --customers 50
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reaction_bench import SECRET, _healthy, free_port, measure, print_results, start_serve, wait  # noqa: E402,E501
from creditguard.connector.erp.odoo.client import OdooClient  # noqa: E402
from tests.odoo.books import OdooBooks  # noqa: E402

FIELDS = ["credit_guard_allowance", "credit_guard_exposure", "credit_guard_allowance_as_of"]
PARAMS = ("credit_guard.webhook_url", "credit_guard.webhook_secret")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args(argv)
    missing = [v for v in ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_PASSWORD", "ODOO_ADMIN_PASSWORD")
               if not os.environ.get(v)]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (a real Odoo with the credit_guard add-on)")
    url, db = os.environ["ODOO_URL"], os.environ["ODOO_DB"]
    admin = OdooClient(url, db, os.environ.get("ODOO_ADMIN_USER", "admin"), os.environ["ODOO_ADMIN_PASSWORD"]).connect()
    version = admin.call("ir.module.module", "search_read", [("name", "=", "base")], ["latest_version"])
    books = OdooBooks(admin)
    before_params = {p: admin.call("ir.config_parameter", "get_param", p) for p in PARAMS}
    today = dt.date.today()
    print(f"booking {args.customers} customers ...", file=sys.stderr)
    partners = []
    for n in range(args.customers):
        partner = books.customer(f"Bench Customer {n:03d}", credit_limit=10_000_000)
        books.invoice(partner, 1000, today - dt.timedelta(days=3))
        partners.append(partner)
    with tempfile.TemporaryDirectory() as tmp:
        erp = (f'[erp]\nkind = "odoo"\nurl = "{url}"\ndatabase = "{db}"\nuser = "{os.environ["ODOO_USER"]}"\n'
               f'password = "{os.environ["ODOO_PASSWORD"]}"\ntimeout = 60\n')
        service, base = start_serve(erp, Path(tmp), free_port())
        try:
            wait(lambda: _healthy(base), 600, "the first scheduled cycle")
            admin.call("ir.config_parameter", "set_param", PARAMS[0], f"{base}/webhook")
            admin.call("ir.config_parameter", "set_param", PARAMS[1], SECRET)
            orders = {i: books.quotation(partners[i % len(partners)], 10) for i in range(1, args.changes, 2)}

            def change(i):
                partner = partners[i % len(partners)]
                before = admin.read("res.partner", [partner], FIELDS)[0]
                if i % 2:
                    admin.call("sale.order", "action_confirm", [orders[i]])
                else:
                    books.invoice(partner, 100, today)
                return ("order confirmed" if i % 2 else "invoice posted"), lambda: _moved(admin, partner, before)
            reactions, kinds = measure(args.changes, change)
            metrics = httpx.get(f"{base}/metrics", timeout=10).text
        finally:
            service.terminate()
            service.wait(timeout=30)
            for param, value in before_params.items():
                admin.call("ir.config_parameter", "set_param", param, value or "")
            books.cleanup()
    print_results(f"Odoo {version[0]['latest_version'] if version else '?'} at {url}, {args.customers} customers, "
                  f"{args.changes} changes (invoice posted / order confirmed, alternately), served by "
                  f"`creditguard serve`", reactions, kinds, metrics)
    return 0


def _moved(admin, partner, before):
    now = admin.read("res.partner", [partner], FIELDS)[0]
    return now["credit_guard_exposure"] != before["credit_guard_exposure"]


if __name__ == "__main__":
    sys.exit(main())
