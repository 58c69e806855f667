# This file is part of Credit Guard.  Licensed under the LGPL-3.0-or-later.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import (
    CreditAllowanceError, CreditAllowanceWarning, CreditFlagAllowanceWarning,
    CreditHoldError, CreditHoldOriginError, CreditHoldWarning)
from .notify import notify

HOLD_ORIGINS = [
    (None, ""),
    ('credit_guard', "Credit Guard"),
    ('manual', "Manual"),
    ]
HOLD_FIELDS = {'creditguard_hold', 'creditguard_hold_reason',
    'creditguard_hold_since', 'creditguard_hold_rule', 'creditguard_hold_origin'}
ALLOWANCE_FIELDS = ['creditguard_allowance', 'creditguard_allowance_limited',
    'creditguard_allowance_rule', 'creditguard_allowance_bound',
    'creditguard_flag_allowance', 'creditguard_flag_allowance_limited',
    'creditguard_flag_allowance_rule', 'creditguard_flag_allowance_bound',
    'creditguard_exposure', 'creditguard_allowance_currency',
    'creditguard_allowance_as_of']
COVER_STATUSES = [
    (None, ""),
    ('approved', "Approved"),
    ('partial', "Partial"),
    ('pending', "Pending"),
    ('refused', "Refused"),
    ('cancelled', "Cancelled"),
    ('expired', "Expired"),
    ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    creditguard_hold = fields.Boolean(
        "On Credit Hold", help="Sales to this party cannot be confirmed.")
    creditguard_hold_reason = fields.Text("Hold Reason")
    creditguard_hold_since = fields.DateTime("On Hold Since")
    creditguard_hold_rule = fields.Char(
        "Hold Rule", help="The Credit Guard rule that placed the hold.")
    creditguard_hold_origin = fields.Selection(
        HOLD_ORIGINS, "Hold Origin",
        help="Credit Guard lifts its own holds; a manual hold is lifted "
        "only by a person.")
    creditguard_flag = fields.Boolean(
        "Credit Flag",
        help="Sales to this party show a warning with the flag reason.")
    creditguard_flag_reason = fields.Text("Flag Reason")
    insurer_cover_amount = fields.Numeric("Insurer Cover", digits=(16, 2))
    insurer_cover_status = fields.Selection(
        COVER_STATUSES, "Insurer Cover Status")
    insurer_cover_valid_until = fields.Date("Insurer Cover Valid Until")
    insurer_cover_request_pending = fields.Boolean(
        "Insurer Cover Request Pending")
    creditguard_allowance = fields.Numeric(
        "Allowance Left", digits=(16, 2),
        help="How much more exposure Credit Guard's policy accepts before "
        "a hold rule fires (company currency).")
    creditguard_allowance_limited = fields.Boolean(
        "Allowance Limited",
        help="Unchecked: no hold rule fires whatever the amount.")
    creditguard_allowance_rule = fields.Char(
        "Allowance Rule", help="The Credit Guard rule that bounds it.")
    creditguard_allowance_bound = fields.Char("Allowance Bound")
    creditguard_flag_allowance = fields.Numeric(
        "Flag Allowance Left", digits=(16, 2),
        help="How much more exposure Credit Guard's policy accepts before "
        "a flag rule fires (company currency).")
    creditguard_flag_allowance_limited = fields.Boolean(
        "Flag Allowance Limited",
        help="Unchecked: no flag rule fires whatever the amount.")
    creditguard_flag_allowance_rule = fields.Char(
        "Flag Allowance Rule", help="The Credit Guard rule that bounds it.")
    creditguard_flag_allowance_bound = fields.Char("Flag Allowance Bound")
    creditguard_exposure = fields.Numeric(
        "Credit Guard Exposure", digits=(16, 2),
        help="The exposure the allowances were computed from.")
    creditguard_allowance_currency = fields.Char(
        "Allowance Currency", size=3, help="The company currency's ISO code.")
    creditguard_allowance_as_of = fields.DateTime(
        "Allowance As Of",
        help="When Credit Guard read the exposure (UTC): sales confirmed "
        "and invoices posted since count against the allowance.")

    @classmethod
    def copy(cls, parties, default=None):
        "A copy has no documents yet: no cycle has computed its allowance"
        default = default.copy() if default is not None else {}
        for name in ALLOWANCE_FIELDS:
            # the field's own default, so that the copy does not write it
            default.setdefault(
                name, False if cls._fields[name]._type == 'boolean' else None)
        return super().copy(parties, default=default)

    @classmethod
    def write(cls, *args):
        "A hold placed without an origin is manual; only Credit Guard lifts its own holds"
        args = list(args)
        connector = cls._creditguard_is_connector()
        for i in range(1, len(args), 2):
            if HOLD_FIELDS & set(args[i]):
                args[i] = cls._hold_values(args[i - 1], args[i], connector)
        super().write(*args)
        for i in range(1, len(args), 2):
            if 'credit_limit_amount' in args[i]:
                notify('party.party.credit_limit', cls.__name__,
                    [p.id for p in args[i - 1]], args[i - 1])

    @classmethod
    def _hold_values(cls, parties, values, connector):
        if not connector:
            for party in parties:
                if (party.creditguard_hold
                        and party.creditguard_hold_origin == 'credit_guard'):
                    raise CreditHoldOriginError(gettext(
                            'creditguard.msg_hold_placed_by_creditguard',
                            party=party.rec_name))
        values = values.copy()
        if 'creditguard_hold' in values:
            if not values['creditguard_hold']:
                values['creditguard_hold_origin'] = None
            elif not connector or 'creditguard_hold_origin' not in values:
                values['creditguard_hold_origin'] = 'manual'
        return values

    @staticmethod
    def _creditguard_is_connector():
        "The connector's group (or an administrator, or a root transaction)"
        transaction = Transaction()
        if not transaction.user or not transaction.check_access:
            return True
        return _in_group_or_admin(
            transaction.user, 'creditguard', 'group_creditguard_connector')

    def check_credit_limit(self, amount, company, origin=None):
        # before super(): a hold refuses whatever the amount, even <= 0
        if self.creditguard_hold:
            self.check_creditguard_hold(origin)
        super().check_credit_limit(amount, company, origin=origin)

    def check_creditguard_hold(self, origin=None):
        "Refuse for ordinary users, warn those who may override credit limits"
        Warning = Pool().get('res.user.warning')
        message = gettext('creditguard.msg_party_on_hold',
            party=self.rec_name,
            reason=(self.creditguard_hold_reason
                or gettext('creditguard.msg_party_on_hold_no_reason')))
        if not self._may_override_credit_limit(origin):
            raise CreditHoldError(message)
        warning_name = Warning.format(
            'creditguard_hold', [origin] if origin else [])
        if Warning.check(warning_name):
            raise CreditHoldWarning(warning_name, message)

    def check_creditguard_allowance(self, sale, amount, added, quote=False):
        """Above the allowance: refuse ordinary users, warn those who may
        override credit limits; above the flag allowance: warn anyone.
        A quotation only warns."""
        Warning = Pool().get('res.user.warning')
        if (self.creditguard_allowance_limited
                and added > (self.creditguard_allowance or 0)):
            message = self._creditguard_allowance_message(
                'creditguard.msg_allowance_exceeded', sale, amount, added,
                self.creditguard_allowance, self.creditguard_allowance_bound,
                self.creditguard_allowance_rule)
            if not quote and not self._may_override_credit_limit(sale):
                raise CreditAllowanceError(message)
            name = Warning.format(
                'creditguard_allowance_quote' if quote
                else 'creditguard_allowance', [sale])
            if Warning.check(name):
                raise CreditAllowanceWarning(name, message)
        elif (self.creditguard_flag_allowance_limited
                and added > (self.creditguard_flag_allowance or 0)):
            message = self._creditguard_allowance_message(
                'creditguard.msg_flag_allowance_exceeded', sale, amount,
                added, self.creditguard_flag_allowance,
                self.creditguard_flag_allowance_bound,
                self.creditguard_flag_allowance_rule)
            name = Warning.format(
                'creditguard_flag_allowance_quote' if quote
                else 'creditguard_flag_allowance', [sale])
            if Warning.check(name):
                raise CreditFlagAllowanceWarning(name, message)

    def _creditguard_allowance_message(
            self, message, sale, amount, added, allowance, bound, rule):
        lang = Pool().get('ir.lang').get()

        def number(value):
            return lang.format_number(value or 0, digits=2)
        return gettext(message,
            sale=sale.rec_name,
            amount=number(amount),
            party=self.rec_name,
            exposure=number((self.creditguard_exposure or 0) + added),
            bound=bound or '',
            allowance=number(allowance),
            rule=rule or '')

    @staticmethod
    def _may_override_credit_limit(origin):
        "The rule of account_credit_limit: its group or an administrator"
        transaction = Transaction()
        user_id = transaction.user or transaction.context.get('user', 0)
        if not user_id:
            return True
        return bool(origin) and _in_group_or_admin(
            user_id, 'account_credit_limit', 'group_credit_limit')


def _in_group_or_admin(user_id, module, group_xml_id):
    "Whether the user is in the group (module.group_xml_id) or an administrator"
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    Group = pool.get('res.group')
    group = Group(ModelData.get_id(module, group_xml_id))
    return group in User(user_id).groups or User.is_administrator(user_id)
