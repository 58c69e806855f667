"""The vocabulary floor (mappings/vocab.py, clock.py, money.py): the words everything above speaks, and the
add-ons' copies of them (they run inside the ERP and cannot import Credit Guard) kept in step."""
import ast
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from creditguard.mappings.vocab import Action, FilingStatus, HoldOrigin, Operation, RequestStatus, Status, write_key
from creditguard.mappings import clock, money
from creditguard.connector.cli.views.insurer import STATUS_WORDS as REQUEST_WORDS
from creditguard.connector.insurer import claims, overdues
from creditguard.rules.policy import ACTIONS

REPO = Path(__file__).resolve().parents[1]


def _selection(path, name):
    tree = ast.parse((REPO / path).read_text())
    [selection] = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                   and any(getattr(t, "id", None) == name for t in node.targets)]
    return [element.elts[0].value for element in selection.elts]


@pytest.mark.parametrize("path, empty", [("addons/odoo/credit_guard/models/res_partner.py", []),
                                         ("addons/tryton/creditguard/party.py", [None])])
def test_each_add_on_knows_exactly_the_hold_origins(path, empty):
    assert _selection(path, "HOLD_ORIGINS") == [*empty, *HoldOrigin]


def test_a_word_reads_as_its_value_in_keys_json_and_messages():
    assert f"{Status.HOLD}" == str(Status.HOLD) == "hold" == Status.HOLD
    assert json.dumps({Action.REQUEST_LIMIT: HoldOrigin.MANUAL}) == '{"request_limit": "manual"}'
    assert write_key("cycle-7", Operation.PLACE_HOLD, "42") == "cycle-7/place_hold/42"
    assert f"{Operation.SET_COVER} {RequestStatus.QUEUED}" == "set_cover queued"


def test_the_policy_knows_the_actions_of_the_vocabulary():
    assert ACTIONS == ("hold", "flag", "notify", "request_limit", "release")
    assert Status.order() == ("hold", "flag", "ok")
    assert set(RequestStatus.pending()) == {"awaiting_approval", "queued", "open", "review"}


def test_every_status_a_credit_manager_may_see_is_worded_for_them():
    # `creditguard insurer requests | declarations | claims` word each status; a status without words would
    # show as its bare value
    assert set(REQUEST_WORDS) == set(RequestStatus)
    assert set(overdues.STATUS_WORDS) == set(FilingStatus) - {FilingStatus.PAID, FilingStatus.REJECTED}
    assert set(claims.STATUS_WORDS) == set(FilingStatus) - {FilingStatus.CLOSED}
    assert FilingStatus.open() == (*FilingStatus.unfiled(), "filed", "review") == overdues.OPEN == claims.CLAIM_OPEN
    assert FilingStatus.first(True) == "awaiting_approval" and FilingStatus.first(False) == "queued"


def test_the_clock_is_utc_and_can_be_frozen():
    assert clock.now().utcoffset() == dt.timedelta(0)
    at = dt.datetime(2026, 12, 7, 18, 30, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with clock.frozen(at):
        assert clock.iso() == "2026-12-07T17:30:05+00:00"
        assert clock.naive() == dt.datetime(2026, 12, 7, 17, 30, 5)
    assert abs(clock.now() - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=5)
    with pytest.raises(ValueError):
        with clock.frozen(dt.datetime(2026, 12, 7)):
            pass


def test_money_rounds_half_up_and_counts_a_credit_note_against():
    assert money.round_cent(Decimal("2.345")) == Decimal("2.35")        # half-up, not the banker's 2.34
    assert money.to_company(Decimal("10.005"), None) == Decimal("10.01")
    assert money.to_company(Decimal("100"), Decimal("0.92345")) == Decimal("92.35")
    rates = money.cents_rates({"USD": Decimal("0.92")}, "EUR")
    assert rates == {"USD": Decimal("92.00"), "EUR": Decimal(100)}
    assert money.to_cents(Decimal("0.005"), rates["EUR"]) == 1
    assert money.to_cents(Decimal("10.01"), rates["USD"]) == 921              # 920.92 cents
    assert money.from_cents(-1234) == Decimal("-12.34")
    # a credit note counts against, whichever sign it was written with; an invoice as it is
    assert money.signed("credit_note", 500) == money.signed("credit_note", -500) == -500
    assert money.signed("invoice", -500) == -500 and money.signed("invoice", 500) == 500
    assert money.sign("credit_note") == -1 and money.sign("invoice") == 1
