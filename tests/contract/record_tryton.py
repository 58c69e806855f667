"""Record the Tryton contract cassette from a real Tryton 8.2 (the embedded one):

    .venv/bin/python -m tests.contract.record_tryton

It builds the books of tryton_book.py, then does what a cycle does as the connector user — log in, check
fields, read every stream in full, read hold states, place a hold, add a note twice, request cover,
set the order allowance twice, release the hold — through a recording transport, and writes the scrubbed exchanges to the cassette."""
import datetime as dt

from creditguard.connector.erp import contract as erp
from creditguard.connector.config import ErpConfig
from creditguard.connector.erp.operations import Write, apply
from creditguard.mappings.vocab import Operation
from creditguard.connector.erp.tryton import adapter
from creditguard.connector.testing.tryton import USERS, EmbeddedTryton
from examples.tryton.books import Books
from tests.contract import tryton_book as book
from tests.contract.cassette import Recorder, mount

MISSPELT = "credit_limit_amont"
ALLOWANCE = {"allowance": "1250.00", "allowance_rule": "credit_limit.exceeded",
             "allowance_bound": "its credit limit 10,000.00", "flag_allowance": None, "flag_rule": "",
             "flag_bound": "", "exposure": "8750.00", "currency": "EUR", "as_of": "2026-11-26T08:00:00"}


def build_books(admin) -> dict:
    books = Books(admin)
    today = dt.date.today()
    ids = {name: books.create_customer(name, credit_limit=limit, country=country, payment_term=term)
           for name, (limit, country, term) in book.CUSTOMERS.items()}
    books.create_invoice(ids["Acme Trading"], book.ACME_INVOICE, book.invoice_date(today))
    books.create_invoice(ids["Acme Trading"], book.ACME_CREDIT_NOTE, today - dt.timedelta(days=5), credit_note=True)
    beta_invoice = books.create_invoice(ids["Beta Imports"], book.BETA_INVOICE, today - dt.timedelta(days=20))
    books.pay_invoice(beta_invoice, book.BETA_PAID)
    books.create_sale(ids["Beta Imports"], book.BETA_SALE)
    gamma_sale = books.create_sale(ids["Gamma Retail"], book.GAMMA_SALE)
    assert Books.confirm_sale_as(admin, gamma_sale).confirmed
    return ids


def cycle_calls(session, customer_id) -> list:
    """What a cycle asks of the ERP, in order; returns the writes' outcomes."""
    for stream in session.streams.values():
        for _page in session.reader.pages(stream):
            pass
        session.reader.ids(stream)
    session.writer.hold_states([customer_id])
    writes = [Write(key="k1", customer_id=customer_id, customer_name="Acme Trading", operation=Operation.PLACE_HOLD,
                    payload={"reason": "Exposure 1,300.00 exceeds credit limit 1,000.00",
                             "rules": "credit_limit.exceeded"}),
              Write(key="k2", customer_id=customer_id, customer_name="Acme Trading", operation=Operation.ADD_NOTE,
                    payload={"text": "Credit Guard flag (overdue.flag): Overdue 70 days",
                             "marker": "[creditguard k2]"}),
              Write(key="k2", customer_id=customer_id, customer_name="Acme Trading", operation=Operation.ADD_NOTE,
                    payload={"text": "Credit Guard flag (overdue.flag): Overdue 70 days",
                             "marker": "[creditguard k2]"}),
              Write(key="k3", customer_id=customer_id, customer_name="Acme Trading", operation=Operation.REQUEST_COVER,
                    payload={"text": "Credit Guard cover request: 2,000", "marker": "[creditguard k3]"}),
              Write(key="k5", customer_id=customer_id, customer_name="Acme Trading", operation=Operation.SET_ALLOWANCE,
                    payload=ALLOWANCE),
              Write(key="k5", customer_id=customer_id, customer_name="Acme Trading", operation=Operation.SET_ALLOWANCE,
                    payload=ALLOWANCE),
              Write(key="k4", customer_id=customer_id, customer_name="Acme Trading", operation=Operation.RELEASE_HOLD,
                    payload={})]
    outcomes = [apply(session.writer, write) for write in writes]
    session.writer.hold_states([customer_id])
    return outcomes


def main():
    with EmbeddedTryton().start() as server:
        database = server.fresh_database()
        ids = build_books(server.client(database, "admin"))
        recorder = Recorder()
        original = adapter.TrytonClient

        class RecordedClient(original):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                mount(self, recorder)

        adapter.TrytonClient = RecordedClient
        try:
            config = ErpConfig(kind="tryton", url=server.url, database=database, user="connector",
                               password=USERS["connector"])
            session = erp.connect(config)
            try:
                print(cycle_calls(session, str(ids["Acme Trading"])))
                session.reader.field_exists("party.party", MISSPELT)     # for a mapping with a typo
            finally:
                session.close()
        finally:
            adapter.TrytonClient = original
    # the server's port and database name vary from run to run: the cassette names neither
    for exchange in recorder.exchanges:
        exchange["request"] = exchange["request"].replace(server.url, "http://tryton.test").replace(
            f"/{database}/", "/recorded/")
    recorder.save(book.CASSETTE, dt.date.today())
    print(f"{book.CASSETTE}: {len(recorder.exchanges)} exchanges, recorded {dt.date.today().isoformat()}")


if __name__ == "__main__":
    main()
