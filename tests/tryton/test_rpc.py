"""The JSON-RPC adapter against the real server: logins, tagged values, pages, and errors a user meets."""
import base64
import datetime as dt
import http.server
import socket
import threading
from decimal import Decimal

import pytest

from creditguard.connector.testing.tryton import USERS
from creditguard.connector.erp.tryton.rpc import TrytonClient
from creditguard.mappings.errors import ConfigError, ErpRefused, TransientError


def test_wrong_password_is_refused_naming_the_user(tryton_server, tryton_db):
    with pytest.raises(ErpRefused, match="login of user 'sales'") as error:
        TrytonClient(tryton_server.url, tryton_db).login('sales', 'not-the-password')
    assert 'not-the-password' not in str(error.value)


def test_unknown_database_is_a_config_error_naming_it(tryton_server):
    with pytest.raises(ConfigError, match="no database 'no_such_books'"):
        TrytonClient(tryton_server.url, 'no_such_books').login('admin', USERS['admin'])


def test_closed_port_is_transient():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientError, match='unreachable'):
        TrytonClient(f'http://127.0.0.1:{port}', 'books').login('admin', 'whatever-pass')


def test_server_that_does_not_answer_times_out_as_transient():
    with socket.socket() as silent:                   # accepts connections (backlog), never answers
        silent.bind(('127.0.0.1', 0))
        silent.listen()
        url = 'http://127.0.0.1:%d' % silent.getsockname()[1]
        with pytest.raises(TransientError, match='in time'):
            TrytonClient(url, 'books', timeout=0.5).login('admin', 'whatever-pass')


@pytest.mark.parametrize('status', [429, 502, 503])
def test_busy_or_failing_server_is_transient(status):
    class Busy(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(status)
            self.send_header('Content-Length', '0')
            self.end_headers()

        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(('127.0.0.1', 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(TransientError, match=f'HTTP {status}'):
            TrytonClient(f'http://127.0.0.1:{server.server_port}', 'books').login('admin', 'pass-word')
    finally:
        server.shutdown()
        server.server_close()


def test_user_error_names_the_model_and_records(sales, books):
    party = books.create_customer('Guarded Ltd')
    with pytest.raises(ErpRefused) as error:
        sales.write('party.party', [party], {'creditguard_hold': True})
    assert error.value.where == f'party.party [{party}]'
    assert (error.value.model, error.value.ids) == ('party.party', [party])
    assert 'On Credit Hold' in error.value.message


def test_tagged_values_round_trip(connector, books):
    party = books.create_customer('Typed Values AG')
    values = {'insurer_cover_amount': Decimal('12345.67'), 'insurer_cover_valid_until': dt.date(2027, 2, 28),
        'creditguard_hold_since': dt.datetime(2026, 11, 26, 17, 30, 5), 'creditguard_hold': True}
    connector.write('party.party', [party], values)
    read, = connector.read('party.party', [party], list(values))
    assert {k: read[k] for k in values} == values
    assert type(read['creditguard_hold']) is bool                   # not SQLite's 1


def test_search_read_pages_in_id_order(admin):
    ids = admin.create('party.party', [{'name': f'Page Party {i:02d}'} for i in range(23)])
    rows = admin.search_read('party.party', [('name', 'like', 'Page Party %')], ['name'], page_size=5)
    assert [r['id'] for r in rows] == sorted(ids)
    assert rows[0]['name'] == 'Page Party 00'


def test_large_answers_decode(admin):
    # answers over 1400 bytes come back gzip-labelled
    rows = admin.search_read('ir.ui.menu', [], ['name', 'complete_name'], page_size=500)
    assert len(rows) > 50


def test_expired_session_logs_in_again(admin):
    admin.http.headers['Authorization'] = 'Session ' + base64.b64encode(b'admin:1:expired').decode()
    assert admin.search_count('party.party', []) >= 1


def test_logout_ends_the_session(tryton_server, tryton_db):
    client = tryton_server.client(tryton_db, 'sales')
    token = client.http.headers['Authorization']
    client.logout()
    stale = TrytonClient(tryton_server.url, tryton_db)
    stale.http.headers['Authorization'] = token
    with pytest.raises(ErpRefused, match='401'):
        stale.call('model.party.party.search_count', [], {})
