"""`make demo`: Credit Guard on an embedded, real Tryton 8.2 — from empty books to a refused order.

1. sets Tryton up when missing (a private virtualenv and database in .tryton/, about 40 s the first time),
2. starts it on 127.0.0.1 and seeds a company with customers in different situations,
3. runs one Credit Guard cycle with the real command (`creditguard run --once`), shows the decisions
   table of the synced snapshot and lists the holds,
4. has the salesperson try to confirm an order for a held customer, and prints Tryton's refusal,
5. the insurer step: starts a simulated credit insurer on loopback, lets one customer's exposure outgrow its
   cover and another's pass the discretionary limit; a cycle files both requests, the insurer approves the first
   and refuses the second, and the next cycle shows the new cover in Tryton and the refused customer held.

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

from creditguard.connector.insurer.simulator import Simulator, parse_scenario  # noqa: E402
from creditguard.connector.testing.tryton import USERS, EmbeddedTryton  # noqa: E402

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


INSURER_KEY = "demo-insurer-key"


def insurer_scenario():
    """The simulated insurer of the demo: it knows three of the buyers and refuses Delta Foods."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return parse_scenario({
        "api_key": INSURER_KEY, "clock": {"start": now.isoformat(), "frozen": True}, "notice_days": 30,
        "country_grades": {"DE": 0, "NL": 0, "TR": 5},
        "buyers": [{"id": "4100001", "name": "Acme Trading GmbH", "country": "DE", "grade": 3},
                   {"id": "4100002", "name": "Delta Foods BV", "country": "NL", "grade": 6},
                   {"id": "4100003", "name": "Ege Tekstil AS", "country": "TR", "grade": 5}],
        "rules": [{"when": {"buyer": "4100002"}, "decide": "refuse", "reason": "payment experience unsatisfactory"},
                  {"decide": "approve", "valid_days": 365}]})


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
    tryton = EmbeddedTryton(progress=lambda text: print(text, flush=True))
    if tryton.is_set_up():
        step("Reusing the Tryton 8.2 set up in .tryton/")
    else:
        step("Setting up Tryton 8.2 (first run only, about a minute: a virtualenv and a template database in "
             ".tryton/)")
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

        insurer_step(server, config, parties)
    print("\nDone. Try: .venv/bin/creditguard explain --snapshot examples/snapshot.json 45")


def insurer_step(server, config, parties):
    step("The credit insurer: a simulated Allianz Trade API on loopback")
    with Simulator(insurer_scenario(), state_path=WORK / "insurer-sim.json") as sim:
        print(f"  insurer simulator on {sim.url}; [insurer] added to {config.relative_to(REPO)} "
              "(approval = \"auto\")")
        with config.open("a") as handle:
            handle.write(f'\n[insurer]\nkind = "allianz"\nurl = "{sim.url}"\npolicy_id = "DEMO-POLICY-1"\n'
                         'approval = "auto"\n')
        os.environ["CREDITGUARD_INSURER_API_KEY"] = INSURER_KEY
        admin, connector = server.client("demo", "admin"), server.client("demo", "connector")
        acme, delta = parties["Acme Trading"], parties["Delta Foods"]
        connector.write("party.party", [acme], {"insurer_cover_amount": 10000, "insurer_cover_status": "approved"})
        books = Books(admin)
        books.create_invoice(acme, 12000, TODAY - dt.timedelta(days=1))
        books.create_invoice(delta, 11000, TODAY - dt.timedelta(days=1))
        print("  Acme Trading: insurer cover 10,000 (in Tryton); a new invoice of 12,000 takes its exposure "
              "to 16,100 (with the order confirmed above)")
        print("  Delta Foods: no cover; a new invoice of 11,000 takes its exposure to 13,500, above the "
              "discretionary limit of 10,000")

        step("A cycle: Credit Guard files the cover requests with the insurer")
        creditguard("run", "--config", str(config), "--once")
        step("The requests and their decisions: creditguard insurer requests")
        creditguard("insurer", "requests", "--config", str(config))

        step("The next cycle acts on the decisions")
        creditguard("run", "--config", str(config), "--once")
        step("Cover per buyer against exposure: creditguard insurer covers")
        creditguard("insurer", "covers", "--config", str(config))
        step("What Tryton shows on the two parties")
        fields = ["name", "insurer_cover_amount", "insurer_cover_status", "insurer_cover_request_pending",
                  "creditguard_hold", "creditguard_hold_reason"]
        for row in admin.read("party.party", [acme, delta], fields):
            hold = f"on hold: {row['creditguard_hold_reason']}" if row["creditguard_hold"] else "not on hold"
            print(f"  {row['name']:<13} insurer cover {row['insurer_cover_status']} "
                  f"{row['insurer_cover_amount'] or 0:,.2f}, request pending: "
                  f"{'yes' if row['insurer_cover_request_pending'] else 'no'}; {hold}")
        step("The salesperson enters an order for Delta Foods and clicks Confirm")
        answer = books.confirm_sale_as(server.client("demo", "sales"), books.create_sale(delta, 100))
        print("  Tryton confirmed the order." if answer else f"  Tryton refused: {answer.message}")
        if answer:
            raise SystemExit("!! Tryton confirmed the order of a customer whose cover the insurer refused")


if __name__ == "__main__":
    main()
