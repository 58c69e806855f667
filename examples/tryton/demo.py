"""`make demo`: Credit Guard on an embedded, real Tryton 8.2 — from empty books to a refused order.

1. sets Tryton up when missing (a private virtualenv and database in .tryton/, about 40 s the first time),
2. starts it on 127.0.0.1 and seeds a company with customers in different situations,
3. runs one Credit Guard cycle with the real command (`creditguard run --once`), shows the decisions
   table of the synced snapshot and lists the holds,
4. has the salesperson try to confirm an order for a held customer, and prints Tryton's refusal.

Everything it writes lives in .tryton/ and .creditguard/demo/ (both ignored by git)."""
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "tryton"))

from books import Books  # noqa: E402

from connector.tryton.embedded import USERS, EmbeddedTryton  # noqa: E402

WORK = REPO / ".creditguard" / "demo"
TODAY = dt.date.today()

# name, credit limit, country, [(invoice amount, days ago it was invoiced)]; payment term: Net 30
CUSTOMERS = [
    ("Acme Trading", 20000, "DE", [(4000, 10)]),                 # within every limit
    ("Bolt Wholesale", 5000, "FR", [(3500, 12), (2000, 2)]),     # over its credit limit
    ("Corte Retail", 30000, "IT", [(1500, 100), (800, 5)]),      # an invoice 70 days overdue
    ("Delta Foods", 30000, "NL", [(2500, 75)]),                  # 45 days overdue: flagged
    ("Ege Tekstil", 50000, "TR", [(12000, 3)]),                  # elevated country risk, no insurer cover
]


def step(text):
    print(f"\n=== {text}", flush=True)


def creditguard(*args):
    exe = Path(sys.executable).with_name("creditguard")
    proc = subprocess.run([str(exe), *args], text=True, capture_output=True, timeout=300)
    print(proc.stdout, end="")
    if proc.returncode:
        print(proc.stderr, end="", file=sys.stderr)
        raise SystemExit(proc.returncode)


def seed(books):
    parties = {}
    for name, limit, country, invoices in CUSTOMERS:
        party = books.create_customer(name, credit_limit=limit, country=country)
        parties[name] = party
        for amount, days_ago in sorted(invoices, key=lambda i: -i[1]):
            books.create_invoice(party, amount, TODAY - dt.timedelta(days=days_ago))
        print(f"  {name:<15} {country}  credit limit {limit:>7,}  invoices "
              + ", ".join(f"{amount:,} ({days} days ago)" for amount, days in invoices))
    return parties


def write_config(url, database, work=WORK, password=None):
    """A fresh folder `work` with a config for the demo books (the password in it, or in the environment)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    config = work / "creditguard.toml"
    password_line = f'password = "{password}"\n' if password else ""
    config.write_text(f"""\
[erp]
kind = "tryton"
url = "{url}"
database = "{database}"
user = "connector"
{password_line}
[store]
path = "creditguard.sqlite"

[insurance]
max_credit_period_days = 90
max_extension_days = 60
overdue_notification_days = 60
discretionary_limit = "10000"

[country_risk]
DE = 0
FR = 0
IT = 1
NL = 0
TR = 5
""")
    return config


def main():
    step("Setting up Tryton 8.2 (first run only: a virtualenv and a template database in .tryton/)")
    tryton = EmbeddedTryton()
    tryton.setup()
    with tryton.start(["demo"]) as server:
        print(f"  Tryton is listening on {server.url}, database 'demo'")
        step("Seeding the books: a company and five customers")
        admin = server.client("demo", "admin")
        parties = seed(Books(admin))
        config = write_config(server.url, "demo")
        os.environ["CREDITGUARD_ERP_PASSWORD"] = USERS["connector"]

        step(f"One Credit Guard cycle: creditguard run --config {config.relative_to(REPO)} --once")
        creditguard("run", "--config", str(config), "--once")
        snapshot = WORK / "snapshot.json"
        creditguard("snapshot", "--config", str(config), "-o", str(snapshot))
        step(f"The decisions, customer by customer: creditguard evaluate --snapshot {snapshot.relative_to(REPO)}")
        creditguard("evaluate", "--snapshot", str(snapshot))
        step("Customers on hold: creditguard holds")
        creditguard("holds", "--config", str(config))

        step("The salesperson enters an order for Bolt Wholesale and clicks Confirm")
        books = Books(admin)
        sale = books.create_sale(parties["Bolt Wholesale"], 100)
        sales = server.client("demo", "sales")
        answer = books.confirm_sale_as(sales, sale)
        if answer:
            raise SystemExit("!! Tryton confirmed the order of a held customer: the hold did not work")
        print(f"  Tryton refused: {answer.message}")

        step("And for Acme Trading, who is in good standing")
        sale = books.create_sale(parties["Acme Trading"], 100)
        answer = books.confirm_sale_as(sales, sale)
        print("  Tryton confirmed the order." if answer else f"  Tryton refused: {answer.message}")
    print("\nDone. Try: .venv/bin/creditguard explain --snapshot examples/snapshot.json 45")


if __name__ == "__main__":
    main()
