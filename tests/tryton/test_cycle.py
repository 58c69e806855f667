"""The whole loop on a real Tryton: `creditguard run` reads the books, decides, and Tryton itself refuses the
held customers' sales; repeated, crashed and misconfigured runs; Tryton going down in the middle."""
import datetime as dt
import os
import socket
import subprocess
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from creditguard.connector.cycle.run import CRASH_EXIT, FAULT_ENV
from creditguard.connector.cycle.store import Store
from creditguard.connector.testing.tryton import USERS
from tests.conftest import CLI, REPO

OVERDUE_REASON = 'Overdue 70 days, beyond the 60-day extension period: stop shipping'
LIMIT_REASON = 'Exposure 1,500.00 exceeds credit limit 1,000.00'


def creditguard(*args, env=None, timeout=120):
    """The command line, as a user runs it."""
    return subprocess.run([*CLI, *map(str, args)], capture_output=True,
        text=True, cwd=REPO, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def make_config(tmp_path, tryton_server, tryton_db):
    def make(*, url=None, database=None, password=USERS['connector'], extra='', name='creditguard.toml'):
        password_line = f'password = "{password}"' if password else ''
        path = tmp_path / name
        path.write_text(f'[erp]\nkind = "tryton"\nurl = "{url or tryton_server.url}"\n'
            f'database = "{database or tryton_db}"\nuser = "connector"\n{password_line}\ntimeout = 30\n'
            f'{extra}\n[store]\npath = "store.sqlite"\n')
        return path
    return make


@pytest.fixture
def today():
    """The date the test's cycles run on, taken when the test starts (not when the module is imported)."""
    return dt.date.today()


@pytest.fixture
def config(make_config):
    return make_config()


@pytest.fixture
def customers(books, today):
    """Three customers: 70 days overdue, over its credit limit, and clean; each with a quoted sale."""
    overdue = books.create_customer('Overdue Trading Ltd', credit_limit=100000)
    overdue_invoice = books.create_invoice(overdue, 500, today - dt.timedelta(days=100))     # due -70 days
    over_limit = books.create_customer('Over Limit GmbH', credit_limit=1000)
    books.create_invoice(over_limit, 1500, today - dt.timedelta(days=5))
    clean = books.create_customer('Clean Retail SA', credit_limit=10000)
    books.create_invoice(clean, 100, today - dt.timedelta(days=3))
    return {'overdue': overdue, 'over_limit': over_limit, 'clean': clean, 'overdue_invoice': overdue_invoice,
        'sales': {name: books.create_sale(party, 200) for name, party in
            [('overdue', overdue), ('over_limit', over_limit), ('clean', clean)]}}


def hold_fields(client, party):
    row, = client.read('party.party', [party], ['creditguard_hold', 'creditguard_hold_reason',
        'creditguard_hold_rule', 'creditguard_hold_since', 'write_date'])
    return row


def notes(client, party):
    return [n['message'] for n in client.search_read('ir.note', [('resource', '=', f'party.party,{party}')],
        ['message'])]


def erp_state(client, c):
    """Everything the write-back can change, for every customer of the fixture."""
    return {name: (hold_fields(client, c[name]), sorted(notes(client, c[name])))
        for name in ('overdue', 'over_limit', 'clean')}


def store_state(config):
    with Store(config.parent / 'store.sqlite') as store:
        return store.bookmarks(), len(store.outbox()), store.audit_log()


# -- the loop ---------------------------------------------------------------------------------

def test_run_once_holds_risky_customers_and_tryton_refuses_their_sales(config, customers, books, sales, admin,
        today):
    proc = creditguard('run', '--config', config, '--once')

    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert 'customers: 3 evaluated: 2 on hold, 0 flagged, 1 ok' in out
    assert f'hold placed for {customers["overdue"]} Overdue Trading Ltd [overdue.extension_exceeded]: ' \
        f'{OVERDUE_REASON}' in out
    assert f'hold placed for {customers["over_limit"]} Over Limit GmbH [credit_limit.exceeded]: {LIMIT_REASON}' in out
    assert 'writes:    7 done' in out           # 2 holds, a flag and its note, 3 order allowances
    assert f'order allowance updated for {customers["clean"]} Clean Retail SA [credit_limit.exceeded]: ' \
        'allowance 9,900.00 (credit_limit.exceeded)' in out
    assert f'order allowance updated for {customers["over_limit"]} Over Limit GmbH [credit_limit.exceeded]: ' \
        'allowance 0.00' in out                                     # held: nothing more may be confirmed

    refused = books.confirm_sale_as(sales, customers['sales']['overdue'])
    assert not refused.confirmed
    assert refused.message == f'The party "Overdue Trading Ltd" is on credit hold: {OVERDUE_REASON}'
    refused = books.confirm_sale_as(sales, customers['sales']['over_limit'])
    assert not refused.confirmed and LIMIT_REASON in refused.message
    assert books.confirm_sale_as(sales, customers['sales']['clean']).confirmed

    held = hold_fields(admin, customers['overdue'])
    assert held['creditguard_hold_rule'] == 'overdue.extension_exceeded' and held['creditguard_hold_since']
    assert notes(admin, customers['overdue']) == [
        'Credit Guard flag (overdue.flag): Oldest overdue invoice is 70 days past due (500.00 overdue)\n'
        f'[creditguard overdue.flag/flag/{customers["overdue"]}@{today.isoformat()}]']
    assert not hold_fields(admin, customers['clean'])['creditguard_hold']
    assert admin.read('party.party', [customers['over_limit']], ['credit_limit_amount'])[0][
        'credit_limit_amount'] == Decimal(1000)                      # the real credit limit is never touched

    holds = creditguard('holds', '--config', config)
    assert holds.returncode == 0
    assert f'{customers["over_limit"]} Over Limit GmbH: on hold since' in holds.stdout
    assert LIMIT_REASON in holds.stdout and '2 holds by Credit Guard' in holds.stdout


def test_paying_the_overdue_invoice_releases_the_hold_at_the_next_cycle(config, customers, books, sales, admin):
    assert creditguard('run', '--config', config, '--once').returncode == 0
    assert not books.confirm_sale_as(sales, customers['sales']['overdue']).confirmed

    books.pay_invoice(customers['overdue_invoice'])
    proc = creditguard('run', '--config', config, '--once')

    assert proc.returncode == 0, proc.stderr
    assert f'hold released for {customers["overdue"]} Overdue Trading Ltd [hold.release]' in proc.stdout
    assert 'customers: 3 evaluated: 1 on hold, 0 flagged, 2 ok' in proc.stdout
    assert books.confirm_sale_as(sales, customers['sales']['overdue']).confirmed
    assert not hold_fields(admin, customers['overdue'])['creditguard_hold']
    assert hold_fields(admin, customers['over_limit'])['creditguard_hold']            # still held
    _bookmarks, _outbox, audit = store_state(config)
    assert [(a['customer_name'], a['event']) for a in audit] == [
        ('Overdue Trading Ltd', 'placed'), ('Over Limit GmbH', 'placed'), ('Overdue Trading Ltd', 'released')]
    assert all(a['actor'].startswith('connector@') for a in audit)
    assert f'{customers["overdue"]} Overdue' not in creditguard('holds', '--config', config).stdout


def test_a_second_run_writes_nothing_and_keeps_the_holds(config, customers, admin):
    assert creditguard('run', '--config', config, '--once').returncode == 0
    before = erp_state(admin, customers)

    proc = creditguard('run', '--config', config, '--once')

    assert proc.returncode == 0, proc.stderr
    assert 'customers: 3 evaluated: 2 on hold' in proc.stdout               # a hold does not release itself
    assert 'writes:    0 done, 1 skipped (already done), 3 unchanged (already in the ERP), 0 failed' in proc.stdout
    assert erp_state(admin, customers) == before                            # same write_date: nothing written


def test_renaming_the_policy_or_bumping_its_version_posts_no_second_note(config, customers, admin, tmp_path):
    assert creditguard('run', '--config', config, '--once').returncode == 0
    before = erp_state(admin, customers)
    tuned = tmp_path / 'house-rules.yaml'
    tuned.write_text((REPO / 'rules' / 'policies' / 'seed-default.yaml').read_text()
        .replace('policy: seed-default', 'policy: house-rules').replace('version: 1', 'version: 2'))
    config.write_text(config.read_text() + f'\n[policy]\nfile = "{tuned}"\n')

    proc = creditguard('run', '--config', config, '--once')

    assert proc.returncode == 0, proc.stderr
    assert 'writes:    0 done' in proc.stdout
    assert erp_state(admin, customers) == before


def test_a_manual_hold_survives_a_cycle(config, customers, admin, connector):
    admin.write('party.party', [customers['clean']], {'creditguard_hold': True,
        'creditguard_hold_reason': 'Lawsuit pending'})
    proc = creditguard('run', '--config', config, '--once')
    assert proc.returncode == 0, proc.stderr
    held = hold_fields(admin, customers['clean'])
    assert held['creditguard_hold'] and held['creditguard_hold_reason'] == 'Lawsuit pending'
    assert 'release' not in proc.stdout.split('writes:')[1]


def test_a_hold_turned_manual_after_the_cycle_read_it_is_not_lifted(config, customers, admin, connector):
    """The cycle read a Credit Guard hold and planned its release; meanwhile an administrator made it a manual
    hold. The release leaves it, as on Odoo; a Credit Guard hold is still lifted."""
    from creditguard.mappings.vocab import Outcome
    from creditguard.connector.erp.tryton.writeback import TrytonWriter
    party = customers['clean']
    admin.write('party.party', [party], {'creditguard_hold': True, 'creditguard_hold_reason': 'Overdue 70 days',
        'creditguard_hold_origin': 'credit_guard'})
    writer = TrytonWriter(connector)
    admin.write('party.party', [party], {'creditguard_hold_origin': 'manual',
        'creditguard_hold_reason': 'Lawsuit pending'})
    assert writer.release_hold(str(party)) is Outcome.ALREADY_THERE
    held = hold_fields(admin, party)
    assert held['creditguard_hold'] and held['creditguard_hold_reason'] == 'Lawsuit pending'
    admin.write('party.party', [party], {'creditguard_hold_origin': 'credit_guard'})
    assert writer.release_hold(str(party)) is Outcome.WRITTEN
    assert not hold_fields(admin, party)['creditguard_hold']


def test_flags_show_in_tryton_and_clear_when_the_reason_is_gone(config, customers, admin, books, today):
    late = books.create_customer('Late Payer Ltd', credit_limit=100000)
    invoice = books.create_invoice(late, 300, today - dt.timedelta(days=75))       # 45 days overdue: flagged
    assert creditguard('run', '--config', config, '--once').returncode == 0
    row, = admin.read('party.party', [late], ['creditguard_flag', 'creditguard_flag_reason'])
    assert row['creditguard_flag'] and '45 days past due' in row['creditguard_flag_reason']
    books.pay_invoice(invoice)
    assert creditguard('run', '--config', config, '--once').returncode == 0
    row, = admin.read('party.party', [late], ['creditguard_flag', 'creditguard_flag_reason'])
    assert not row['creditguard_flag'] and not row['creditguard_flag_reason']


def test_dry_run_shows_the_plan_and_writes_nothing(config, customers, admin):
    before = erp_state(admin, customers)

    proc = creditguard('run', '--config', config, '--once', '--dry-run')

    assert proc.returncode == 0, proc.stderr
    assert '7 planned, nothing written (dry run)' in proc.stdout          # 4 hold/flag/note + 3 allowances
    assert (f'would place a hold on {customers["overdue"]} Overdue Trading Ltd [overdue.extension_exceeded]: '
        f'{OVERDUE_REASON}') in proc.stdout
    assert erp_state(admin, customers) == before
    assert store_state(config) == ({}, 0, [])


@pytest.mark.parametrize('crash_after', [1, 3])
def test_a_crash_between_writes_converges_on_the_next_run(config, customers, admin, crash_after):
    crashed = creditguard('run', '--config', config, '--once', env={FAULT_ENV: str(crash_after)})
    assert crashed.returncode == CRASH_EXIT
    bookmarks, _outbox, _audit = store_state(config)
    assert bookmarks == {}                                      # the cycle did not finish: bookmarks stay

    proc = creditguard('run', '--config', config, '--once')

    assert proc.returncode == 0, proc.stderr
    if crash_after == 1:                                  # the crashed write is not written again: the hold is in
        assert 'writes:    6 done, 0 skipped (already done), 1 unchanged' in proc.stdout      # Tryton already
    else:                                                 # hold and flag are there, the note is found by its marker
        assert 'writes:    4 done, 1 skipped (already done), 2 unchanged' in proc.stdout      # + 3 allowances
        assert f'note added (already there) for {customers["overdue"]} Overdue Trading Ltd' in proc.stdout
    state = erp_state(admin, customers)
    assert state['overdue'][0]['creditguard_hold_reason'] == OVERDUE_REASON
    assert state['over_limit'][0]['creditguard_hold_reason'] == LIMIT_REASON
    assert len(state['overdue'][1]) == 1                          # the flag's note exactly once
    assert not state['clean'][0]['creditguard_hold'] and state['clean'][1] == []
    assert set(store_state(config)[0]) == {'customers', 'invoices', 'orders'}     # moved at last
    again = creditguard('run', '--config', config, '--once')
    assert 'writes:    0 done' in again.stdout and erp_state(admin, customers) == state


INSURANCE = """
[insurance]
insurer = "allianz-trade"
max_credit_period_days = 90
max_extension_days = 60
overdue_notification_days = 60
discretionary_limit = "10000"
"""


def test_insurer_rules_request_cover_once_and_notify(make_config, books, admin, today):
    config = make_config(extra=INSURANCE)
    big = books.create_customer('Big Buyer AG', credit_limit=100000)
    books.create_invoice(big, 15000, today - dt.timedelta(days=5))
    late = books.create_customer('Late Payer Ltd', credit_limit=100000)
    books.create_invoice(late, 500, today - dt.timedelta(days=100))

    proc = creditguard('run', '--config', config, '--once')

    assert proc.returncode == 0, proc.stderr
    assert f'cover requested for {big} Big Buyer AG [insurer.cover_exceeded]' in proc.stdout
    pending, = admin.read('party.party', [big], ['insurer_cover_request_pending'])
    assert pending['insurer_cover_request_pending']
    big_notes = notes(admin, big)
    assert any('request a cover of 19,000.00' in n for n in big_notes) and len(big_notes) == 2   # + the flag
    late_notes = notes(admin, late)
    assert any(n.startswith('Credit Guard notification (insurer.overdue_to_declare): Declare the overdue of '
        '500.00 to the insurer by ') for n in late_notes)

    again = creditguard('run', '--config', config, '--once')
    assert again.returncode == 0, again.stderr                      # the request is pending: no second one;
    assert 'writes:    2 done' in again.stdout and 'flag cleared for' in again.stdout   # its flag went with it,
    assert f'order allowance updated for {big} Big Buyer AG' in again.stdout      # and so its flag allowance
    assert notes(admin, big) == big_notes and notes(admin, late) == late_notes


def test_an_overdue_instalment_counts_from_its_own_due_date(config, books, admin, today):
    term, = admin.create('account.invoice.payment_term', [{'name': 'Half now, half in 120 days', 'lines': [
        ('create', [{'type': 'percent', 'ratio': Decimal('0.5'), 'divisor': Decimal(2),
            'relativedeltas': [('create', [{'days': 0}])]},
                    {'type': 'remainder', 'relativedeltas': [('create', [{'days': 120}])]}])]}])
    party = books.create_customer('Instalment Buyer Ltd', credit_limit=100000)
    invoice = books.create_invoice(party, 1000, today - dt.timedelta(days=65),
        payment_term='Half now, half in 120 days')

    proc = creditguard('run', '--config', config, '--once')
    assert proc.returncode == 0, proc.stderr
    assert 'Overdue 65 days, beyond the 60-day extension period' in proc.stdout

    export = config.parent / 'snapshot.json'
    assert creditguard('snapshot', '--config', config, '-o', export).returncode == 0
    import json
    exported = {i['id']: i for i in json.loads(export.read_text())['invoices']}
    mine = sorted((i['due_date'], i['amount_residual']) for key, i in exported.items()
        if key.startswith(f'{invoice}/'))
    assert mine == [((today - dt.timedelta(days=65)).isoformat(), '500.00'),
        ((today + dt.timedelta(days=55)).isoformat(), '500.00')]


def test_the_exported_snapshot_evaluates_offline_to_the_same_statuses(config, customers):
    run = creditguard('run', '--config', config, '--once')
    assert run.returncode == 0
    export = config.parent / 'snapshot.json'

    proc = creditguard('snapshot', '--config', config, '-o', export)
    assert proc.returncode == 0, proc.stderr
    assert 'with 3 customers, 3 invoices, 3 orders' in proc.stdout
    offline = creditguard('evaluate', '--snapshot', export)
    assert offline.returncode == 0, offline.stderr
    assert '3 customers: 2 on hold, 0 flagged, 1 ok' in offline.stdout


def test_sync_then_incremental_sync_reads_only_recent_changes(config, customers, books):
    first = creditguard('sync', '--config', config)
    assert first.returncode == 0, first.stderr
    assert '(full)' in first.stdout and 'customers 4' in first.stdout      # the company's party + 3
    books.create_customer('Newcomer BV', credit_limit=500)
    second = creditguard('sync', '--config', config)
    assert second.returncode == 0 and '(incremental)' in second.stdout
    with Store(config.parent / 'store.sqlite') as store:
        assert 'Newcomer BV' in {c['name'] for c in store.records('customers')}


# -- bad input: exit 2, a clear message, nothing written, no bookmark moved ------------------------

def closed_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize('change, message', [
    ({'password': 'Wrong-Pa55word!'}, "Tryton refused the login of user 'connector'"),
    ({'database': 'no_such_db'}, "has no database 'no_such_db'"),
], ids=['wrong password', 'no such database'])
def test_bad_connection_settings_exit_2_and_change_nothing(make_config, customers, admin, change, message):
    good = make_config()
    assert creditguard('run', '--config', good, '--once').returncode == 0
    before, before_store = erp_state(admin, customers), store_state(good)

    proc = creditguard('run', '--config', make_config(**change), '--once')

    assert proc.returncode == 2
    assert message in proc.stderr and 'Traceback' not in proc.stderr
    assert erp_state(admin, customers) == before and store_state(good) == before_store


def test_an_erp_that_is_down_at_start_is_temporary_exit_75(make_config, customers, admin):
    good = make_config()
    assert creditguard('run', '--config', good, '--once').returncode == 0
    before, before_store = erp_state(admin, customers), store_state(good)

    proc = creditguard('run', '--config', make_config(url=f'http://127.0.0.1:{closed_port()}'), '--once')

    assert proc.returncode == 75, proc.stderr
    assert 'unreachable (Connection refused)' in proc.stderr and 'Traceback' not in proc.stderr
    assert erp_state(admin, customers) == before and store_state(good) == before_store


def test_the_service_outlives_an_erp_that_is_down_at_start(make_config):
    config = make_config(url=f'http://127.0.0.1:{closed_port()}')
    proc = subprocess.Popen([*CLI, 'run', '--config', str(config), '--every', '1'],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stderr.readline() for _ in range(2)]          # after 1 s, then 2 s (backoff)
        assert proc.poll() is None, 'the service died with the ERP'
        proc.terminate()
        _, rest = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert all('temporary error, retrying in' in line for line in lines), lines
    assert 'retrying in 1 s' in lines[0] and 'retrying in 2 s' in lines[1]
    assert proc.returncode == 143 and 'terminated' in rest and 'Traceback' not in rest


def add_user(admin, login, groups):
    """A Tryton user with these groups ((module, xml id) pairs) and a password."""
    group_ids = [admin.model('ir.model.data', 'get_id', module, xml_id) for module, xml_id in groups]
    admin.create('res.user', [{'login': login, 'name': login, 'password': 'Another-Pa55word!',
        'groups': [('add', group_ids)]}])


@pytest.mark.parametrize('groups, message', [
    ([("sale", "group_sale")], "may not read account.move.line records"),
    ([('sale', 'group_sale'), ('account', 'group_account')], "may not write the field 'creditguard_hold'"),
], ids=['no accounting access', 'not in the connector group'])
def test_missing_access_rights_are_named_before_anything_is_read(make_config, customers, admin, groups, message):
    add_user(admin, 'limited', groups)
    config = make_config(password='Another-Pa55word!')
    config.write_text(config.read_text().replace('user = "connector"', 'user = "limited"'))
    before = erp_state(admin, customers)

    proc = creditguard('run', '--config', config, '--once')

    assert proc.returncode == 2, proc.stderr
    assert f"the ERP user 'limited' {message}" in proc.stderr and 'Credit Guard connector' in proc.stderr
    assert 'has no field' not in proc.stderr and 'Traceback' not in proc.stderr
    assert erp_state(admin, customers) == before and not (config.parent / 'store.sqlite').exists()


def test_a_mapping_naming_a_missing_field_exits_2_naming_file_model_and_field(make_config, customers, admin):
    mappings = make_config().parent / 'mappings'
    mappings.mkdir()
    for path in (REPO / 'mappings' / 'tryton').glob('*.yaml'):
        (mappings / path.name).write_text(path.read_text().replace('credit_limit_amount ->', 'credit_limt ->'))
    before = erp_state(admin, customers)

    proc = creditguard('run', '--config', make_config(extra='mappings = "mappings"'), '--once')

    assert proc.returncode == 2
    assert f'{mappings / "customers.yaml"}:' in proc.stderr
    assert "the ERP's model party.party has no field 'credit_limt'" in proc.stderr
    assert 'hint: did you mean' in proc.stderr
    assert erp_state(admin, customers) == before
    assert store_state(make_config()) == ({}, 0, [])


def test_the_password_may_come_from_the_environment(make_config, customers):
    proc = creditguard('run', '--config', make_config(password=None), '--once',
        env={'CREDITGUARD_ERP_PASSWORD': USERS['connector']})
    assert proc.returncode == 0, proc.stderr


# -- Tryton going down -------------------------------------------------------------------------

class FlakyProxy:
    """A loopback HTTP proxy in front of Tryton that goes down (drops the connection, then refuses every
    request) when it sees a given RPC method; `recover()` brings it back."""

    def __init__(self, upstream, down_at):
        self.upstream, self.down_at, self.down = upstream, down_at, False
        self.recover_after_failures = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._forward(b'')

            def do_POST(self):
                self._forward(self.rfile.read(int(self.headers.get('Content-Length', 0))))

            def _forward(self, body):
                if proxy.down_at.encode() in body:
                    proxy.down = True
                if proxy.down:
                    if proxy.recover_after_failures is not None:
                        proxy.recover_after_failures -= 1
                        if proxy.recover_after_failures <= 0:
                            proxy.down, proxy.down_at = False, '\0never'
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'content-length')}
                answer = httpx.request(self.command, proxy.upstream + self.path, content=body or None,
                    headers=headers, timeout=30)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ('content-encoding', 'content-length', 'transfer-encoding', 'connection'):
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(tryton_server, tryton_db):
    proxy = FlakyProxy(tryton_server.url, 'model.account.invoice.search_read')
    yield proxy
    proxy.close()


