"""Overdue declarations end to end: a real Tryton, the simulated insurer, real cycles on a moving date.

The policy terms of test_insurer_flow's config: declare within 60 days of the due date, so Credit Guard files
from 53 days past due (60 less the 7 warning days). Invoices are booked in the past (payment term Net 30); the
cycle's `as_of` moves the clock forward."""
import datetime as dt
import json

from creditguard.connector.insurer.flow import CRASH_EXIT, FAULT_ENV
from creditguard.connector.insurer.overdues import OverdueDesk
from creditguard.connector.insurer.simulator import Event, Fault
from creditguard.connector.cycle.store import Store
from tests.tryton.test_insurer_flow import (  # noqa: F401 (fixtures)
    client, creditguard, cycle, make_config, party, result_of, sim, today, waits)


def declarations(config_path):
    with Store(config_path.parent / 'store.sqlite') as store:
        desk = OverdueDesk(store)
        return [(d, desk.invoices(d['id'])) for d in desk.declarations()]


def filed(sim):
    return sim.stats()['overdue_declarations']


def booked(books, name, *days_past_due, amount=2000):
    """A customer known to the insurer with one invoice per `days_past_due` (due date = today - days)."""
    customer = books.create_customer(name, credit_limit=100000, country='DE')
    for days in days_past_due:
        books.create_invoice(customer, amount, dt.date.today() - dt.timedelta(days=30 + days))
    return customer


def test_an_overdue_is_declared_once_before_its_deadline_and_the_buyer_is_held(make_config, client, sim, books,
        admin, today):
    config = make_config()
    acme = booked(books, 'Acme Handels GmbH', 50)
    early = cycle(config, client, as_of=today)
    assert filed(sim) == 0 and not declarations(config)                 # 50 days: not yet
    assert early.insurer.declarations == []

    due = cycle(config, client, as_of=today + dt.timedelta(days=3))      # 53 days past due
    assert filed(sim) == 1
    [(declaration, invoices)] = declarations(config)
    assert declaration['status'] == 'filed' and not declaration['late'] and declaration['kind'] == 'OVD'
    assert declaration['deadline'] == (today + dt.timedelta(days=10)).isoformat()
    assert [i['amount'] for i in invoices] == ['2000.00'] and all(i['sent'] for i in invoices)
    result = result_of(due, acme)                  # held in the same cycle that declared it
    assert result.status == 'hold' and 'insurer.declared_buyer' in [d.rule for d in result.decisions]
    assert 'insurer.overdue_to_declare' not in [d.rule for d in result.decisions]
    assert party(admin, acme)['creditguard_hold_rule'] == 'insurer.declared_buyer'

    cycle(config, client, as_of=today + dt.timedelta(days=4))
    assert filed(sim) == 1 and len(declarations(config)) == 1            # never a second one


def test_a_payment_before_filing_files_nothing(make_config, client, sim, books, today):
    config = make_config(insurer_extra='declarations = "manual"\n')
    acme = booked(books, 'Acme Handels GmbH', 55)
    cycle(config, client, as_of=today)
    [(declaration, _)] = declarations(config)
    assert declaration['status'] == 'awaiting_approval' and filed(sim) == 0
    shown = creditguard('insurer', 'deadlines', '--config', config, '--as-of', today.isoformat())
    assert shown.returncode == 0, shown.stderr
    assert (f"declare by {(today + dt.timedelta(days=5)).isoformat()} (5 days left): {acme} Acme Handels GmbH: "
            f"declaration D{declaration['id']} (OVD, 1 invoice) awaiting approval") in shown.stdout

    [invoice] = books.client.search('account.invoice', [('party', '=', acme)], 0, None, None)
    books.pay_invoice(invoice)
    cycle(config, client, as_of=today + dt.timedelta(days=1))
    [(declaration, _)] = declarations(config)
    assert declaration['status'] == 'cancelled' and filed(sim) == 0
    shown = creditguard('insurer', 'deadlines', '--config', config, '--as-of', today.isoformat())
    assert 'No open deadline.' in shown.stdout
    for wrong, says in ((f"D{declaration['id']}", 'is cancelled (paid before filing), not awaiting approval'),
                        ('D99', 'no overdue declaration D99'), ('Dx', "is not overdue declaration"),
                        ('C1', 'no claim C1'), ('seven', 'neither a request ID')):
        refused = creditguard('insurer', 'approve', '--config', config, wrong)
        assert refused.returncode == 2 and says in refused.stderr and 'Traceback' not in refused.stderr


