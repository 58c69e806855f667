"""The contract ring: the Tryton adapter and mappings on JSON-RPC answers recorded from a real Tryton 8.2
(tests/contract/record_tryton.py), replayed with no server. What a cycle reads and writes is checked
against the books that were built for the recording (tryton_book.py)."""
import datetime as dt
from decimal import Decimal

import pytest

from creditguard.connector.erp import contract as erp
from creditguard.connector.config import ErpConfig
from creditguard.mappings.vocab import Outcome
from creditguard.connector.erp.tryton import adapter
from creditguard.mappings.errors import MappingError
from creditguard.mappings.mapper import load_mappings
from tests.contract import tryton_book as book
from tests.contract.cassette import SCRUBBED, Replayer, mount, replayed_snapshot
from tests.contract.record_tryton import MISSPELT, cycle_calls

CONFIG = ErpConfig(kind="tryton", url="http://tryton.test", database="recorded", user="connector",
                   password="any password: the cassette is scrubbed")


@pytest.fixture
def replayer(monkeypatch):
    replayer = Replayer(book.CASSETTE)

    class ReplayedClient(adapter.TrytonClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            mount(self, replayer)

    monkeypatch.setattr(adapter, "TrytonClient", ReplayedClient)
    return replayer


@pytest.fixture
def session(replayer):
    session = erp.connect(CONFIG)
    yield session
    session.close()


@pytest.fixture
def snapshot(session, replayer):
    return replayed_snapshot(session, replayer.recorded_on)


def by_name(snapshot):
    return {c.name: c for c in snapshot.customers}


def test_the_cassette_holds_no_secret():
    text = book.CASSETTE.read_text()
    assert SCRUBBED in text and "Session " not in text
    assert all(password not in text for password in __import__("creditguard.connector.testing.tryton",
                                                                fromlist=["USERS"]).USERS.values())


def test_the_built_in_mappings_and_the_write_back_fit_the_fields_of_a_real_tryton(session):
    # connect() checked every field each mapping reads and the write-back writes against fields_get
    assert set(session.streams) == {"currencies", "payment_terms", "company", "customers", "invoices", "orders"}
    assert session.writer.required_fields["party.party"]


def test_customers_are_mapped_with_limit_country_and_term(snapshot):
    snap, _ = snapshot
    customers = by_name(snap)
    for name, (limit, country, term) in book.CUSTOMERS.items():
        customer = customers[name]
        assert customer.credit_limit == (Decimal(limit) if limit else None) or (not limit and not customer.credit_limit)
        assert customer.country == country
        assert customer.payment_term_days == int(term.split()[1])
        assert customer.on_hold is False


def test_invoices_credit_notes_and_partial_payments(snapshot):
    snap, as_of = snapshot
    customers = by_name(snap)
    acme, beta = customers["Acme Trading"].id, customers["Beta Imports"].id
    acme_docs = sorted((i for i in snap.invoices if i.customer_id == acme), key=lambda i: i.kind)
    assert [(i.kind, i.state, i.amount_total) for i in acme_docs] == [
        ("credit_note", "posted", Decimal(book.ACME_CREDIT_NOTE)), ("invoice", "posted", Decimal(book.ACME_INVOICE))]
    invoice = acme_docs[1]
    assert invoice.invoice_date == book.invoice_date(as_of)
    assert invoice.due_date == invoice.invoice_date + dt.timedelta(days=30)
    [partial] = [i for i in snap.invoices if i.customer_id == beta]
    assert partial.amount_residual == Decimal(book.BETA_INVOICE - book.BETA_PAID)


def test_orders_quoted_and_confirmed(snapshot):
    snap, _ = snapshot
    customers = by_name(snap)
    states = {o.customer_id: (o.state, o.amount_to_invoice) for o in snap.orders}
    assert states[customers["Beta Imports"].id] == ("quotation", Decimal(book.BETA_SALE))
    assert states[customers["Gamma Retail"].id][0] == "confirmed"


def test_writes_check_the_erp_first_and_a_repeated_note_is_not_written_twice(session, snapshot):
    snap, _ = snapshot
    outcomes = cycle_calls(session, by_name(snap)["Acme Trading"].id)
    assert outcomes == [Outcome.WRITTEN, Outcome.WRITTEN, Outcome.ALREADY_THERE, Outcome.WRITTEN, Outcome.WRITTEN,
                        Outcome.ALREADY_THERE, Outcome.WRITTEN]


def test_a_field_the_real_tryton_lacks_is_named(replayer, tmp_path):
    text = (load_mappings("tryton")["customers"].source)
    mapping = tmp_path / "mappings"
    mapping.mkdir()
    for path in __import__("pathlib").Path(text).parent.glob("*.yaml"):
        (mapping / path.name).write_text(path.read_text().replace("credit_limit_amount", MISSPELT))
    with pytest.raises(MappingError, match=f"has no field '{MISSPELT}'") as error:
        erp.connect(ErpConfig(**{**CONFIG.__dict__, "mappings": mapping}))
    assert "credit_limit_amount" in error.value.hint