def test_tryton_down_mid_sync_is_temporary_and_writes_nothing(make_config, customers, admin, proxy):
    config = make_config(url=proxy.url)
    before = erp_state(admin, customers)

    proc = creditguard('run', '--config', config, '--once')

    assert proxy.down, 'the proxy never saw the invoices being read'
    assert proc.returncode == 75
    assert proc.stderr.startswith('error (temporary, retry later): Tryton at http://127.0.0.1:')
    assert 'Traceback' not in proc.stderr
    assert erp_state(admin, customers) == before
    assert store_state(config) == ({}, 0, [])


def test_run_every_retries_after_tryton_was_down(make_config, customers, admin, proxy):
    proxy.recover_after_failures = 1
    config = make_config(url=proxy.url)
    process = subprocess.Popen([*CLI, 'run', '--config', str(config),
        '--every', '1'], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = threading.Timer(90, process.kill)          # bounds the readline loop below
    deadline.start()
    try:
        line = process.stdout.readline()          # the first line of a cycle that succeeded (bounded below)
        while line and not line.startswith('Cycle'):
            line = process.stdout.readline()
    finally:
        deadline.cancel()
        process.terminate()
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    assert line.startswith('Cycle'), err
    assert 'temporary error, retrying in 1 s: Tryton at' in err
    assert hold_fields(admin, customers['overdue'])['creditguard_hold']