def test_further_overdues_join_the_open_declaration(make_config, client, sim, books, today):
    config = make_config()
    booked(books, 'Acme Handels GmbH', 53, 40)
    cycle(config, client, as_of=today)
    [(declaration, invoices)] = declarations(config)
    assert len(invoices) == 1 and filed(sim) == 1
    cycle(config, client, as_of=today + dt.timedelta(days=13))          # the second invoice at 53 days too
    [(declaration, invoices)] = declarations(config)
    assert len(invoices) == 2 and all(i['sent'] for i in invoices) and filed(sim) == 1
    assert len(sim.engine.state['overdues'][declaration['insurer_id']]['invoices']) == 2


def test_a_late_declaration_is_flagged_and_the_insurer_cancels_the_cover(make_config, client, sim, books, admin,
        today):
    config = make_config()
    acme = books.create_customer('Acme Handels GmbH', credit_limit=100000, country='DE')
    books.create_invoice(acme, 12000, today - dt.timedelta(days=3))           # above the discretionary limit
    first = cycle(config, client, as_of=today)
    assert party(admin, acme)['insurer_cover_status'] == 'approved'
    books.create_invoice(acme, 500, today - dt.timedelta(days=30 + 70))       # 70 days past due: 10 days late
    late = cycle(config, client, as_of=today)
    assert first.insurer.declarations == []
    [(declaration, _)] = declarations(config)
    assert declaration['status'] == 'filed' and declaration['late']
    assert any('filed after its deadline' in m for m in late.insurer.review)
    after = cycle(config, client, as_of=today)                          # the cancellation comes with the feed
    assert party(admin, acme)['insurer_cover_status'] == 'cancelled'
    assert result_of(after, acme).status == 'hold'
    assert {'insurer.cover_refused', 'insurer.declared_buyer'} <= {d.rule for d in result_of(after, acme).decisions}


def test_a_crash_after_filing_replays_the_same_key_and_files_once(make_config, sim, books, today):
    config = make_config()
    booked(books, 'Acme Handels GmbH', 55)
    crashed = creditguard('run', '--config', config, '--once', env={FAULT_ENV: '1'})
    assert crashed.returncode == CRASH_EXIT, crashed.stderr
    assert filed(sim) == 1
    [(declaration, _)] = declarations(config)
    assert declaration['status'] == 'queued' and declaration['attempts'] == 1     # the answer was never recorded
    again = creditguard('run', '--config', config, '--once')
    assert again.returncode == 0, again.stderr
    assert filed(sim) == 1                                                         # replayed, not filed twice
    [(declaration, _)] = declarations(config)
    assert declaration['status'] == 'filed' and declaration['insurer_id']
    assert f"declaration D{declaration['id']} for" in again.stdout


