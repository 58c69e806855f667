"""Connecting to a real Odoo with the memo a cycle keeps beside its store (erp/contract.py `connect`): the next
connect makes no login and does not ask the rights again, yet a changed password, a group taken away or a
broken memo are noticed as at a first connect."""
import pytest

from creditguard.connector.erp import contract as erp
from creditguard.connector.config import ErpConfig
from creditguard.connector.erp.odoo import client as odoo_client
from creditguard.mappings.errors import ErpRefused

ACCESS = ("check_access_rights", "has_access")        # the rights asked: before 18.0, from 18.0
CONNECTOR = ["credit_guard.group_connector", "account.group_account_manager", "sales_team.group_sale_manager"]


@pytest.fixture
def service(admin, books):
    """A connector user of its own (so that its password and groups can change), and its config: a password over
    JSON-RPC (the login the memo spares; JSON-2 has none) on every series."""
    login, password = books.user("service", CONNECTOR)
    [user] = admin.search("res.users", [("login", "=", login)])
    return {"id": user,
            "config": lambda secret=password: ErpConfig(kind="odoo", url=admin.url, database=admin.database,
                                                        user=login, password=secret, protocol="jsonrpc")}


@pytest.fixture
def sent(monkeypatch):
    """The RPCs each connect sends: (service or model, method)."""
    calls = []
    post = odoo_client._post

    def counting(http, url, body):
        params = body["params"]
        if "service" not in params:                   # a web route: the version
            calls.append(("web", url.rsplit("/", 1)[-1]))
        elif params["service"] == "object":
            calls.append(tuple(params["args"][3:5]))
        else:
            calls.append((params["service"], params["method"]))
        return post(http, url, body)
    monkeypatch.setattr(odoo_client, "_post", counting)
    return calls


def connect(config, memo):
    session = erp.connect(config, memo=memo)
    session.close()
    return session


def test_the_second_connect_logs_in_with_the_remembered_id_and_asks_no_rights(service, tmp_path, sent):
    memo = tmp_path / "store.sqlite.erp.json"
    first = connect(service["config"](), memo)
    assert ("common", "login") in sent and any(m in ACCESS for _, m in sent)
    assert first.memo["user_id"] == service["id"]
    sent.clear()
    second = connect(service["config"](), memo)
    assert ("common", "login") not in sent
    assert not [call for call in sent if call[1] in (*ACCESS, "fields_get")]
    assert second.remembered and second.reader.client.user_id == service["id"]


def test_a_changed_password_is_refused_as_at_a_first_login(service, admin, tmp_path):
    memo = tmp_path / "memo.json"
    connect(service["config"](), memo)
    admin.write("res.users", [service["id"]], {"password": "New-Pa55word-cg!"})
    with pytest.raises(ErpRefused, match="wrong user name or password"):
        connect(service["config"](), memo)
    assert connect(service["config"]("New-Pa55word-cg!"), memo).reader.client.user_id == service["id"]


def test_a_group_taken_away_is_noticed_though_the_memo_says_it_was_there(service, books, tmp_path, sent):
    memo = tmp_path / "memo.json"
    connect(service["config"](), memo)
    books.set_groups(service["id"], ["base.group_user", "credit_guard.group_connector"])
    sent.clear()
    with pytest.raises(ErpRefused, match="may not read"):
        connect(service["config"](), memo)
    assert any(m in ACCESS for _, m in sent)


def test_a_broken_memo_is_ignored_and_written_anew(service, tmp_path):
    memo = tmp_path / "memo.json"
    memo.write_text('{"erp": ["odoo", ', encoding="utf-8")
    session = connect(service["config"](), memo)
    assert not session.remembered
    assert connect(service["config"](), memo).remembered
