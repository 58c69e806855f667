"""The whole loop on a real Odoo with the credit_guard add-on: `creditguard run` holds a customer, and Odoo
refuses to confirm its orders by every path until the override or the payment; manual holds, repeated and
crashed cycles, bad settings."""
import datetime as dt
import os
import socket
import subprocess

import pytest

from creditguard.connector.cycle.run import CRASH_EXIT, FAULT_ENV
from creditguard.mappings.errors import ErpRefused
from tests.conftest import CLI, REPO

SALESMAN = ["base.group_user", "sales_team.group_sale_salesman_all_leads"]
OVERRIDER = SALESMAN + ["credit_guard.group_credit_override"]


def creditguard(*args, env=None):
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=300, env={**environ, **(env or {})})


@pytest.fixture
def late(books):
    """A customer with an invoice 70 days past due (beyond the 60-day extension period), and a quotation."""
    today = dt.date.today()
    partner = books.customer("Late Payer GmbH", credit_limit=100000)
    invoice = books.invoice(partner, 500, today - dt.timedelta(days=100), term_days=30)
    return {"partner": partner, "invoice": invoice, "quotation": books.quotation(partner, 200)}


def partner_state(admin, partner):
    [row] = admin.read("res.partner", [partner], ["credit_guard_hold", "credit_guard_hold_reason",
                                                  "credit_guard_hold_rules", "credit_guard_hold_origin",
                                                  "credit_guard_flag", "credit_guard_flag_reason"])
    return row


def chatter(admin, partner) -> list[str]:
    return [m["body"] for m in admin.search_read("mail.message", [("model", "=", "res.partner"),
                                                                   ("res_id", "=", partner),
                                                                   ("body", "ilike", "[creditguard ")], ["body"])]


def todos(admin, partner) -> list[str]:
    return [a["note"] for a in admin.search_read("mail.activity", [("res_model", "=", "res.partner"),
                                                                    ("res_id", "=", partner)], ["note"])]


def test_a_customer_past_the_extension_period_is_held_and_no_path_confirms(make_config, late, admin, books, login):
    proc = creditguard("run", "--config", make_config(), "--once")
    assert proc.returncode == 0, proc.stderr

    state = partner_state(admin, late["partner"])
    assert state["credit_guard_hold"] and state["credit_guard_hold_origin"] == "credit_guard"
    assert "overdue.extension_exceeded" in state["credit_guard_hold_rules"]
    assert "Overdue 70 days" in state["credit_guard_hold_reason"]
    salesman = login(SALESMAN)
    for context in ({}, {"bypass_risk": True}):
        with pytest.raises(ErpRefused, match="credit hold") as refused:
            salesman.call("sale.order", "action_confirm", [late["quotation"]], context={**salesman.context,
                                                                                       **context})
        assert "Overdue 70 days" in refused.value.message
    copied = salesman.call("sale.order", "copy", [late["quotation"]])
    copied = copied[0] if isinstance(copied, list) else copied
    books.orders.append(copied)
    with pytest.raises(ErpRefused, match="credit hold"):
        salesman.call("sale.order", "action_confirm", [copied])
    contact = books.contact(late["partner"], "Anna Buyer")
    by_contact = books.quotation(contact, 50)
    with pytest.raises(ErpRefused, match="credit hold"):
        salesman.call("sale.order", "action_confirm", [by_contact])
    assert admin.read("sale.order", [late["quotation"]], ["state"])[0]["state"] in ("draft", "sent")


def test_the_override_group_confirms_with_a_reason_left_in_the_chatter(make_config, late, admin, login):
    assert creditguard("run", "--config", make_config(), "--once").returncode == 0
    overrider = login(OVERRIDER)
    wizard = overrider.create("credit.guard.override.wizard", {"order_ids": [(6, 0, [late["quotation"]])],
                                                               "reason": "Paid by bank transfer today"})
    overrider.call("credit.guard.override.wizard", "action_confirm_override", [wizard])
    assert admin.read("sale.order", [late["quotation"]], ["state"])[0]["state"] == "sale"
    bodies = [m["body"] for m in admin.search_read("mail.message", [("model", "=", "sale.order"),
                                                                     ("res_id", "=", late["quotation"])], ["body"])]
    assert any("Paid by bank transfer today" in body for body in bodies)