def test_a_deadline_near_is_notified_once_and_an_insurer_outage_says_it_is_at_risk(make_config, client, sim, books,
        admin, today):
    config = make_config(insurer_extra='declarations = "manual"\n')
    acme = booked(books, 'Acme Handels GmbH', 55)
    report = cycle(config, client, as_of=today)
    [notice] = [w for w, _ in report.done if w.rules == 'insurer.declaration_deadline']
    assert notice.customer_id == str(acme) and '(5 days left; it awaits approval' in notice.payload['text']
    again = cycle(config, client, as_of=today)
    assert not [w for w, _ in again.done if w.rules == 'insurer.declaration_deadline']     # once per deadline

    [(declaration, _)] = declarations(config)
    assert creditguard('insurer', 'approve', '--config', config, f"D{declaration['id']}").returncode == 0
    sim.add_faults([Fault(on='POST /payment-overdues', kind='status', status=503, times=3)])
    down = cycle(config, client, as_of=today + dt.timedelta(days=2))
    [(declaration, _)] = declarations(config)
    assert declaration['status'] == 'queued' and filed(sim) == 0 and down.insurer.problem
    [notice] = [w for w, _ in down.done if w.rules == 'insurer.declaration_deadline']
    assert '3 days left' in notice.payload['text'] and 'the deadline is at risk' in notice.payload['text']
    back = cycle(config, client, as_of=today + dt.timedelta(days=2))
    assert filed(sim) == 1 and back.insurer.problem is None


def test_a_buyer_allowed_an_extension_gets_an_extension_request_first(make_config, client, sim, books, today):
    acme = books.create_customer('Acme Handels GmbH', credit_limit=100000, country='DE')
    books.create_invoice(acme, 2000, today - dt.timedelta(days=30 + 54))
    config = make_config(insurer_extra=f'extensions = ["{acme}"]\n')
    report = cycle(config, client, as_of=today)
    [(declaration, _)] = declarations(config)
    assert declaration['kind'] == 'EXP' and declaration['status'] == 'filed'
    assert declaration['message'] == 'ExtensionGranted'
    assert any('EXP opened' in what for *_, what in report.insurer.declarations)


CLAIMS = 'claim_filing_days = 90\nwaiting_period_days = 180\n'


def claims(config_path):
    from creditguard.connector.insurer.claims import ClaimDesk
    with Store(config_path.parent / 'store.sqlite') as store:
        return ClaimDesk(store).claims()


def test_an_unpaid_declared_overdue_is_claimed_once_after_approval_and_indemnified_after_the_waiting_period(
        make_config, client, sim, books, admin, today):
    config = make_config(insurance_extra=CLAIMS)
    acme = booked(books, 'Acme Handels GmbH', 55)
    cycle(config, client, as_of=today)                                   # declared
    assert not claims(config)
    later = cycle(config, client, as_of=today + dt.timedelta(days=5))    # 60 days: the extension period is over
    [claim] = claims(config)
    assert claim['status'] == 'awaiting_approval' and claim['claimed'] == '2000.00' and claim['expected'] == '1800.00'
    assert claim['claim_by'] == (today + dt.timedelta(days=95)).isoformat()
    assert result_of(later, acme).facts['claim_open'] is True
    cycle(config, client, as_of=today + dt.timedelta(days=6))
    assert sim.engine.state['claims'] == {}                 # documents missing and nobody approved: not filed
    shown = creditguard('insurer', 'claims', '--config', config)
    assert shown.returncode == 0, shown.stderr
    assert 'documents missing: sales order or contract, proof of delivery' in shown.stdout
    assert 'statement of account: 1 open item' in shown.stdout
    deadlines = creditguard('insurer', 'deadlines', '--config', config, '--as-of', today.isoformat())
    assert f"claim by {claim['claim_by']} (95 days left): {acme} Acme Handels GmbH: claim C{claim['id']}" \
        in deadlines.stdout

    approved = creditguard('insurer', 'approve', '--config', config, f"C{claim['id']}")
    assert approved.returncode == 0 and 'missing: sales order or contract, proof of delivery' in approved.stdout
    cycle(config, client, as_of=today + dt.timedelta(days=7))
    cycle(config, client, as_of=today + dt.timedelta(days=8))
    assert len(sim.engine.state['claims']) == 1                          # filed once
    [claim] = claims(config)
    assert claim['status'] == 'filed' and claim['insurer_id']

    sim.advance(days=180)                                                 # the waiting period runs out
    paid = cycle(config, client, as_of=today + dt.timedelta(days=190))
    [claim] = claims(config)
    assert claim['status'] == 'paid' and claim['indemnity'] == '1800.00'   # 90 % of 2,000
    assert any('indemnity 1,800.00' in what for *_, what in paid.insurer.claims)
    assert result_of(paid, acme).facts['claim_open'] is False

    [invoice] = books.client.search('account.invoice', [('party', '=', acme)], 0, None, None)
    books.pay_invoice(invoice, amount=500)                                # the buyer pays part after all
    recovered = cycle(config, client, as_of=today + dt.timedelta(days=191))
    [claim] = claims(config)
    assert claim['recovered'] == '500.00'
    assert any('recovery recorded: 500.00' in what for *_, what in recovered.insurer.claims)
    cycle(config, client, as_of=today + dt.timedelta(days=192))
    assert [c['recovered'] for c in claims(config)] == ['500.00']


