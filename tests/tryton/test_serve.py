"""`creditguard serve` on a real Tryton: a signed change notice re-checks the customer within a second and
writes its allowance; bad signatures and bodies are refused; a burst is coalesced; Tryton down while a change
waits is retried and the change is not lost. (Bounded: every wait has a deadline; traffic stays on loopback.)"""
import datetime as dt
import json
import time
from decimal import Decimal

import httpx
import pytest

from creditguard.connector.config import load_config
from creditguard.connector.cycle.serve import SIGNATURE_HEADER, Service, sign
from tests.tryton.test_cycle import FlakyProxy, make_config  # noqa: F401 (a fixture)

SECRET = 'a shared secret'


@pytest.fixture
def party(books):
    party = books.create_customer('Bolt Supplies', credit_limit=10000)
    books.create_invoice(party, 7700, dt.date.today() - dt.timedelta(days=3))
    return party


@pytest.fixture
def serve(make_config):
    services = []

    def start(url=None, every=3600, coalesce=0.05):
        config = load_config(make_config(url=url))
        service = Service(config, secret=SECRET, port=0, every=every, coalesce=coalesce).start()
        services.append(service)
        return service, f'http://127.0.0.1:{service.address[1]}'
    yield start
    for service in services:
        service.stop()


# one keep-alive client, as a webhook sender would use (a client per request costs it a TLS context)
HTTP = httpx.Client(timeout=10)


def post(base, change, secret=SECRET, signature=None):
    body = json.dumps(change).encode()
    headers = {'Content-Type': 'application/json'}
    if signature is not False:
        headers[SIGNATURE_HEADER] = signature or sign(secret, body)
    return HTTP.post(f'{base}/webhook', content=body, headers=headers)


def allowance(client, party):
    row, = client.read('party.party', [party], ['creditguard_allowance', 'creditguard_allowance_limited',
        'creditguard_allowance_rule', 'creditguard_exposure', 'creditguard_allowance_as_of'])
    return row


def wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f'not within {seconds} s')


def cycles(service, kind, outcome='ok'):
    return service.metrics.cycles[(kind, outcome)]


def test_a_signed_change_rechecks_the_customer_and_writes_its_new_allowance(serve, party, books, admin):
    service, base = serve()
    wait_for(lambda: cycles(service, 'scheduled'))                  # the first cycle over everyone
    assert Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('2300.00')
    books.create_invoice(party, 1000, dt.date.today())              # exposure 8,700: 1,300 left

    started = time.monotonic()
    answer = post(base, {'event': 'account.invoice.post', 'model': 'account.invoice', 'ids': [1],
                         'customers': [str(party)]})
    assert answer.status_code == 202
    wait_for(lambda: Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('1300.00'))
    assert time.monotonic() - started < 5       # the bench measures p95 < 1 s; here only that it is prompt
    wait_for(lambda: not service.health()[1]['pending_changes'])        # the re-check is recorded
    assert Decimal(allowance(admin, party)['creditguard_exposure']) == Decimal('8700.00')
    assert cycles(service, 're-check') == 1 and cycles(service, 'scheduled') == 1
    metrics = HTTP.get(f'{base}/metrics').text
    assert 'creditguard_changes_received_total 1' in metrics
    assert 'creditguard_cycles_total{kind="re-check",outcome="ok"} 1' in metrics
    assert 'creditguard_erp_writes_total{operation="set_allowance"}' in metrics
    health = HTTP.get(f'{base}/health')
    assert health.status_code == 200 and health.json()['status'] == 'ok'


@pytest.mark.parametrize('signature', [False, 'sha256=' + '0' * 64, 'another secret'])
def test_a_bad_or_missing_signature_is_401_and_nothing_is_done(serve, party, signature):
    service, base = serve()
    wait_for(lambda: cycles(service, 'scheduled'))
    change = {'event': 'sale.sale.confirm', 'model': 'sale.sale', 'ids': [1], 'customers': [str(party)]}
    if signature == 'another secret':
        answer = post(base, change, secret='another secret')
    else:
        answer = post(base, change, signature=signature)
    assert answer.status_code == 401 and SIGNATURE_HEADER in answer.json()['error']
    time.sleep(0.3)
    assert service.metrics.changes == 0 and cycles(service, 're-check') == 0
    assert 'creditguard_webhooks_rejected_total{reason="signature"} 1' in \
        HTTP.get(f'{base}/metrics').text


