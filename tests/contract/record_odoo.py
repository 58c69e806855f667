"""Record the Odoo contract cassette of a series from a real Odoo of that series (ODOO_NN_URL, ODOO_NN_DB,
ODOO_NN_USER, ODOO_NN_PASSWORD or ODOO_NN_API_KEY, ODOO_NN_ADMIN_PASSWORD, as for tests/odoo):

    .venv/bin/python -m tests.contract.record_odoo 18        -> tests/contract/odoo-18.0.json

It builds the books of odoo_book.py, then does what a cycle does as the connector's user — log in, check
access and fields, read every stream in full, read hold states, hold, flag, note twice, notify, request cover,
set the cover twice, set the allowance twice, clear the flag, release — through a recording transport, writes
the scrubbed exchanges to the cassette, and removes the books again."""
import datetime as dt
import sys


from creditguard.connector.erp import contract as erp
from creditguard.connector.erp.odoo import adapter
from creditguard.connector.erp.operations import Write, apply
from creditguard.mappings.vocab import Operation
from tests.contract import odoo_book as book
from tests.contract.cassette import Recorder, mount
from tests.contract.record_tryton import ALLOWANCE
from tests.odoo.books import OdooBooks
from tests.odoo.servers import SERIES, Server

URL = "http://odoo.test"


def build(books) -> dict:
    today = dt.date.today()
    ids = {name: books.customer(name, credit_limit=limit, country=country)
           for name, (limit, country) in book.CUSTOMERS.items()}
    books.invoice(ids["Acme Trading"], book.ACME_INVOICE, today - dt.timedelta(days=book.ACME_DAYS_AGO), term_days=30)
    beta = books.invoice(ids["Beta Imports"], book.BETA_INVOICE, today - dt.timedelta(days=10), term_days=30)
    books.pay(beta)
    books.quotation(ids["Beta Imports"], book.BETA_QUOTATION)
    return ids


def cycle_calls(session, customer) -> list:
    for stream in session.streams.values():
        for _page in session.reader.pages(stream):
            pass
        session.reader.ids(stream)
    session.writer.hold_states([customer])
    session.writer.flagged()
    writes = [(Operation.PLACE_HOLD, {"reason": "Overdue 70 days", "rules": "overdue.extension_exceeded"}),
              (Operation.SET_FLAG, {"reason": "Oldest overdue invoice is 70 days past due"}),
              (Operation.ADD_NOTE, {"text": "Credit Guard flag (overdue.flag): 70 days", "marker": "[creditguard k1]"}),
              (Operation.ADD_NOTE, {"text": "Credit Guard flag (overdue.flag): 70 days", "marker": "[creditguard k1]"}),
              (Operation.NOTIFY, {"text": "Declare the overdue", "marker": "[creditguard k2]"}),
              (Operation.REQUEST_COVER, {"text": "Request a cover of 2,000", "marker": "[creditguard k3]"}),
              (Operation.SET_COVER, {"amount": "21000", "currency": "EUR", "status": "approved",
                                     "valid_until": "2027-11-30", "request_pending": False}),
              (Operation.SET_COVER, {"amount": "21000", "currency": "EUR", "status": "approved",
                                     "valid_until": "2027-11-30", "request_pending": False}),
              (Operation.SET_ALLOWANCE, ALLOWANCE),
              (Operation.SET_ALLOWANCE, ALLOWANCE),
              (Operation.CLEAR_FLAG, {}),
              (Operation.RELEASE_HOLD, {})]
    return [apply(session.writer,
                  Write(key=f"k{n}", customer_id=customer, customer_name="Acme", operation=operation, payload=payload))
            for n, (operation, payload) in enumerate(writes)]


def main(argv=None):
    series = ((argv if argv is not None else sys.argv[1:]) or ["18"])[0].split(".")[0]
    server = Server.of(series)
    if series not in SERIES or server.missing:
        sys.exit(f"record_odoo {series}: set {', '.join(server.missing)} (series: {', '.join(SERIES)})")
    admin = server.admin()
    books = OdooBooks(admin)
    recorder = Recorder()
    original = adapter.OdooClient

    class RecordedClient(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            mount(self, recorder)

    try:
        ids = build(books)
        adapter.OdooClient = RecordedClient
        session = erp.connect(server.config())
        try:
            print(cycle_calls(session, str(ids["Acme Trading"])))
            session.reader.field_exists("res.partner", "credit_limit_amont")
        finally:
            session.close()
    finally:
        adapter.OdooClient = original
        books.cleanup()
    for exchange in recorder.exchanges:            # no header is kept: JSON-2's API key never reaches the file
        exchange["request"] = exchange["request"].replace(server.url.rstrip("/"), URL).replace(
            f'"{server.database}"', '"recorded"').replace(books.tag, "TAG")
        exchange["body"] = exchange["body"].replace(books.tag, "TAG")
    recorder.save(book.cassette(series), dt.date.today())
    print(f"{book.cassette(series)}: {len(recorder.exchanges)} exchanges")


if __name__ == "__main__":
    main()
