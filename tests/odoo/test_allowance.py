"""The order allowance on a real Odoo with the credit_guard add-on (docs/allowance.md): the connector writes it
with OdooWriter.set_allowance, and Odoo refuses, at confirm and with no call out, an order that takes the customer
above it — the order itself counts, and so do the orders confirmed since — whatever the context."""
import datetime as dt

import pytest

from creditguard.connector.erp.operations import Write, apply
from creditguard.mappings.vocab import Operation, Outcome
from creditguard.mappings.errors import ErpRefused
from tests.odoo.test_cycle import creditguard

SALESMAN = ["base.group_user", "sales_team.group_sale_salesman"]
RULE, BOUND = "credit_limit.exceeded", "its credit limit 10,000.00"


@pytest.fixture
def currency(admin):
    [company] = admin.read("res.company", [admin.read("res.users", [admin.user_id], ["company_id"])[0]["company_id"][0]],
                           ["currency_id"])
    return company["currency_id"][1]


def as_of(seconds_ago=60) -> str:
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def allowance(session, partner, currency, amount, *, exposure="9850.00", flag=None, when=None) -> Outcome:
    """Write the allowance as a cycle does: one set_allowance write through the session's writer."""
    payload = {"allowance": amount, "allowance_rule": RULE if amount is not None else "",
               "allowance_bound": BOUND if amount is not None else "", "flag_allowance": flag,
               "flag_rule": "credit_limit.near" if flag is not None else "",
               "flag_bound": "the 9,000.00 that rule credit_limit.near allows" if flag is not None else "",
               "exposure": exposure, "currency": currency, "as_of": when or as_of()}
    return apply(session.writer,
                 Write(key=f"allowance-{partner}", customer_id=str(partner), customer_name="customer",
                       operation=Operation.SET_ALLOWANCE, payload=payload))


def confirm(client, order, **context):
    client.call("sale.order", "action_confirm", [order], context={**client.context, **context})


def state(admin, order) -> str:
    return admin.read("sale.order", [order], ["state"])[0]["state"]


def test_set_allowance_writes_the_fields_once(session, books, admin, currency):
    partner = books.customer("Bolt GmbH")
    when = as_of()
    assert allowance(session, partner, currency, "2300.00", when=when) is Outcome.WRITTEN
    assert allowance(session, partner, currency, "2300.00", when=when) is Outcome.ALREADY_THERE
    [row] = admin.read("res.partner", [partner], ["credit_guard_allowance", "credit_guard_allowance_limited",
                                                  "credit_guard_allowance_rule", "credit_guard_allowance_bound",
                                                  "credit_guard_flag_allowance_limited", "credit_guard_exposure",
                                                  "credit_guard_allowance_currency", "credit_guard_allowance_as_of"])
    assert row["credit_guard_allowance"] == 2300.0 and row["credit_guard_allowance_limited"]
    assert (row["credit_guard_allowance_rule"], row["credit_guard_allowance_bound"]) == (RULE, BOUND)
    assert not row["credit_guard_flag_allowance_limited"]
    assert row["credit_guard_exposure"] == 9850.0 and row["credit_guard_allowance_currency"] == currency
    assert row["credit_guard_allowance_as_of"] == when.replace("T", " ")
    assert allowance(session, partner, currency, None, when=when) is Outcome.WRITTEN
    [row] = admin.read("res.partner", [partner], ["credit_guard_allowance_limited", "credit_guard_allowance_rule"])
    assert not row["credit_guard_allowance_limited"] and not row["credit_guard_allowance_rule"]


