"""Fill an Odoo 18 bench database with customers, posted invoices, payments and sale orders; runs INSIDE Odoo.

Usage (the script is piped into Odoo's shell; the sizes come from the environment):

    BENCH_CUSTOMERS=2000 BENCH_INVOICES=20000 BENCH_ORDERS=1800 \
    <odoo venv>/bin/python <odoo>/odoo-bin shell -c ODOO.CONF -d cgbench --no-http < bench/odoo_bulk.py

The database must be a copy of the development database (cg18: sale_management, account and credit_guard
installed, generic chart of accounts, company currency USD, the service user `creditguard`); copy it with the
database manager, e.g. over JSON-RPC `db.duplicate_database(<master password>, "cg18", "cgbench")`, or let
bench/odoo_sync_bench.py --build do both. It refuses to run twice on one database (customers named "Bench
Customer ..." already there).

Creates, deterministically (fixed seed), as superuser with mail tracking off, in batches of BATCH records
(create with a list of values, action_post on the recordset, one commit per batch):
- EUR and GBP activated with a rate (USD 1 = EUR 0.92 = GBP 0.79) from 200 days ago;
- CUSTOMERS companies (customer_rank 1) in 10 countries, a payment term each from Odoo's standard ones
  (immediate, 15/21/30/45 days, end of following month, "30% now, balance 60 days" with two instalments,
  "90 days on the 10th"), 40 % with a credit limit of 2,000-25,000 (and the company's credit-limit setting on);
  every 4th one with a contact person, to which 10 % of its invoices are addressed (the connector rolls contacts
  up to their commercial partner);
- INVOICES posted customer invoices (5 % refunds), one service line without tax of 20-4,000, 6 % in EUR and 3 %
  in GBP, invoice dates spread over the last 182 days in date order, customers drawn with a skew (a few buy much
  more than most);
- payments: about 60 % of the invoices paid in full with account.payment.register (one payment per invoice,
  all instalments, a payment date 5-60 days after the invoice date and never in the future), 8 % paid in part
  (30-80 % of the residual: account.payment records created in a batch, posted, and each reconciled with the
  invoice's first receivable line); refunds are paid back (outbound) like invoices;
- ORDERS confirmed sale orders (one or two lines of a service product invoiced on order, so confirmed orders are
  "to invoice") dated over the last 60 days, and ORDERS / 12 quotations (some marked sent).

Then it back-dates create_date/write_date of what it made to when it would have been entered (invoice and its
lines: invoice date 07:00 + a few minutes; a paid line: its last payment's date; partners: before the first
invoice; orders: their order date), capped at one hour ago. Without this every record carries the few minutes
of the build as write_date, and an incremental read (back to its bookmark less connector/erp/odoo/reader.py
OVERLAP = 120 s) would re-read whatever the last two minutes of the build wrote.

Prints a line per step with the elapsed time, and a final count check.
"""
import datetime as dt
import os
import random
import time

from odoo import Command

N_CUSTOMERS = int(os.environ.get('BENCH_CUSTOMERS', 2000))
N_INVOICES = int(os.environ.get('BENCH_INVOICES', 20000))
N_ORDERS = int(os.environ.get('BENCH_ORDERS', 1800))
BATCH = int(os.environ.get('BENCH_BATCH', 500))
WIZARD = int(os.environ.get('BENCH_WIZARD', 250))   # full payments made with account.payment.register
DAYS = 182
SEED = 20261130
COUNTRIES = ['US', 'US', 'DE', 'FR', 'GB', 'NL', 'IT', 'ES', 'BE', 'CH', 'TR', 'PL']
TERMS = ['immediate', '15days', '21days', '30days', '30days', '30days', '45days', 'end_following_month',
         'advance_60days', '90days_on_the_10th']
LIMITS = [2000, 5000, 10000, 25000]
RATES = {'EUR': 0.92, 'GBP': 0.79}

T0 = time.perf_counter()


def lap(message):
    print(f'[{time.perf_counter() - T0:7.1f}s] {message}', flush=True)


env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True,  # noqa: F821
                       mail_create_nosubscribe=True, mail_auto_subscribe_no_notify=True))
cr = env.cr
if env['res.partner'].search_count([('name', '=like', 'Bench Customer %')]):
    raise SystemExit('this database already has bench customers; start from a fresh copy')

rng = random.Random(SEED)
today = dt.date.today()
first_day = today - dt.timedelta(days=DAYS)
company = env.company
usd = company.currency_id

# -- currencies, settings, product ----------------------------------------------------------------------

