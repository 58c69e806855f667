"""Seed a new Tryton database with the base setup; runs INSIDE the embedded Tryton venv (proteus).

Usage: <tryton venv>/bin/python examples/tryton/seed.py DATABASE TRYTOND_CONF < spec.json

spec.json (from connector/testing/tryton.py, never on the command line: it holds passwords):
    {"company": "...", "currency": "EUR",
     "users": [{"login": "sales", "name": "...", "password": "...", "groups": [["sale", "group_sale"], ...]}]}

Creates: company and currency, chart of accounts with default accounts, one fiscal year from 18 months ago
to 6 months ahead with monthly periods and strict move/invoice sequences, payment terms "Net 30" and
"Net 60", a "Cash" payment method, a service product "Consulting hour" and the users of the spec.
"""
import datetime as dt
import json
import sys
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from proteus import Model, Wizard, config as proteus_config


def main(database, config_file, spec):
    config = proteus_config.set_trytond(database, user='admin', config_file=config_file)
    company = create_company(config, spec['company'], spec['currency'])
    accounts = create_chart(config, company)
    create_fiscal_year(company, dt.date.today())
    create_payment_terms()
    create_payment_method(company, accounts['cash'])
    create_product(accounts)
    for user in spec['users']:
        create_user(config, company, user)


def create_company(config, name, currency_code):
    Currency = Model.get('currency.currency')
    Party = Model.get('party.party')
    User = Model.get('res.user')
    currency = Currency(name=currency_code, code=currency_code, symbol=currency_code,
        rounding=Decimal('0.01'), digits=2)
    currency.save()
    party = Party(name=name)
    party.save()
    wizard = Wizard('company.company.config')
    wizard.execute('company')
    wizard.form.party = party
    wizard.form.currency = currency
    wizard.execute('add')
    config._context = User.get_preferences(True, {})
    company, = Model.get('company.company').find()
    return company


def create_chart(config, company):
    Account = Model.get('account.account')
    ModelData = Model.get('ir.model.data')
    Template = Model.get('account.account.template')
    template = Template(ModelData.get_id('account.account_template_root_en', config.context))
    wizard = Wizard('account.create_chart')
    wizard.execute('account')
    wizard.form.account_template = template
    wizard.form.company = company
    wizard.execute('create_account')

    def first(domain):
        account, = Account.find([('company', '=', company.id), ('closed', '!=', True)] + domain, limit=1)
        return account
    accounts = {kind: first([(f'type.{kind}', '=', True)])
        for kind in ('receivable', 'payable', 'revenue', 'expense')}
    accounts['cash'] = first([('code', '=', '1.1.1')])
    wizard.form.account_receivable = accounts['receivable']
    wizard.form.account_payable = accounts['payable']
    wizard.form.category_account_revenue = accounts['revenue']
    wizard.form.category_account_expense = accounts['expense']
    wizard.execute('create_properties')
    return accounts


def create_fiscal_year(company, today):
    FiscalYear = Model.get('account.fiscalyear')
    SequenceStrict = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')
    start = today - relativedelta(months=18, day=1)
    end = today + relativedelta(months=6, day=31)
    fiscal_year = FiscalYear(name=f'{start.year}-{end.year}', start_date=start, end_date=end,
        company=company)
    move_type, = SequenceType.find([('name', '=', 'Account Move')], limit=1)
    fiscal_year.move_sequence = SequenceStrict(name='Moves', sequence_type=move_type, company=company)
    fiscal_year.move_sequence.save()
    invoice_type, = SequenceType.find([('name', '=', 'Invoice')], limit=1)
    invoices = SequenceStrict(name='Invoices', prefix='INV/', sequence_type=invoice_type,
        company=company)
    invoices.save()
    line, = fiscal_year.invoice_sequences
    line.out_invoice_sequence = line.out_credit_note_sequence = invoices
    line.in_invoice_sequence = line.in_credit_note_sequence = invoices
    fiscal_year.save()
    fiscal_year.click('create_period')


def create_payment_terms():
    PaymentTerm = Model.get('account.invoice.payment_term')
    for days in (30, 60):
        term = PaymentTerm(name=f'Net {days}')
        term.lines.new(type='remainder').relativedeltas.new(days=days)
        term.save()


def create_payment_method(company, cash):
    Journal = Model.get('account.journal')
    PaymentMethod = Model.get('account.invoice.payment.method')
    journal, = Journal.find([('type', '=', 'cash')], limit=1)
    PaymentMethod(name='Cash', company=company, journal=journal,
        credit_account=cash, debit_account=cash).save()


def create_product(accounts):
    Category = Model.get('product.category')
    Template = Model.get('product.template')
    unit, = Model.get('product.uom').find([('name', '=', 'Unit')])
    category = Category(name='Services', accounting=True,
        account_revenue=accounts['revenue'], account_expense=accounts['expense'])
    category.save()
    Template(name='Consulting hour', type='service', default_uom=unit, salable=True,
        list_price=Decimal('100'), account_category=category).save()


def create_user(config, company, spec):
    Company = Model.get('company.company')
    Group = Model.get('res.group')
    ModelData = Model.get('ir.model.data')
    user = Model.get('res.user')(name=spec['name'], login=spec['login'])
    user.password = spec['password']
    for module, xml_id in spec['groups']:
        user.groups.append(Group(ModelData.get_id(module, xml_id, config.context)))
    user.companies.append(Company(company.id))
    user.company = Company(company.id)
    user.save()


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], json.load(sys.stdin))
