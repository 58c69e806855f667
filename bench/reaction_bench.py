"""Reaction bench: a change in a real Tryton -> the customer's allowance written back, through `creditguard serve`.

Starts the embedded Tryton (connector/testing/tryton.py) with a fresh database, books `--customers` customers
with a credit limit and an invoice each, runs `creditguard serve` as its own process on loopback, and points the
Tryton add-on's notices at it (Party > Configuration > Credit Guard). Then, `--changes` times, it makes one change
as a user would — a customer invoice posted, or a sale confirmed, alternately, for a customer in turn — and
measures from the moment Tryton answered (the change is committed) to the moment the party's allowance fields
show it (read every 10 ms). Prints p50, p95 and max; target p95 < 1 s (README "Benchmarks").

    .venv/bin/python bench/reaction_bench.py                  # 200 changes, 50 customers
    .venv/bin/python bench/reaction_bench.py --changes 20     # a short run
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.syncbench import machine  # noqa: E402
from creditguard.connector.testing.tryton import USERS, EmbeddedTryton  # noqa: E402
from examples.tryton.books import Books  # noqa: E402

SECRET = "bench secret"
FIELDS = ["creditguard_allowance", "creditguard_exposure", "creditguard_allowance_as_of"]


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.01)
    raise SystemExit(f"{what}: not within {seconds} s")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args(argv)

    with EmbeddedTryton().start() as tryton, tempfile.TemporaryDirectory() as tmp:
        database = tryton.fresh_database()
        admin = tryton.client(database, "admin")
        books = Books(admin)
        today = dt.date.today()
        print(f"booking {args.customers} customers ...", file=sys.stderr)
        parties = []
        for n in range(args.customers):
            party = books.create_customer(f"Bench Customer {n:03d}", credit_limit=10_000_000)
            books.create_invoice(party, 1000, today - dt.timedelta(days=3))
            parties.append(party)
        port = free_port()
        erp = (f'[erp]\nkind = "tryton"\nurl = "{tryton.url}"\ndatabase = "{database}"\n'
               f'user = "connector"\npassword = "{USERS["connector"]}"\n')
        service, base = start_serve(erp, Path(tmp), port)
        try:
            wait(lambda: _healthy(base), 300, "the first scheduled cycle")
            admin.write("creditguard.configuration", [1], {"webhook_url": f"{base}/webhook",
                                                           "webhook_secret": SECRET})
            sales = {i: books.create_sale(parties[i % len(parties)], 10) for i in range(1, args.changes, 2)}

            def change(i):
                party = parties[i % len(parties)]
                before = admin.read("party.party", [party], FIELDS)[0]
                if i % 2:
                    books.client.button("sale.sale", "confirm", [sales[i]])
                else:
                    books.create_invoice(party, 100, today)
                return ("sale confirmed" if i % 2 else "invoice posted"), lambda: _moved(admin, party, before)
            reactions, kinds = measure(args.changes, change)
            metrics = httpx.get(f"{base}/metrics", timeout=10).text
        finally:
            service.terminate()
            service.wait(timeout=30)
    print_results(f"Tryton 8.2 (embedded, SQLite), {args.customers} customers, {args.changes} changes "
                  f"(invoice posted / sale confirmed, alternately), served by `creditguard serve`",
                  reactions, kinds, metrics)
    return 0


def start_serve(erp_section: str, folder: Path, port: int):
    """`creditguard serve` on loopback over a config of `erp_section`, as its own process: (process, base URL)."""
    config = folder / "creditguard.toml"
    config.write_text(f'{erp_section}\n[store]\npath = "store.sqlite"\n\n[serve]\naddress = "127.0.0.1:{port}"\n'
                      f'every = 3600\n')
    service = subprocess.Popen([sys.executable, "-m", "creditguard.connector.cli", "serve", "--config", str(config)],
                               env={**os.environ, "CREDITGUARD_SERVE_SECRET": SECRET},
                               stderr=open(Path(os.environ.get("BENCH_LOG", folder / "serve.log")), "w"))
    return service, f"http://127.0.0.1:{port}"


def measure(changes: int, change):
    """`change(i)` makes the i-th change and returns (its kind, a predicate true once the allowance shows it):
    the seconds from each change to its predicate, and the kinds."""
    reactions, kinds = [], []
    for i in range(changes):
        kind, moved = change(i)
        done = time.monotonic()
        wait(moved, 30, f"change {i}: the allowance")
        reactions.append(time.monotonic() - done)
        kinds.append(kind)
    return reactions, kinds


def print_results(title, reactions, kinds, metrics) -> None:
    p50, p95 = statistics.median(reactions), percentile(reactions, 95)
    print(f"machine: {machine()}")
    print(title)
    print(f"change -> allowance written: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {max(reactions) * 1000:.0f} ms  (target p95 < 1000 ms: {'met' if p95 < 1 else 'MISSED'})")
    for kind in sorted(set(kinds)):
        values = [r for r, k in zip(reactions, kinds) if k == kind]
        print(f"  {kind}: p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms")
    print("  " + "; ".join(line for line in metrics.splitlines() if line.startswith("creditguard_cycles_total")))


def _healthy(base):
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _moved(admin, party, before):
    now = admin.read("party.party", [party], FIELDS)[0]
    return Decimal(str(now["creditguard_exposure"])) != Decimal(str(before["creditguard_exposure"]))


if __name__ == "__main__":
    sys.exit(main())