currencies = {}
for code, rate in RATES.items():
    currency = env['res.currency'].with_context(active_test=False).search([('name', '=', code)], limit=1)
    currency.active = True
    env['res.currency.rate'].create({'currency_id': currency.id, 'company_id': company.id, 'rate': rate,
                                     'name': today - dt.timedelta(days=200)})
    currencies[code] = currency
company.account_use_credit_limit = True
product = env['product.product'].create({'name': 'Bench Service', 'type': 'service', 'invoice_policy': 'order',
                                         'list_price': 100.0, 'taxes_id': [Command.clear()],
                                         'sale_ok': True})
journal = env['account.journal'].search([('type', '=', 'sale'), ('company_id', '=', company.id)], limit=1)
bank = env['account.journal'].search([('type', '=', 'bank'), ('company_id', '=', company.id)], limit=1)
terms = [env.ref(f'account.account_payment_term_{name}') for name in TERMS]
countries = {code: env['res.country'].search([('code', '=', code)], limit=1).id for code in set(COUNTRIES)}
cr.commit()
lap(f'EUR/GBP rates, credit-limit setting, product {product.name}; journals {journal.code}, {bank.code}')

# -- customers ------------------------------------------------------------------------------------------

vlist = []
for i in range(N_CUSTOMERS):
    code = COUNTRIES[i % len(COUNTRIES)]
    values = {'name': f'Bench Customer {i:04d}', 'is_company': True, 'customer_rank': 1,
              'country_id': countries[code], 'street': f'{i + 1} Market Street', 'city': 'Bench City',
              'property_payment_term_id': terms[rng.randrange(len(terms))].id,
              'email': f'ar{i:04d}@bench.example'}
    if i % 5 < 2:
        values['credit_limit'] = LIMITS[rng.randrange(len(LIMITS))] * (1 + rng.randrange(0, 2) * 0.5)
    vlist.append(values)
customers = env['res.partner'].create(vlist)
contacts = env['res.partner'].create([{'name': f'Accounts {c.name[15:]}', 'parent_id': c.id, 'type': 'invoice',
                                       'email': f'contact{n:04d}@bench.example'}
                                      for n, c in enumerate(customers) if n % 4 == 0])
contact_of = {c.parent_id.id: c.id for c in contacts}
customer_ids = customers.ids
cr.commit()
lap(f'{len(customers)} customers ({sum(1 for v in vlist if "credit_limit" in v)} with a credit limit), '
    f'{len(contacts)} contacts')

# -- invoices -------------------------------------------------------------------------------------------

