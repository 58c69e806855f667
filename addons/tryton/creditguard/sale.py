# This file is part of Credit Guard.  Licensed under the LGPL-3.0-or-later.
from trytond.pool import PoolMeta


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    def must_check_credit_limit(self):
        # sale_credit_limit checks only shipment method "order";
        # a held party is checked for every sale
        party = self.invoice_party or self.party
        return (super().must_check_credit_limit()
            or bool(party and party.creditguard_hold))
