"""The insurer inside the cycle, end to end: a real Tryton, the simulated insurer on loopback, real cycles.

Exposure above cover -> one request -> a decision -> the cover in Tryton and the store -> the next evaluation
acts on it; the insurer's own reductions (from their effective date) and grade changes; every fault of issue 9.
Cycles run in this process with an Allianz Trade client whose waits are recorded (nothing sleeps), except the
crash drill, which runs the command line and lets it die.
"""
import datetime as dt
import os
import subprocess
from decimal import Decimal

import pytest

from creditguard.connector.config import load_config
from creditguard.connector.cycle.run import run_cycle
from creditguard.connector.insurer import AllianzTradeClient, RetryPolicy
from creditguard.connector.insurer.flow import CRASH_EXIT, FAULT_ENV
from creditguard.connector.insurer.ledger import Ledger
from creditguard.connector.insurer.simulator import Event, Fault, Simulator, parse_scenario
from creditguard.connector.cycle.store import Store
from creditguard.connector.testing.tryton import USERS
from tests.conftest import CLI, REPO

API_KEY = 'sk-flow-test-KEY-0042'
COVER_FIELDS = ['insurer_cover_amount', 'insurer_cover_status', 'insurer_cover_valid_until',
    'insurer_cover_request_pending', 'creditguard_hold', 'creditguard_hold_rule']


def scenario(now):
    return parse_scenario({
        'api_key': API_KEY, 'clock': {'start': now.isoformat(), 'frozen': True}, 'token_ttl_seconds': 3600,
        'notice_days': 30, 'referral_hours': 48, 'country_grades': {'DE': 0, 'IT': 1},
        'buyers': [{'id': '900001', 'name': 'Acme Handels GmbH', 'country': 'DE', 'grade': 4},
                   {'id': '900002', 'name': 'Cantina Rossi Srl', 'country': 'IT', 'grade': 5}],
        'rules': [{'when': {'buyer': '900002'}, 'decide': 'refuse', 'reason': 'payment experience unsatisfactory'},
                  {'decide': 'approve'}]})


