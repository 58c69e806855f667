"""The books behind the recorded Odoo cassettes (one per series): what `record_odoo.py` builds in a real Odoo,
and what `test_odoo_contract.py` expects the connector to make of the recorded answers."""
from pathlib import Path


def cassette(series: str) -> Path:
    """The cassette recorded from a real Odoo of `series` ("18")."""
    return Path(__file__).with_name(f"odoo-{series}.0.json")


CASSETTES = sorted(Path(__file__).parent.glob("odoo-*.0.json"))
CUSTOMERS = {"Acme Trading": (1000, "DE"), "Beta Imports": (5000, "TR")}
ACME_INVOICE, ACME_DAYS_AGO = 1500, 100       # due after 30 days: 70 days overdue on the day of recording
BETA_INVOICE = 800                             # paid in full
BETA_QUOTATION = 400