weights = [1 / (1 + rank / 20) for rank in range(N_CUSTOMERS)]
rng.shuffle(weights)
buyers = rng.choices(range(N_CUSTOMERS), weights=weights, k=N_INVOICES)
dates = [first_day + dt.timedelta(days=DAYS * i // N_INVOICES) for i in range(N_INVOICES)]
plan = []
for i in range(N_INVOICES):
    partner = customer_ids[buyers[i]]
    if partner in contact_of and rng.random() < 0.10:
        partner = contact_of[partner]
    draw = rng.random()
    currency = currencies['EUR'] if draw < 0.06 else currencies['GBP'] if draw < 0.09 else usd
    plan.append({'partner': partner, 'refund': rng.random() < 0.05, 'currency': currency.id,
                 'amount': rng.randrange(2_000, 400_000) / 100, 'date': dates[i]})

invoice_ids = []
for start in range(0, N_INVOICES, BATCH):
    vals = [{'move_type': 'out_refund' if p['refund'] else 'out_invoice', 'partner_id': p['partner'],
             'invoice_date': p['date'], 'date': p['date'], 'currency_id': p['currency'], 'journal_id': journal.id,
             'invoice_line_ids': [Command.create({'product_id': product.id, 'quantity': 1, 'name': 'Bench service',
                                                  'price_unit': p['amount'], 'tax_ids': [Command.clear()]})]}
            for p in plan[start:start + BATCH]]
    moves = env['account.move'].create(vals)
    moves.action_post()
    invoice_ids += moves.ids
    cr.commit()
    env.invalidate_all()
    if (start // BATCH) % 4 == 3 or start + BATCH >= N_INVOICES:
        lap(f'{len(invoice_ids)} invoices created and posted')

# -- payments -------------------------------------------------------------------------------------------

fate = {}
for n, move_id in enumerate(invoice_ids):
    draw = rng.random()
    fate[move_id] = 'full' if draw < 0.60 else 'part' if draw < 0.68 else 'open'
date_of = dict(zip(invoice_ids, (p['date'] for p in plan)))


def pay_date(invoice_date):
    return min(today - dt.timedelta(days=1), invoice_date + dt.timedelta(days=rng.randrange(5, 61)))


receipts = (bank.inbound_payment_method_line_ids[:1].payment_account_id or bank.default_account_id).id


def receivable(move):
    return move.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable' and not l.reconciled)


def pay_by_entry(moves, shares):
    """One bank journal entry for `moves`: per invoice a receivable line of its (share of the) residual, in the
    invoice's currency, reconciled with the invoice's open receivable lines (all of them for a share of 1, the
    first instalment otherwise) in one _reconcile_plan call; the counterpart on the bank's receipts account."""
    lines, plan, total = [], [], 0.0
    for move, share in zip(moves, shares):
        open_lines = receivable(move).sorted(lambda l: (l.date_maturity or l.date, l.id))
        if share < 1:
            open_lines = open_lines[:1]
        amount_currency = move.currency_id.round(sum(open_lines.mapped('amount_residual_currency')) * share)
        balance = usd.round(sum(open_lines.mapped('amount_residual')) * share)
        lines.append(Command.create({'account_id': open_lines[0].account_id.id, 'partner_id': move.commercial_partner_id.id,
                                     'currency_id': move.currency_id.id, 'amount_currency': -amount_currency,
                                     'balance': -balance, 'name': f'Payment of {move.name}'}))
        plan.append(open_lines)
        total += balance
    lines.append(Command.create({'account_id': receipts, 'balance': usd.round(total), 'currency_id': usd.id,
                                 'amount_currency': usd.round(total), 'name': 'Customer receipts'}))
    entry = env['account.move'].create({'move_type': 'entry', 'journal_id': bank.id, 'line_ids': lines,
                                        'date': pay_date(max(m.invoice_date for m in moves)),
                                        'ref': 'Bench customer receipts'})
    entry.action_post()
    mine = entry.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
    env['account.move.line']._reconcile_plan([group + line for group, line in zip(plan, mine)])
    entries.append(entry.id)


entries = []
full = [m for m in invoice_ids if fate[m] == 'full']
by_wizard = full[:WIZARD]
if by_wizard:
    moves = env['account.move'].browse(by_wizard)
    wizard = env['account.payment.register'].with_context(
        active_model='account.move.line', active_ids=moves.line_ids.filtered(
            lambda l: l.account_id.account_type == 'asset_receivable').ids).create(
        {'payment_date': pay_date(max(date_of[m] for m in by_wizard)), 'journal_id': bank.id,
         'group_payment': False, 'installments_mode': 'full'})
    wizard._create_payments()
    cr.commit()
    env.invalidate_all()
    lap(f'{len(by_wizard)} invoices paid in full with account.payment.register (one payment each)')
rest = full[WIZARD:]
for start in range(0, len(rest), BATCH):
    chunk = rest[start:start + BATCH]
    pay_by_entry(env['account.move'].browse(chunk), [1] * len(chunk))
    cr.commit()
    env.invalidate_all()
    if (start // BATCH) % 6 == 5 or start + BATCH >= len(rest):
        lap(f'{len(by_wizard) + start + len(chunk)} invoices paid in full')

part = [m for m in invoice_ids if fate[m] == 'part']
for start in range(0, len(part), BATCH):
    chunk = part[start:start + BATCH]
    pay_by_entry(env['account.move'].browse(chunk), [rng.uniform(0.3, 0.8) for _ in chunk])
    cr.commit()
    env.invalidate_all()
lap(f'{len(part)} invoices paid in part (30-80 % of the first instalment)')

# -- sale orders ----------------------------------------------------------------------------------------

n_quotes = N_ORDERS // 12
order_ids, order_dates = [], {}
for start in range(0, N_ORDERS + n_quotes, BATCH):
    vals = []
    for k in range(start, min(start + BATCH, N_ORDERS + n_quotes)):
        when = dt.datetime.combine(today - dt.timedelta(days=rng.randrange(0, 60)), dt.time(9)) \
            + dt.timedelta(minutes=rng.randrange(0, 480))
        lines = [Command.create({'product_id': product.id, 'product_uom_qty': rng.randrange(1, 20),
                                 'price_unit': rng.randrange(2_000, 200_000) / 100, 'tax_id': [Command.clear()]})
                 for _ in range(rng.choice((1, 1, 2)))]
        vals.append({'partner_id': customer_ids[rng.choices(range(N_CUSTOMERS), weights=weights)[0]],
                     'date_order': when, 'order_line': lines})
    orders = env['sale.order'].create(vals)
    order_dates.update(zip(orders.ids, (v['date_order'] for v in vals)))
    confirm = orders[:max(0, min(len(orders), N_ORDERS - start))]
    confirm.action_confirm()
    for order in confirm:                                   # action_confirm sets date_order to now
        order.date_order = order_dates[order.id]
    (orders - confirm).filtered(lambda o: o.id % 3 == 0).write({'state': 'sent'})
    order_ids += orders.ids
    cr.commit()
    env.invalidate_all()
lap(f'{N_ORDERS} sale orders confirmed, {n_quotes} quotations')

# -- back-dating ----------------------------------------------------------------------------------------

cap = dt.datetime.utcnow() - dt.timedelta(hours=1)
start_stamp = dt.datetime.combine(first_day - dt.timedelta(days=10), dt.time(0))
partner_ids = customer_ids + contacts.ids
cr.execute("""UPDATE res_partner SET create_date = LEAST(%s + (id - %s) * interval '5 minutes', %s),
                                    write_date = LEAST(%s + (id - %s) * interval '5 minutes', %s)
              WHERE id = ANY(%s)""", (start_stamp, min(partner_ids), cap, start_stamp, min(partner_ids), cap,
                                      partner_ids))
cr.execute("""UPDATE account_move SET create_date = LEAST(date + time '07:00' + (id %% 600) * interval '1 minute', %s),
                                     write_date = LEAST(date + time '07:00' + (id %% 600) * interval '1 minute', %s)
              WHERE id = ANY(%s)""", (cap, cap, invoice_ids))
cr.execute("""UPDATE account_move SET create_date = LEAST(date + time '16:00', %s),
                                     write_date = LEAST(date + time '16:00', %s)
              WHERE id IN (SELECT move_id FROM account_payment) OR id = ANY(%s)""", (cap, cap, entries))
cr.execute("""UPDATE account_move_line l SET create_date = m.create_date, write_date = m.write_date
              FROM account_move m WHERE l.move_id = m.id AND m.create_date <= %s""", (cap,))
# a line reconciled later was last written when it was paid: its latest partial reconciliation's date
cr.execute("""UPDATE account_move_line l SET write_date = LEAST(GREATEST(l.write_date, r.last + time '16:00'), %s)
              FROM (SELECT line, MAX(max_date) AS last FROM (
                        SELECT debit_move_id AS line, max_date FROM account_partial_reconcile
                        UNION ALL SELECT credit_move_id, max_date FROM account_partial_reconcile) x
                    GROUP BY line) r
              WHERE r.line = l.id""", (cap,))
cr.execute("""UPDATE account_payment p SET create_date = m.create_date, write_date = m.write_date
              FROM account_move m WHERE p.move_id = m.id""")
cr.execute("""UPDATE account_partial_reconcile SET create_date = LEAST(max_date + time '16:00', %s),
                                                  write_date = LEAST(max_date + time '16:00', %s)""", (cap, cap))
cr.execute("""UPDATE account_full_reconcile SET create_date = %s, write_date = %s""", (cap, cap))
cr.execute("""UPDATE sale_order SET create_date = LEAST(date_order, %s), write_date = LEAST(date_order, %s)
              WHERE id = ANY(%s)""", (cap, cap, order_ids))
cr.execute("""UPDATE sale_order_line l SET create_date = o.create_date, write_date = o.write_date
              FROM sale_order o WHERE l.order_id = o.id AND o.id = ANY(%s)""", (order_ids,))
cr.commit()
env.invalidate_all()
lap('create/write dates back-dated')

# -- check ----------------------------------------------------------------------------------------------

Move = env['account.move']
posted = Move.search_count([('move_type', 'in', ('out_invoice', 'out_refund')), ('state', '=', 'posted')])
states = {state: count for state, count in Move._read_group([('id', 'in', invoice_ids)], ['payment_state'],
                                                              ['__count'])}
lines = env['account.move.line'].search_count([('move_id', 'in', invoice_ids),
                                                ('account_id.account_type', '=', 'asset_receivable')])
by_state = {s: env['sale.order'].search_count([('id', 'in', order_ids), ('state', '=', s)])
            for s in ('draft', 'sent', 'sale')}
to_invoice = env['sale.order'].search_count([('id', 'in', order_ids), ('invoice_status', '=', 'to invoice')])
lap(f'check: {posted} posted customer invoices/refunds ({lines} receivable lines), payment states {states}; '
    f'orders {by_state}, {to_invoice} to invoice; {len(partner_ids)} partners')
if posted < N_INVOICES:
    raise SystemExit(f'expected {N_INVOICES} posted invoices, found {posted}')
