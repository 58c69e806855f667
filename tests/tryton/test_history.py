"""Payment history from a real Tryton: `creditguard snapshot` writes contract 1.1 with each invoice's payments."""
import datetime as dt
import json
from decimal import Decimal

from tests.tryton.test_cycle import config, creditguard, make_config, today  # noqa: F401  (fixtures)


def test_the_snapshot_carries_partial_payments_and_the_date_an_invoice_was_paid(config, books, today):  # noqa: F811
    party = books.create_customer('History Trading Ltd', credit_limit=100000)
    partly = books.create_invoice(party, 1000, today - dt.timedelta(days=60))
    paid = books.create_invoice(party, 300, today - dt.timedelta(days=40))
    books.pay_invoice(partly, amount='400', date=today - dt.timedelta(days=20))
    books.pay_invoice(paid, date=today - dt.timedelta(days=10))
    assert creditguard('sync', '--config', config).returncode == 0
    export = config.parent / 'snapshot.json'

    proc = creditguard('snapshot', '--config', config, '-o', export)

    assert proc.returncode == 0, proc.stderr
    doc = json.loads(export.read_text())
    assert doc['format'] == 'creditguard-snapshot/1.1'
    invoices = {i['id']: i for i in doc['invoices']}
    assert [(p['date'], Decimal(p['amount']), p['kind']) for p in invoices[str(partly)]['payments']] == \
        [(str(today - dt.timedelta(days=20)), Decimal(400), 'payment')]
    assert Decimal(invoices[str(partly)]['amount_residual']) == 600
    assert [(p['date'], Decimal(p['amount'])) for p in invoices[str(paid)]['payments']] == \
        [(str(today - dt.timedelta(days=10)), Decimal(300))]
    kpis = json.loads(creditguard('kpis', '--snapshot', export, '--format', 'json').stdout)
    mine = next(c for c in kpis['customers'] if c['name'] == 'History Trading Ltd')
    assert mine['settled_invoices'] == 1 and mine['open_receivables'] == '600.00'
