# This file is part of Credit Guard.  Licensed under the LGPL-3.0-or-later.
from trytond.i18n import gettext
from trytond.model import ModelView, Workflow
from trytond.pool import Pool, PoolMeta

from .exceptions import CreditFlagWarning


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

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

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, sales):
        cls.check_creditguard_flag(sales)
        super().confirm(sales)

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