class Waits(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def today():
    return dt.date.today()


@pytest.fixture
def sim(tmp_path):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    simulator = Simulator(scenario(now), state_path=tmp_path / 'sim.json').start()
    yield simulator
    simulator.stop()


@pytest.fixture
def waits():
    return Waits()


@pytest.fixture
def client(sim, waits):
    return AllianzTradeClient(sim.url, 'POL-1', api_key=API_KEY, timeout=5, connect_timeout=2, sleep=waits,
        random=lambda: 0.5, retry=RetryPolicy(attempts=3, backoff=0.05, backoff_max=0.2, total_seconds=10,
            max_retry_after=30))


@pytest.fixture
def make_config(tmp_path, tryton_server, tryton_db, sim):
    def make(approval='auto', api_key=API_KEY, insurer_extra='', insurance_extra=''):
        path = tmp_path / 'creditguard.toml'
        key_line = f'api_key = "{api_key}"\n' if api_key else ''
        path.write_text(f'[erp]\nkind = "tryton"\nurl = "{tryton_server.url}"\ndatabase = "{tryton_db}"\n'
            f'user = "connector"\npassword = "{USERS["connector"]}"\ntimeout = 30\n\n'
            '[store]\npath = "store.sqlite"\n\n'
            '[insurance]\nmax_credit_period_days = 90\nmax_extension_days = 60\noverdue_notification_days = 60\n'
            f'discretionary_limit = "10000"\n{insurance_extra}\n'
            f'[insurer]\nkind = "allianz"\nurl = "{sim.url}"\n{key_line}policy_id = "POL-1"\n'
            f'approval = "{approval}"\n{insurer_extra}')
        return path
    return make


@pytest.fixture
def config_path(make_config):
    return make_config()


@pytest.fixture
def acme(books, today):
    """Exposure 12,000 above the 10,000 discretionary limit, no cover: the policy asks for 15,000."""
    party = books.create_customer('Acme Handels GmbH', credit_limit=100000, country='DE')
    books.create_invoice(party, 12000, today - dt.timedelta(days=3))
    return party


@pytest.fixture
def rossi(books, today):
    party = books.create_customer('Cantina Rossi Srl', credit_limit=100000, country='IT')
    books.create_invoice(party, 12000, today - dt.timedelta(days=3))
    return party


class FaultOnRequest:
    """The client, with `faults` given to the insurer just before the cover request (the simulator's fault
    paths are prefixes: POST /riskinfo/v3/covers would also catch the cover search)."""

    def __init__(self, client, sim, *faults):
        self.client, self.sim, self.faults = client, sim, faults

    def __getattr__(self, name):
        return getattr(self.client, name)

    def request_cover(self, *args, **kwargs):
        self.sim.add_faults(self.faults)
        return self.client.request_cover(*args, **kwargs)


def cycle(config_path, client, as_of=None):
    return run_cycle(load_config(config_path), as_of=as_of, insurer=client)


def party(admin, party_id):
    row, = admin.read('party.party', [party_id], COVER_FIELDS)
    return row


def result_of(report, party_id):
    result, = [r for r in report.results if r.customer_id == str(party_id)]
    return result


def ledger_of(config_path):
    store = Store(config_path.parent / 'store.sqlite')
    return store, Ledger(store)


def requests_sent(sim):
    return sim.stats()['cover_requests']


# -- the flow ---------------------------------------------------------------------------------

def test_exposure_above_cover_files_one_request_and_the_approval_reaches_tryton_and_the_store(
        config_path, client, sim, acme, admin, today):
    first = cycle(config_path, client)

    # the approval came with the answer and acts in this cycle: the request (and its note) stays, no flag
    assert [d.action for d in result_of(first, acme).decisions] == ['request_limit']
    assert requests_sent(sim) == 1
    assert [(c, s) for c, _, _, _, s in first.insurer.sent] == [(str(acme), 'decided')]
    row = party(admin, acme)
    assert (row['insurer_cover_amount'], row['insurer_cover_status'], row['insurer_cover_request_pending']) == (
        Decimal('15000'), 'approved', False)
    store, ledger = ledger_of(config_path)
    with store:
        cover = ledger.cover_on(str(acme), today)
        assert (cover.status, cover.amount) == ('approved', Decimal('15000'))
        assert ledger.buyer_id(str(acme)) == '900001'
        assert [r['status'] for r in ledger.requests()] == ['decided']
        assert any(a['event'].startswith('insurer cover approved 15,000.00 EUR') for a in store.audit_log(str(acme)))

    second = cycle(config_path, client)
    assert result_of(second, acme).status == 'ok' and not result_of(second, acme).decisions
    assert result_of(second, acme).facts['insured_cover'] == Decimal('15000.00')
    assert requests_sent(sim) == 1 and not second.insurer.sent
    assert not [w for w in second.planned if w.customer_id == str(acme)         # Tryton has the cover already
        and w.operation.value in ('set_cover', 'request_cover', 'add_note')]


def test_a_refused_cover_holds_the_customer_in_the_cycle_that_asked(config_path, client, sim, rossi, admin):
    first = cycle(config_path, client)
    assert party(admin, rossi)['insurer_cover_status'] == 'refused'
    result = result_of(first, rossi)              # the refusal answered the request: it holds at once
    assert result.status == 'hold' and 'insurer.cover_refused' in [d.rule for d in result.decisions]
    row = party(admin, rossi)
    assert row['creditguard_hold'] and row['creditguard_hold_rule'] == 'insurer.cover_refused'

    second = cycle(config_path, client)
    result = result_of(second, rossi)
    assert result.status == 'hold' and [d.rule for d in result.decisions] == ['insurer.cover_refused']
    assert requests_sent(sim) == 1


def test_a_reduction_holds_from_its_effective_date_and_a_new_approval_releases(config_path, client, sim, acme,
        admin, today):
    cycle(config_path, client)                                          # approved 15,000
    sim.event(Event(buyer='900001', kind='reduce', amount=Decimal(10000), notice_days=30,
        reason='deteriorating payment behaviour'))

    before = cycle(config_path, client)                                 # the old cover stands until then
    assert result_of(before, acme).status == 'ok'
    assert party(admin, acme)['insurer_cover_amount'] == Decimal('15000')

    effective = today + dt.timedelta(days=30)
    after = cycle(config_path, client, as_of=effective)
    result = result_of(after, acme)
    assert result.status == 'hold' and [d.rule for d in result.decisions] == ['insurer.cover_reduced']
    row = party(admin, acme)
    assert (row['insurer_cover_amount'], row['insurer_cover_status'], row['creditguard_hold']) == (
        Decimal('10000'), 'partial', True)
    assert requests_sent(sim) == 1                                      # no request of its own after a cut

    sim.event(Event(buyer='900001', kind='decision', code='Agreement', amount=Decimal(20000), notice_days=0))
    released = cycle(config_path, client, as_of=effective)
    assert [d.action for d in result_of(released, acme).decisions] == ['release']
    assert not party(admin, acme)['creditguard_hold']


def test_a_worse_grade_from_the_insurer_flags_the_customer(make_config, client, sim, acme):
    config_path = make_config(insurer_extra='grades_every_hours = 0\n')     # a grade is fetched every cycle
    cycle(config_path, client)
    sim.event(Event(buyer='900001', kind='grade', grade=7))

    report = cycle(config_path, client)
    result = result_of(report, acme)
    assert result.status == 'flag' and [d.rule for d in result.decisions] == ['insurer.buyer_grade_poor']
    assert result.facts['buyer_grade'] == 7
    assert report.insurer.grades == [(str(acme), 4, 7)]


def test_with_manual_approval_a_request_waits_for_a_person(make_config, client, sim, acme, admin):
    config_path = make_config(approval='manual')
    first = cycle(config_path, client)
    assert requests_sent(sim) == 0 and [s for *_, s in first.insurer.queued] == ['awaiting_approval']
    assert party(admin, acme)['insurer_cover_request_pending'] is True
    cycle(config_path, client)
    store, ledger = ledger_of(config_path)
    with store:
        request, = ledger.requests()
    assert request['status'] == 'awaiting_approval'

    listed = creditguard('insurer', 'requests', '--config', config_path)
    assert f'#{request["id"]} {acme} Acme Handels GmbH: 15,000.00 EUR, awaiting approval' in listed.stdout
    approved = creditguard('insurer', 'approve', '--config', config_path, request['id'])
    assert approved.returncode == 0, approved.stderr
    assert creditguard('insurer', 'approve', '--config', config_path, 999).returncode == 2

    cycle(config_path, client)
    assert requests_sent(sim) == 1
    assert party(admin, acme)['insurer_cover_status'] == 'approved'
    covers = creditguard('insurer', 'covers', '--config', config_path)
    assert f'{acme} Acme Handels GmbH (buyer 900001, grade 4): approved 15,000.00 EUR; exposure 12,000.00, ' \
        'uninsured 0.00' in covers.stdout


# -- faults -----------------------------------------------------------------------------------

def test_an_insurer_down_for_a_whole_cycle_leaves_the_request_queued_and_the_erp_work_done(config_path, client,
        sim, acme, books, admin, today):
    over = books.create_customer('Over Limit AG', credit_limit=1000, country='DE')
    books.create_invoice(over, 1500, today - dt.timedelta(days=2))
    sim.add_faults([Fault(kind='status', status=503, times=3)])     # every try of the cycle's first call

    down = cycle(config_path, client)
    assert 'unreachable' in down.insurer.problem
    assert party(admin, over)['creditguard_hold']                    # the ERP's part of the cycle happened
    assert requests_sent(sim) == 0
    assert party(admin, acme)['insurer_cover_request_pending'] is True
    assert [s for *_, s in down.insurer.queued] == ['queued']

    up = cycle(config_path, client)
    assert up.insurer.problem is None and requests_sent(sim) == 1
    assert party(admin, acme)['insurer_cover_status'] == 'approved'


def test_a_429_is_waited_for_as_told_and_a_longer_wait_leaves_the_request_for_later(config_path, client, sim,
        acme, waits, admin):
    first = cycle(config_path, FaultOnRequest(client, sim, Fault(kind='status', status=429, retry_after=120)))
    assert 'busy' in first.insurer.problem and requests_sent(sim) == 0 and waits == []

    second = cycle(config_path, FaultOnRequest(client, sim, Fault(kind='status', status=429, retry_after=2)))
    assert waits == [2.0] and second.insurer.problem is None
    assert requests_sent(sim) == 1 and party(admin, acme)['insurer_cover_status'] == 'approved'


def test_an_expired_token_mid_cycle_is_renewed_once_and_the_call_repeated(config_path, client, sim, acme):
    class ExpiringAfterFind:
        """The client, with the insurer expiring every token right after the buyer search."""
        def __getattr__(self, name):
            return getattr(client, name)

        def find_buyer(self, *args, **kwargs):
            found = client.find_buyer(*args, **kwargs)
            sim.expire_tokens()
            return found

    report = cycle(config_path, ExpiringAfterFind())
    assert sim.stats()['tokens_issued'] == 2 and requests_sent(sim) == 1
    assert report.insurer.problem is None and report.insurer.sent[0][-1] == 'decided'


def test_an_unreadable_answer_is_kept_raw_and_flagged_for_a_person(config_path, client, sim, acme, admin):
    first = cycle(config_path, FaultOnRequest(client, sim, Fault(kind='status', status=202, body='{"job": "?"}')))
    assert any('could not be read' in m for m in first.insurer.review), first.insurer
    sim.event(Event(buyer='900001', kind='decision', code='Frobnicated', amount=Decimal(5000), notice_days=0))

    second = cycle(config_path, client)
    assert any("unknown code 'Frobnicated'" in m for m in second.insurer.review)
    store, ledger = ledger_of(config_path)
    with store:
        request, = ledger.requests()
        assert request['status'] == 'review' and '"job": "?"' in request['raw']
        decision, = ledger.decisions(review=True)
        assert decision['raw_status'] == 'Frobnicated' and 'Frobnicated' in decision['raw']
        assert ledger.cover_on(str(acme), dt.date.today()) is None          # no cover changed
    assert requests_sent(sim) == 0                                     # and no second request went out
    assert party(admin, acme)['insurer_cover_request_pending'] is True
    listed = creditguard('insurer', 'requests', '--config', config_path)
    assert 'answer needs review' in listed.stdout and 'needs review: insurer decision' in listed.stdout


def test_a_crash_after_sending_replays_the_same_key_and_records_the_original_answer(config_path, sim, acme,
        admin):
    crashed = creditguard('run', '--config', config_path, '--once', env={FAULT_ENV: '1'})
    assert crashed.returncode == CRASH_EXIT, crashed.stderr
    assert requests_sent(sim) == 1
    store, ledger = ledger_of(config_path)
    with store:
        assert [r['status'] for r in ledger.requests()] == ['queued']      # the answer was never recorded

    again = creditguard('run', '--config', config_path, '--once')
    assert again.returncode == 0, again.stderr
    assert requests_sent(sim) == 1                                     # replayed, not filed twice
    store, ledger = ledger_of(config_path)
    with store:
        request, = ledger.requests()
        assert request['status'] == 'decided' and request['request_id'] == 'J000001'
    assert party(admin, acme)['insurer_cover_status'] == 'approved'
    assert 'API' not in again.stdout and API_KEY not in again.stdout + again.stderr


def creditguard(*args, env=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True,
        text=True, cwd=REPO, timeout=120, env={**os.environ, **(env or {})})


class CountingGrades:
    """The client, counting its grade calls."""

    def __init__(self, client):
        self.client, self.calls = client, 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def buyer_grade(self, buyer_id):
        self.calls += 1
        return self.client.buyer_grade(buyer_id)


def test_grades_are_fetched_on_a_schedule_and_after_a_decision_not_every_cycle(config_path, client, sim, acme):
    counting = CountingGrades(client)
    cycle(config_path, counting)                           # the buyer is found: its grade with it
    fetched = counting.calls
    assert fetched == 1
    cycle(config_path, counting)                           # the feed shows the approval again: nothing new
    cycle(config_path, counting)
    assert counting.calls == fetched                       # nothing new within grades_every_hours: no call
    sim.event(Event(buyer='900001', kind='grade', grade=7))
    sim.event(Event(buyer='900001', kind='reduce', amount=Decimal('14000'), notice_days=30))
    report = cycle(config_path, counting)                  # a decision on the buyer: its grade is fetched too
    assert counting.calls == fetched + 1 and report.insurer.grades == [(str(acme), 4, 7)]


def test_a_request_whose_state_cannot_be_read_counts_as_sent_and_is_polled_when_the_feed_misses_it(make_config,
        client, sim, acme, admin):
    config = make_config(insurer_extra='poll_after_hours = 0\n')
    sim.add_faults([Fault(on='GET /riskinfo/v3/jobs', kind='malformed', times=3)])   # every try of the job read
    first = cycle(config, client)
    assert [(c, s) for c, _, _, _, s in first.insurer.sent] == [(str(acme), 'open')]
    assert len(first.insurer.unread) == 1 and 'followed up later' in first.insurer.unread[0]
    from io import StringIO
    from creditguard.connector.cli.views.insurer import write_cycle_insurer
    out = StringIO()
    write_cycle_insurer(first.insurer, out)
    assert '1 requests sent (1 of them without a readable answer)' in out.getvalue()

    sim.add_faults([Fault(on='POST /riskinfo/v3/covers/search', kind='status', status=200, body='{"covers": []}',
                          times=5)])                                        # the decision is missing from the feed
    second = cycle(config, client)
    assert [(c, state) for c, _job, state in second.insurer.polled] == [(str(acme), 'decided')]
    _store, ledger = ledger_of(config)
    with _store:
        assert [r['status'] for r in ledger.requests()] == ['decided']
    assert party(admin, acme)['insurer_cover_status'] == 'approved'
