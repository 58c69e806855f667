"""The contract ring for Odoo: the Odoo adapter and mappings on answers recorded from a real Odoo of each series
(tests/contract/record_odoo.py: JSON-RPC for 17.0 and 18.0, JSON-2 for 19.0), replayed with no server; checked
against the books built for the recording. Every test runs once per cassette."""
import datetime as dt
from decimal import Decimal

import pytest

from creditguard.connector.erp import contract as erp
from creditguard.connector.config import ErpConfig
from creditguard.connector.erp.odoo import adapter
from creditguard.mappings.vocab import Outcome
from creditguard.connector.cycle.sync import read_changes
from creditguard.mappings.errors import MappingError
from tests.contract import odoo_book as book
from tests.contract.cassette import SCRUBBED, NoBookmarks, Replayer, mount, replayed_snapshot
from tests.contract.record_odoo import URL, cycle_calls

@pytest.fixture(params=book.CASSETTES, ids=lambda path: path.stem)
def cassette(request):
    return request.param


def config_of(cassette) -> ErpConfig:
    """The connector's config as recorded: a password up to 18.0, an API key from 19.0 (both scrubbed)."""
    secret = "any secret: the cassette is scrubbed"
    if int(cassette.stem.split("-")[1].split(".")[0]) >= 19:
        return ErpConfig(kind="odoo", url=URL, database="recorded", user="creditguard", api_key=secret)
    return ErpConfig(kind="odoo", url=URL, database="recorded", user="creditguard", password=secret)


@pytest.fixture
def replayer(monkeypatch, cassette):
    replayer = Replayer(cassette)

    class ReplayedClient(adapter.OdooClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            mount(self, replayer)

    monkeypatch.setattr(adapter, "OdooClient", ReplayedClient)
    return replayer


@pytest.fixture
def session(replayer, cassette):
    session = erp.connect(config_of(cassette))
    yield session
    session.close()


@pytest.fixture
def snapshot(session, replayer):
    return replayed_snapshot(session, replayer.recorded_on)


def mine(snapshot):
    return {c.name.replace(" TAG", ""): c for c in snapshot.customers if c.name.endswith(" TAG")}


def test_there_is_a_cassette_of_every_series_the_add_on_is_built_for():
    from tests.odoo.servers import SERIES
    assert [path.name for path in book.CASSETTES] == [f"odoo-{series}.0.json" for series in SERIES]


def test_the_cassette_holds_no_secret(cassette):
    import json
    exchanges = json.loads(cassette.read_text())["exchanges"]
    calls = [json.loads(e["request"].split(" ", 1)[1]) for e in exchanges if " " in e["request"]]
    rpc = [c["params"] for c in calls if isinstance(c.get("params"), dict) and "service" in c["params"]]
    with_password = [c for c in rpc if c.get("service") in ("object", "common") and c.get("method") != "version"]
    assert all(c["args"][2] == SCRUBBED for c in with_password)
    assert with_password or all("/json/2/" in e["request"] or "/web/" in e["request"] for e in exchanges)
    assert not [e for e in exchanges if "bearer" in e["request"].lower() or "api_key" in e["request"]]


def test_the_mappings_and_the_add_on_fields_fit_the_recorded_odoo(session):
    assert session.writer.enforced                      # the credit_guard add-on was found
    assert set(session.streams) == {"currencies", "payment_terms", "company", "customers", "invoices", "orders"}


def test_commercial_partners_with_limit_and_country(snapshot):
    snap, _ = snapshot
    customers = mine(snap)
    for name, (limit, country) in book.CUSTOMERS.items():
        assert customers[name].credit_limit == Decimal(limit) and customers[name].country == country


def test_one_invoice_per_receivable_line_with_odoos_own_due_date(snapshot):
    snap, as_of = snapshot
    customers = mine(snap)
    [acme] = [i for i in snap.invoices if i.customer_id == customers["Acme Trading"].id]
    assert "/" in acme.id and acme.kind == "invoice" and acme.state == "posted"
    assert acme.amount_total == acme.amount_residual == Decimal(book.ACME_INVOICE)
    assert acme.invoice_date == as_of - dt.timedelta(days=book.ACME_DAYS_AGO)
    assert acme.due_date == acme.invoice_date + dt.timedelta(days=30)
    [beta] = [i for i in snap.invoices if i.customer_id == customers["Beta Imports"].id]
    assert beta.amount_residual == 0 and beta.amount_total == Decimal(book.BETA_INVOICE)


def test_quotations_are_read_with_their_amounts(snapshot):
    snap, _ = snapshot
    beta = mine(snap)["Beta Imports"].id
    [order] = [o for o in snap.orders if o.customer_id == beta]
    assert (order.state, order.amount_to_invoice) == ("quotation", Decimal(book.BETA_QUOTATION))


def test_terms_take_their_days_from_odoos_computed_due_dates(session, snapshot):
    changes = read_changes(session.reader, {"payment_terms": session.streams["payment_terms"]}, NoBookmarks(),
                           full=True)
    days = {r["name"]: r["days"] for records in changes["payment_terms"].mapped.values() for r in records}
    assert days["30 Days"] == 30 and days["Immediate Payment"] == 0


def test_writes_check_odoo_first_and_a_repeated_note_is_not_written_twice(session, snapshot):
    snap, _ = snapshot
    outcomes = cycle_calls(session, mine(snap)["Acme Trading"].id)
    assert outcomes == [Outcome.WRITTEN, Outcome.WRITTEN, Outcome.WRITTEN, Outcome.ALREADY_THERE, Outcome.WRITTEN,
                        Outcome.WRITTEN, Outcome.WRITTEN, Outcome.ALREADY_THERE,
                        Outcome.WRITTEN, Outcome.ALREADY_THERE,                      # the allowance, then again
                        Outcome.WRITTEN, Outcome.WRITTEN]


def test_a_field_odoo_lacks_is_named(replayer, cassette, tmp_path):
    from creditguard.mappings.mapper import MAPPINGS_DIR
    folder = tmp_path / "mappings"
    folder.mkdir()
    for path in (MAPPINGS_DIR / "odoo").glob("*.yaml"):
        (folder / path.name).write_text(path.read_text().replace("credit_limit -> credit_limit",
                                                                 "credit_limit_amont -> credit_limit"))
    with pytest.raises(MappingError, match="has no field 'credit_limit_amont'"):
        erp.connect(ErpConfig(**{**config_of(cassette).__dict__, "mappings": folder}))


def test_a_paid_invoice_carries_its_payment_history(snapshot):
    snap, as_of = snapshot
    beta = mine(snap)["Beta Imports"].id
    [paid] = [i for i in snap.invoices if i.customer_id == beta]
    assert snap.format == "creditguard-snapshot/1.1"
    assert [(p.amount, p.kind) for p in paid.payments] == [(Decimal(book.BETA_INVOICE), "payment")]
    assert paid.payments[0].date == as_of
    [unpaid] = [i for i in snap.invoices if i.customer_id == mine(snap)["Acme Trading"].id]
    assert unpaid.payments == ()