def test_paying_releases_the_hold_and_the_order_confirms(make_config, late, admin, books, login):
    config = make_config()
    assert creditguard("run", "--config", config, "--once").returncode == 0
    books.pay(late["invoice"])
    proc = creditguard("run", "--config", config, "--once")
    assert proc.returncode == 0, proc.stderr
    assert "hold released" in proc.stdout
    assert not partner_state(admin, late["partner"])["credit_guard_hold"]
    login(SALESMAN).call("sale.order", "action_confirm", [late["quotation"]])
    assert admin.read("sale.order", [late["quotation"]], ["state"])[0]["state"] == "sale"


def test_a_manual_hold_survives_a_cycle(make_config, books, admin):
    partner = books.customer("Lawsuit Ltd")
    admin.write("res.partner", [partner], {"credit_guard_hold": True, "credit_guard_hold_origin": "manual",
                                           "credit_guard_hold_reason": "Lawsuit pending"})
    proc = creditguard("run", "--config", make_config(), "--once")
    assert proc.returncode == 0, proc.stderr
    state = partner_state(admin, partner)
    assert state["credit_guard_hold"] and state["credit_guard_hold_reason"] == "Lawsuit pending"


def test_a_second_run_writes_nothing(make_config, late):
    config = make_config()
    assert creditguard("run", "--config", config, "--once").returncode == 0
    again = creditguard("run", "--config", config, "--once")
    assert again.returncode == 0 and "writes:    0 done" in again.stdout, again.stdout


def test_a_crash_after_the_first_write_converges_without_duplicates(make_config, late, admin, books):
    today = dt.date.today()
    flagged = books.customer("Slow Payer BV", credit_limit=100000)
    books.invoice(flagged, 300, today - dt.timedelta(days=75), term_days=30)     # 45 days overdue: flag + notes
    config = make_config(extra='[insurance]\nmax_credit_period_days = 90\nmax_extension_days = 60\n'
                               'overdue_notification_days = 50\ndiscretionary_limit = "1000000"\n')
    crashed = creditguard("run", "--config", config, "--once", env={FAULT_ENV: "1"})
    assert crashed.returncode == CRASH_EXIT
    assert creditguard("run", "--config", config, "--once").returncode == 0
    assert creditguard("run", "--config", config, "--once").returncode == 0
    for partner in (late["partner"], flagged):
        notes = chatter(admin, partner)
        assert notes and len(notes) == len(set(notes)), notes
        markers = [n for n in todos(admin, partner)]
        assert len(markers) == len(set(markers))
    assert partner_state(admin, flagged)["credit_guard_flag"]
    assert todos(admin, flagged), "the overdue notification gives the credit controller a to-do"


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("change, code, message", [
    (lambda: {"secret": "Wrong-Pa55word!"}, 2, "Odoo refused the login"),
    (lambda: {"database": "no_such_db_cg"}, 2, "has no database 'no_such_db_cg'"),
    (lambda: {"url": f"http://127.0.0.1:{closed_port()}"}, 75, "unreachable"),
], ids=["wrong password or key", "no such database", "nothing listening"])
def test_bad_connection_settings_write_nothing(make_config, late, admin, change, code, message):
    proc = creditguard("run", "--config", make_config(**change()), "--once")
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not partner_state(admin, late["partner"])["credit_guard_hold"]
    assert not chatter(admin, late["partner"])


def test_a_password_where_the_series_takes_an_api_key_is_refused_plainly(make_config, late, admin):
    """From Odoo 19 the connector speaks JSON-2, which takes an API key: a password is refused before any call
    with what to do, not as a wrong key."""
    if admin.version[0] < 19:
        pytest.skip(f"Odoo {admin.version[0]} takes the password over JSON-RPC")
    proc = creditguard("run", "--config", make_config(password="creditguard-pw-or-any"), "--once")
    assert proc.returncode == 2, proc.stderr
    assert "takes an API key, not a password" in proc.stderr and "New API Key" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not partner_state(admin, late["partner"])["credit_guard_hold"]
