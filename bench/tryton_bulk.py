"""Fill a copy of the embedded Tryton template with bench data; runs INSIDE the Tryton venv (trytond in-process).

Usage: <tryton venv>/bin/python bench/tryton_bulk.py DATABASE TRYTOND_CONF [INVOICES] [PARTIES]

Called by bench/tryton_sync_bench.py, which caches the result (keyed by this file and the template key).
The database must be a copy of the template seeded by examples/tryton/seed.py (company, chart, fiscal year
from 18 months ago, "Net 30", product "Consulting hour", user admin).

Creates, deterministically (fixed seed):
- 6 countries and PARTIES customer parties (one address each, "Net 30"); 40 % of them with a credit limit;
- INVOICES posted customer invoices, one service line each, invoice dates spread over the last 182 days
  (ascending, so the fresh strict sequence "BENCH/" numbers them in date order), parties drawn with a skew
  (a few parties buy much more than most), made and posted in batches of 500, one transaction per batch.

Then it back-dates create_date/write_date of the parties and invoices to when they would have been entered
(invoice: its invoice date, 07:00 UTC + 4 min per invoice of that day; parties: 10 minutes apart in the
ten days before the first invoice). Without this every record would carry the few minutes of the build as
write_date, and an incremental read (which goes back reader.OVERLAP = 120 s before its bookmark) would
re-read thousands of invoices that a real book-keeping history spreads over months.

Tryton pitfalls handled: warnings skipped with context `_skip_warnings`
(P6: back-dated payment dates); TransactionError retried with the fix kept across batches (P7); records are
used only inside their transaction (ids are copied out).
"""
import datetime as dt
import random
import sys
import time
from decimal import Decimal

DB, CONF = sys.argv[1], sys.argv[2]
N_INVOICES = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
N_PARTIES = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000
BATCH = 500
DAYS = 182
SEED = 20261127
COUNTRIES = [('DE', 'Germany'), ('FR', 'France'), ('GB', 'United Kingdom'), ('NL', 'Netherlands'),
    ('IT', 'Italy'), ('US', 'United States')]
LIMITS = [Decimal('2000'), Decimal('5000'), Decimal('10000'), Decimal('25000')]

from trytond import config  # noqa: E402

config.update_etc(CONF)
from trytond.pool import Pool  # noqa: E402
from trytond.transaction import Transaction, TransactionError  # noqa: E402

T0 = time.perf_counter()


def lap(message):
    print(f'[{time.perf_counter() - T0:7.1f}s] {message}', flush=True)


Pool.start()
pool = Pool(DB)
pool.init()
lap('pool loaded')

with Transaction().start(DB, 0, readonly=True):
    admin_id, = [u.id for u in pool.get('res.user').search([('login', '=', 'admin')])]
with Transaction().start(DB, admin_id, readonly=True):
    CONTEXT = pool.get('res.user').get_preferences(context_only=True)
CONTEXT['_skip_warnings'] = True
EXTRAS = {}      # TransactionError fixes (locks to take up front), kept across batches


def in_transaction(work):
    """Run work() in one transaction and commit; retry on TransactionError like Tryton's dispatcher does."""
    for attempt in range(20):
        with Transaction().start(DB, admin_id, context=CONTEXT, **EXTRAS) as transaction:
            try:
                result = work()
            except TransactionError as error:
                transaction.rollback()
                lap(f'  retry after {type(error).__name__}')
                error.fix(EXTRAS)
                continue
            transaction.commit()
            return result
    raise SystemExit('giving up after 20 TransactionError retries')


today = dt.date.today()
first_day = today - dt.timedelta(days=DAYS)
rng = random.Random(SEED)


