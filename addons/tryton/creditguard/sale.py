# This file is part of Credit Guard.  Licensed under the LGPL-3.0-or-later.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import CreditFlagWarning
from .notify import notify

COUNTED_STATES = ['confirmed', 'processing', 'done']


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    creditguard_confirmed_at = fields.DateTime(
        "Confirmed At", readonly=True,
        help="When the sale was confirmed (UTC): confirmed after Credit "
        "Guard's allowance was computed, it counts against it.")

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('creditguard_confirmed_at', None)
        return super().copy(sales, default=default)

    def must_check_credit_limit(self):
        # sale_credit_limit checks only shipment method "order";
        # a held party is checked for every sale
        party = self.invoice_party or self.party
        return (super().must_check_credit_limit()
            or bool(party and party.creditguard_hold))

    @classmethod
    @ModelView.button
    @Workflow.transition('quotation')
    def quote(cls, sales):
        cls.check_creditguard_flag(sales)
        super().quote(sales)
        cls.check_creditguard_allowance(sales, quote=True)

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, sales):
        cls.check_creditguard_allowance(sales)
        cls.check_creditguard_flag(sales)
        super().confirm(sales)
        cls.write(sales, {'creditguard_confirmed_at': dt.datetime.now(
                    dt.timezone.utc).replace(tzinfo=None)})
        notify('sale.sale.confirm', cls.__name__, [s.id for s in sales],
            [s.invoice_party or s.party for s in sales])

    @classmethod
    def check_creditguard_flag(cls, sales):
        "Warn, skippably by anyone, when a flagged party's sale goes on (a hold refuses instead)"
        Warning = Pool().get('res.user.warning')
        for sale in sales:
            party = sale.invoice_party or sale.party
            if party and party.creditguard_flag and not party.creditguard_hold:
                name = Warning.format('creditguard_flag', [sale])
                if Warning.check(name):
                    raise CreditFlagWarning(name, gettext(
                            'creditguard.msg_party_flagged',
                            party=party.rec_name,
                            reason=party.creditguard_flag_reason or ''))

    @classmethod
    def check_creditguard_allowance(cls, sales, quote=False):
        "The sale, and what came since, against the party's allowance (a hold refuses instead)"
        Party = Pool().get('party.party')
        before = {}     # the sales of this batch go one after the other
        for sale in sales:
            party = sale.invoice_party or sale.party
            if (party and not party.creditguard_hold
                    and party.creditguard_allowance_as_of):
                if not quote:
                    Party.lock([party])
                amount = sale.creditguard_amount
                added = sale.creditguard_added() + before.get(party, 0)
                party.check_creditguard_allowance(
                    sale, amount, added, quote=quote)
                before[party] = before.get(party, 0) + amount

    @property
    def creditguard_amount(self):
        "The total, tax included, in company currency at today's rate"
        return _company_amount(self.company, self.currency, self.total_amount)

    def creditguard_added(self):
        "This sale's amount with the sales and invoices since the allowance's as-of time"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        party = self.invoice_party or self.party
        as_of = party.creditguard_allowance_as_of
        company = self.company
        with without_check_access():
            sales = self.search([
                    ('company', '=', company.id),
                    ('id', '!=', self.id),
                    ('state', 'in', COUNTED_STATES),
                    ('creditguard_confirmed_at', '>', as_of),
                    ['OR',
                        ('invoice_party', '=', party.id),
                        [('invoice_party', '=', None),
                            ('party', '=', party.id)],
                        ],
                    ])
            invoices = Invoice.search([
                    ('company', '=', company.id),
                    ('type', '=', 'out'),
                    ('party', '=', party.id),
                    ('state', '=', 'posted'),
                    ('write_date', '>', as_of),
                    ])
            added = self.creditguard_amount
            added += sum(s.creditguard_amount for s in sales)
            # invoices from an order count with their order; credit notes not at all
            added += sum(a for a in (
                    _company_amount(company, i.currency, i.total_amount)
                    for i in invoices if not i.sales) if a > 0)
        return added


def _company_amount(company, currency, amount):
    "The amount in the company's currency at today's rate (the ERP's)"
    pool = Pool()
    Currency = pool.get('currency.currency')
    Date = pool.get('ir.date')
    with Transaction().set_context(company=company.id):
        today = Date.today()
    with Transaction().set_context(date=today):
        return Currency.compute(currency, amount or 0, company.currency)