def test_an_order_over_the_allowance_is_refused_whatever_the_context(session, books, admin, login, currency):
    partner = books.customer("Bolt GmbH")
    allowance(session, partner, currency, "150.00")
    salesman = login(SALESMAN)
    order = books.quotation(partner, 200, client=salesman)
    name = admin.read("sale.order", [order], ["name"])[0]["name"]
    for context in ({}, {"bypass_risk": True}):
        with pytest.raises(ErpRefused) as refused:
            confirm(salesman, order, **context)
        assert (f"Order {name} of 200.00 would take Bolt GmbH {books.tag}'s exposure to 10,050.00, above {BOUND} "
                f"(allowance 150.00, rule {RULE})") in refused.value.message
    assert state(admin, order) in ("draft", "sent")


def test_within_confirms_and_a_second_order_over_together_is_refused(session, books, admin, login, currency, odoo):
    partner = books.customer("Bolt GmbH")
    allowance(session, partner, currency, "300.00")
    salesman = login(SALESMAN)
    first = books.quotation(partner, 200, client=salesman)
    confirm(salesman, first)
    assert state(admin, first) == "sale"
    second = books.quotation(partner, 200, client=salesman)
    with pytest.raises(ErpRefused, match="exposure to 10,250.00"):
        confirm(salesman, second)
    assert state(admin, second) in ("draft", "sent")
    other, password = books.user("other", SALESMAN)          # orders this salesman cannot see count too
    other_salesman = odoo.client(other, password)
    third = books.quotation(partner, 150, client=other_salesman)
    with pytest.raises(ErpRefused, match="allowance 300.00"):
        confirm(other_salesman, third)


def test_unlimited_and_never_written_customers_are_not_refused(session, books, admin, login, currency):
    unlimited, fresh = books.customer("Unlimited AG"), books.customer("Fresh Start SA")
    allowance(session, unlimited, currency, None)
    salesman = login(SALESMAN)
    for partner in (unlimited, fresh):
        order = books.quotation(partner, 50000, client=salesman)
        confirm(salesman, order)
        assert state(admin, order) == "sale"
    quotation = books.quotation(fresh, 10, client=salesman)
    info = admin.read("sale.order", [quotation], ["credit_guard_allowance_info"])[0]["credit_guard_allowance_info"]
    assert "not checked by Credit Guard yet" in info


def test_a_cycle_writes_the_allowance_and_a_payment_lets_the_order_through(make_config, books, admin, login):
    """End to end: `run --once` writes the allowance; an order above it is refused; once the invoice is paid and a
    cycle has run, the allowance has grown and the order confirms."""
    partner = books.customer("Bolt Tools GmbH", credit_limit=1000)
    invoice = books.invoice(partner, 900, dt.date.today() - dt.timedelta(days=5), term_days=30)
    salesman = login(SALESMAN)
    order = books.quotation(partner, 200, client=salesman)
    config = make_config()
    proc = creditguard("run", "--config", config, "--once")
    assert proc.returncode == 0, proc.stderr
    fields = ["credit_guard_allowance", "credit_guard_allowance_limited", "credit_guard_allowance_rule",
              "credit_guard_exposure", "credit_guard_allowance_as_of"]
    [row] = admin.read("res.partner", [partner], fields)
    assert row["credit_guard_allowance_limited"] and row["credit_guard_allowance_rule"] == RULE
    assert row["credit_guard_exposure"] == 900.0 and 99 <= row["credit_guard_allowance"] <= 100
    assert row["credit_guard_allowance_as_of"]
    with pytest.raises(ErpRefused, match=r"exposure to 1,100\.00, above its credit limit 1,000\.00") as refused:
        confirm(salesman, order)
    assert f"rule {RULE}" in refused.value.message
    assert state(admin, order) in ("draft", "sent")

    books.pay(invoice)
    proc = creditguard("run", "--config", config, "--once")
    assert proc.returncode == 0, proc.stderr
    [grown] = admin.read("res.partner", [partner], fields)
    assert grown["credit_guard_allowance"] > 900 and grown["credit_guard_exposure"] == 0.0
    assert grown["credit_guard_allowance_as_of"] >= row["credit_guard_allowance_as_of"]
    confirm(salesman, order)
    assert state(admin, order) == "sale"
