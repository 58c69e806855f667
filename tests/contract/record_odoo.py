"""Record the Odoo contract cassette from a real Odoo (ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD and
ODOO_ADMIN_PASSWORD, as for tests/odoo):

    .venv/bin/python -m tests.contract.record_odoo

It builds the books of odoo_book.py, then does what a cycle does as the connector's user — log in, check
access and fields, read every stream in full, read hold states, hold, flag, note twice, notify, request cover,
set the cover twice, set the allowance twice, clear the flag, release — through a recording transport, writes
the scrubbed exchanges to the cassette, and removes the books again."""
import datetime as dt
import os

import httpx

from connector import erp
from connector.config import ErpConfig
from connector.odoo import adapter
from connector.odoo.client import OdooClient
from connector.operations import Operation, Write, apply
from tests.contract import odoo_book as book
from tests.contract.cassette import HttpxRecorder
from tests.contract.record_tryton import ALLOWANCE
from tests.odoo.books import OdooBooks

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
    return [apply(session.writer, Write(f"k{n}", customer, "Acme", operation, payload))
            for n, (operation, payload) in enumerate(writes)]


def main():
    admin = OdooClient(os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ.get("ODOO_ADMIN_USER", "admin"),
                       os.environ["ODOO_ADMIN_PASSWORD"]).connect()
    books = OdooBooks(admin)
    recorder = HttpxRecorder()
    original = adapter.OdooClient

    class RecordedClient(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.http = httpx.Client(transport=recorder, timeout=60)

    try:
        ids = build(books)
        adapter.OdooClient = RecordedClient
        session = erp.connect(ErpConfig("odoo", os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ["ODOO_USER"],
                                        os.environ["ODOO_PASSWORD"]))
        try:
            print(cycle_calls(session, str(ids["Acme Trading"])))
            session.reader.field_exists("res.partner", "credit_limit_amont")
        finally:
            session.close()
    finally:
        adapter.OdooClient = original
        books.cleanup()
    for exchange in recorder.exchanges:
        exchange["request"] = exchange["request"].replace(os.environ["ODOO_URL"].rstrip("/"), URL).replace(
            f'"{os.environ["ODOO_DB"]}"', '"recorded"').replace(books.tag, "TAG")
        exchange["body"] = exchange["body"].replace(books.tag, "TAG")
    recorder.save(book.CASSETTE, dt.date.today())
    print(f"{book.CASSETTE}: {len(recorder.exchanges)} exchanges")


if __name__ == "__main__":
    main()
