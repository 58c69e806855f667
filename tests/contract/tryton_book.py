"""The books behind the recorded Tryton cassette: what `record_tryton.py` builds on a real Tryton, and what
`test_tryton_contract.py` expects the connector to make of the recorded answers."""
import datetime as dt

CASSETTE = __import__("pathlib").Path(__file__).with_name("tryton-8.2.json")

CUSTOMERS = {
    # name: (credit limit, country, payment term)
    "Acme Trading": (1000, "DE", "Net 30"),
    "Beta Imports": (5000, "TR", "Net 60"),
    "Gamma Retail": (None, None, "Net 30"),
}
INVOICE_DAYS_AGO = 100          # Acme's invoice: 1,500.00 dated this many days before the recording
ACME_INVOICE = 1500
ACME_CREDIT_NOTE = 200
BETA_INVOICE, BETA_PAID = 800, 300
BETA_SALE = 400                 # a quotation
GAMMA_SALE = 250                # confirmed by the administrator


def invoice_date(recorded_on: dt.date) -> dt.date:
    return recorded_on - dt.timedelta(days=INVOICE_DAYS_AGO)