def setup():
    """Lookups, a fresh strict invoice sequence, countries and parties; returns plain values."""
    Account = pool.get('account.account')
    Country = pool.get('country.country')
    FiscalYear = pool.get('account.fiscalyear')
    Journal = pool.get('account.journal')
    Party = pool.get('party.party')
    PaymentTerm = pool.get('account.invoice.payment_term')
    Product = pool.get('product.product')
    SequenceStrict = pool.get('ir.sequence.strict')
    SequenceType = pool.get('ir.sequence.type')
    company = CONTEXT['company']
    currency = pool.get('company.company')(company).currency.id
    receivable, = Account.search([('type.receivable', '=', True), ('closed', '!=', True)], limit=1)
    net30, = PaymentTerm.search([('name', '=', 'Net 30')], limit=1)
    journal, = Journal.search([('type', '=', 'revenue')], limit=1)
    product, = Product.search([('rec_name', '=', 'Consulting hour')], limit=1)
    revenue = product.account_revenue_used
    years = FiscalYear.search([('start_date', '<=', first_day), ('end_date', '>=', today)])
    if len(years) != 1:
        raise SystemExit(f'expected one fiscal year covering {first_day}..{today}, found {len(years)}')
    year, = years
    # a fresh strict sequence: only bench invoices use it, numbered in date order (P6)
    kind, = SequenceType.search([('name', '=', 'Invoice')], limit=1)
    sequence, = SequenceStrict.create([{'name': 'Bench invoices', 'prefix': 'BENCH/',
        'sequence_type': kind.id, 'company': company}])
    for line in year.invoice_sequences:
        line.out_invoice_sequence = sequence
        line.out_credit_note_sequence = sequence
    year.invoice_sequences = year.invoice_sequences
    year.save()
    countries = [c.id for c in Country.create([{'code': code, 'name': name} for code, name in COUNTRIES])]
    vlist = []
    for i in range(N_PARTIES):
        values = {'name': f'Bench Customer {i:04d}', 'customer_payment_term': net30.id,
            'addresses': [('create', [{'street': f'{i + 1} Market Street',
                'country': countries[i % len(countries)]}])]}
        if i % 5 < 2:
            values['credit_limit_amount'] = LIMITS[i % len(LIMITS)]
        vlist.append(values)
    parties = Party.create(vlist)
    return {'company': company, 'currency': currency, 'receivable': receivable.id, 'revenue': revenue.id,
        'journal': journal.id, 'net30': net30.id, 'product': product.id, 'unit': product.default_uom.id,
        'parties': [(p.id, p.addresses[0].id) for p in parties]}


S = in_transaction(setup)
lap(f'{N_PARTIES} parties, {len(COUNTRIES)} countries, fresh invoice sequence BENCH/')

# skewed buyers: weight 1 / (1 + rank / 20), shuffled over the parties
weights = [1 / (1 + rank / 20) for rank in range(N_PARTIES)]
rng.shuffle(weights)
buyers = rng.choices(range(N_PARTIES), weights=weights, k=N_INVOICES)
dates = [first_day + dt.timedelta(days=DAYS * i // N_INVOICES) for i in range(N_INVOICES)]
amounts = [Decimal(rng.randrange(2_000, 400_000)) / 100 for _ in range(N_INVOICES)]


def make_batch(start, stop):
    Invoice = pool.get('account.invoice')
    vlist = []
    for i in range(start, stop):
        party, address = S['parties'][buyers[i]]
        vlist.append({'type': 'out', 'company': S['company'], 'currency': S['currency'], 'party': party,
            'invoice_address': address, 'account': S['receivable'], 'journal': S['journal'],
            'payment_term': S['net30'], 'invoice_date': dates[i],
            'lines': [('create', [{'type': 'line', 'product': S['product'], 'quantity': 1,
                'unit': S['unit'], 'unit_price': amounts[i], 'account': S['revenue'],
                'description': 'Consulting hour', 'company': S['company'], 'currency': S['currency']}])]})
    invoices = Invoice.create(vlist)
    Invoice.post(invoices)
    return [(invoice.id, invoice.invoice_date) for invoice in invoices]


made = []
for start in range(0, N_INVOICES, BATCH):
    made += in_transaction(lambda: make_batch(start, min(start + BATCH, N_INVOICES)))
    lap(f'{len(made)} invoices created and posted')


def backdate():
    """create_date = write_date = when the record would have been entered (see the module docstring)."""
    cursor = Transaction().connection.cursor()
    cap = dt.datetime.utcnow() - dt.timedelta(hours=1)
    party = pool.get('party.party').__table__()
    start = dt.datetime.combine(first_day - dt.timedelta(days=10), dt.time(0))
    for n, (party_id, _address) in enumerate(S['parties']):
        stamp = min(start + dt.timedelta(minutes=10 * n), cap)
        cursor.execute(*party.update([party.create_date, party.write_date], [stamp, stamp],
            where=party.id == party_id))
    invoice = pool.get('account.invoice').__table__()
    per_day = {}
    for invoice_id, invoice_date in sorted(made):
        k = per_day[invoice_date] = per_day.get(invoice_date, -1) + 1
        stamp = min(dt.datetime.combine(invoice_date, dt.time(7)) + dt.timedelta(minutes=4 * k), cap)
        cursor.execute(*invoice.update([invoice.create_date, invoice.write_date], [stamp, stamp],
            where=invoice.id == invoice_id))


in_transaction(backdate)
lap('create/write dates of parties and invoices back-dated')


def check():
    Invoice = pool.get('account.invoice')
    posted = Invoice.search_count([('type', '=', 'out'), ('state', '=', 'posted')])
    parties = pool.get('party.party').search_count([])
    return posted, parties


posted, parties = in_transaction(check)
lap(f'check: {posted} posted customer invoices, {parties} parties')
if posted != N_INVOICES:
    raise SystemExit(f'expected {N_INVOICES} posted invoices, found {posted}')