@pytest.mark.parametrize('body, field', [
    ({'model': 'sale.sale', 'ids': [1]}, 'body.event'),
    ({'event': 'x', 'model': 'sale.sale', 'ids': 'one'}, 'body.ids'),
    ({'event': 'x', 'model': '', 'ids': [1]}, 'body.model'),
    ({'event': 'x', 'model': 'sale.sale', 'ids': [1], 'customers': [None]}, 'body.customers'),
    ([1, 2], 'body'),
])
def test_a_malformed_body_is_400_naming_the_field(serve, party, body, field):
    service, base = serve()
    answer = post(base, body)
    assert answer.status_code == 400 and answer.json()['error'].startswith(field)
    assert service.metrics.changes == 0


def test_a_flood_of_changes_is_coalesced_never_a_cycle_per_request(serve, party, books, admin):
    service, base = serve(coalesce=0.2)
    wait_for(lambda: cycles(service, 'scheduled'))
    books.create_invoice(party, 500, dt.date.today())
    for n in range(60):                                      # bounded: 60 requests on loopback
        assert post(base, {'event': 'sale.sale.confirm', 'model': 'sale.sale', 'ids': [n],
                           'customers': [str(party)]}).status_code == 202
    wait_for(lambda: Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('1800.00'))
    wait_for(lambda: not service.health()[1]['pending_changes'])
    assert service.metrics.changes == 60
    assert 1 <= cycles(service, 're-check') <= 5


def test_tryton_down_while_a_change_waits_is_retried_and_the_change_is_not_lost(serve, party, books, admin,
        tryton_server):
    proxy = FlakyProxy(tryton_server.url, '\0never')
    try:
        service, base = serve(url=proxy.url)
        wait_for(lambda: cycles(service, 'scheduled'))
        proxy.down = True
        books.create_invoice(party, 1000, dt.date.today())
        assert post(base, {'event': 'account.invoice.post', 'model': 'account.invoice', 'ids': [1],
                           'customers': [str(party)]}).status_code == 202
        wait_for(lambda: cycles(service, 're-check', 'error') >= 2)      # tried, failed, tried again
        assert HTTP.get(f'{base}/health').status_code == 503
        assert Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('2300.00')
        proxy.down = False
        wait_for(lambda: Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('1300.00'))
        wait_for(lambda: not service.health()[1]['pending_changes'])        # the re-check is recorded
        assert HTTP.get(f'{base}/health').status_code == 200
        assert 'creditguard_erp_errors_total' in HTTP.get(f'{base}/metrics').text
    finally:
        proxy.close()


def test_tryton_itself_tells_the_service_of_a_confirmed_sale_and_a_posted_invoice(serve, party, books, admin,
        sales):
    service, base = serve()
    wait_for(lambda: cycles(service, 'scheduled'))
    admin.write('creditguard.configuration', [1], {'webhook_url': f'{base}/webhook', 'webhook_secret': SECRET})
    sale = books.create_sale(party, 500)
    assert books.confirm_sale_as(sales, sale).confirmed                  # 7,700 + 500 is within 2,300
    wait_for(lambda: Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('1800.00'))
    assert service.metrics.changes >= 1 and service.metrics.rejected == {}
    books.create_invoice(party, 300, dt.date.today())                     # an invoice posted without an order
    wait_for(lambda: Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('1500.00'))


def test_with_a_wrong_secret_in_tryton_the_notices_are_refused_and_nothing_changes(serve, party, books, admin):
    service, base = serve()
    wait_for(lambda: cycles(service, 'scheduled'))
    admin.write('creditguard.configuration', [1], {'webhook_url': f'{base}/webhook', 'webhook_secret': 'wrong'})
    books.create_invoice(party, 300, dt.date.today())
    wait_for(lambda: service.metrics.rejected.get('signature'))
    assert cycles(service, 're-check') == 0
    assert Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('2300.00')


def test_a_recheck_reads_only_the_named_customers_records_and_leaves_the_rest_to_the_next_cycle(serve, party, books,
        admin):
    service, base = serve()
    wait_for(lambda: cycles(service, 'scheduled'))
    other = books.create_customer('Quiet Other Ltd', credit_limit=10000)
    books.create_invoice(other, 4000, dt.date.today())              # a change nobody was told of
    books.create_invoice(party, 1000, dt.date.today())
    assert post(base, {'event': 'account.invoice.post', 'model': 'account.invoice', 'ids': [1],
                       'customers': [str(party)]}).status_code == 202
    wait_for(lambda: Decimal(allowance(admin, party)['creditguard_allowance']) == Decimal('1300.00'))
    wait_for(lambda: not service.health()[1]['pending_changes'])
    assert not allowance(admin, other)['creditguard_allowance_as_of']   # not read: the next cycle's
    assert post(base, {'event': 'res.partner.credit_limit', 'model': 'party.party', 'ids': [other],
                       'customers': [str(other)]}).status_code == 202
    wait_for(lambda: allowance(admin, other)['creditguard_allowance'] == Decimal('6000.00'))