def test_a_claim_paid_before_filing_is_cancelled(make_config, client, sim, books, today):
    config = make_config(insurance_extra=CLAIMS)
    acme = booked(books, 'Acme Handels GmbH', 60)
    cycle(config, client, as_of=today)
    [claim] = claims(config)
    assert claim['status'] == 'awaiting_approval'
    [invoice] = books.client.search('account.invoice', [('party', '=', acme)], 0, None, None)
    books.pay_invoice(invoice)
    cycle(config, client, as_of=today + dt.timedelta(days=1))
    [claim] = claims(config)
    assert claim['status'] == 'cancelled' and sim.engine.state['claims'] == {}
    [(declaration, _)] = declarations(config)
    assert declaration['status'] == 'closed'                              # and the declaration closed


def test_an_insolvency_reported_by_the_insurer_declares_and_claims_every_unpaid_invoice_at_once(make_config, client,
        sim, books, admin, today):
    config = make_config(insurance_extra=CLAIMS)
    acme = books.create_customer('Acme Handels GmbH', credit_limit=100000, country='DE')
    books.create_invoice(acme, 12000, today - dt.timedelta(days=10))           # not due yet, above the
    cycle(config, client, as_of=today)                                       # discretionary limit: covered
    assert not declarations(config) and party(admin, acme)['insurer_cover_status'] == 'approved'
    sim.event(Event(buyer='900001', kind='insolvency'))
    report = cycle(config, client, as_of=today)
    [(declaration, invoices)] = declarations(config)
    assert declaration['status'] == 'filed' and [i['amount'] for i in invoices] == ['12000.00']
    [claim] = claims(config)
    assert claim['status'] == 'awaiting_approval' and claim['claim_from'] == today.isoformat()
    assert result_of(report, acme).status == 'hold'
    assert party(admin, acme)['insurer_cover_status'] == 'cancelled'


def test_an_invoice_made_from_a_sale_has_its_order_in_the_claim_file(make_config, client, sim, books, today):
    config = make_config(insurance_extra=CLAIMS)
    acme = books.create_customer('Acme Handels GmbH', credit_limit=100000, country='DE')
    sale = books.create_sale(acme, 2000)
    books.client.button('sale.sale', 'confirm', [sale])                 # processed at once: a draft invoice
    [number] = [s['number'] for s in books.client.read('sale.sale', [sale], ['number'])]
    [invoice] = books.client.search('account.invoice', [('party', '=', acme)], 0, None, None)
    past = today - dt.timedelta(days=30 + 60)
    books.client.write('account.invoice', [invoice], {'invoice_date': past})
    books._use_sequence_after(past)
    books._click_through_warnings('account.invoice', 'post', invoice)
    cycle(config, client, as_of=today)
    [claim] = claims(config)
    claim_file = json.loads(claim['file'])
    assert claim_file['orders'] == [number]
    assert claim_file['documents']['sales order or contract'] == f'from the ERP: {number}'
    assert json.loads(claim['missing']) == ['proof of delivery']        # a service: nothing was shipped
    assert claim['status'] == 'awaiting_approval'
