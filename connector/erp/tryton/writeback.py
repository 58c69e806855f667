"""Write decisions back to Tryton (an ErpWriter of connector/erp/contract.py): the Credit Guard add-on's hold fields
on the party, notes (ir.note) for flags and notifications, the cover-request flag. Each write is checked
against what Tryton has first."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from creditguard.mappings import clock
from creditguard.mappings.errors import ErpRefused
from creditguard.mappings.ids import IntegerIds

from creditguard.connector.erp.contract import CREDIT_GUARD, MANUAL, HoldState
from creditguard.mappings.vocab import Outcome

__all__ = ["TrytonWriter"]

PARTY = 'party.party'
NOTE = 'ir.note'
HOLD, REASON, SINCE, RULE, ORIGIN = ('creditguard_hold', 'creditguard_hold_reason', 'creditguard_hold_since',
    'creditguard_hold_rule', 'creditguard_hold_origin')
FLAG, FLAG_REASON = 'creditguard_flag', 'creditguard_flag_reason'
REQUEST_PENDING = 'insurer_cover_request_pending'
STATE = [HOLD, REASON, RULE, SINCE, ORIGIN, FLAG, FLAG_REASON, REQUEST_PENDING]
COVER_AMOUNT, COVER_STATUS, COVER_VALID_UNTIL = ('insurer_cover_amount', 'insurer_cover_status',
    'insurer_cover_valid_until')
COVER_FIELDS = (COVER_AMOUNT, COVER_STATUS, COVER_VALID_UNTIL, REQUEST_PENDING)
ALLOWANCE, LIMITED, ALLOWANCE_RULE, BOUND = ('creditguard_allowance', 'creditguard_allowance_limited',
    'creditguard_allowance_rule', 'creditguard_allowance_bound')
FLAG_ALLOWANCE, FLAG_LIMITED, FLAG_ALLOWANCE_RULE, FLAG_BOUND = ('creditguard_flag_allowance',
    'creditguard_flag_allowance_limited', 'creditguard_flag_allowance_rule', 'creditguard_flag_allowance_bound')
EXPOSURE, ALLOWANCE_CURRENCY, AS_OF = ('creditguard_exposure', 'creditguard_allowance_currency',
    'creditguard_allowance_as_of')
ALLOWANCE_FIELDS = (ALLOWANCE, LIMITED, ALLOWANCE_RULE, BOUND, FLAG_ALLOWANCE, FLAG_LIMITED, FLAG_ALLOWANCE_RULE,
    FLAG_BOUND, EXPOSURE, ALLOWANCE_CURRENCY, AS_OF)
AMOUNTS = (ALLOWANCE, FLAG_ALLOWANCE, EXPOSURE)


class TrytonWriter:
    """Applies the write operations to parties through a logged-in TrytonClient."""
    required_fields = {PARTY: (HOLD, REASON, SINCE, RULE, ORIGIN, FLAG, FLAG_REASON, *COVER_FIELDS,
        *ALLOWANCE_FIELDS),
        NOTE: ('resource', 'message')}
    required_access = {PARTY: ('read', 'write'), NOTE: ('read', 'create')}
    ids = IntegerIds

    def __init__(self, client):
        self.client = client
        self._currency = None

    @property
    def actor(self) -> str:
        return f'{self.client.login_name}@{self.client.url}/{self.client.database}'

    def hold_states(self, customer_ids) -> dict[str, HoldState]:
        parties = sorted({self.ids.erp(i) for i in customer_ids})
        if not parties:
            return {}
        rows = self.client.read(PARTY, parties, STATE)
        return {self.ids.canonical(r['id']): HoldState(on_hold=bool(r[HOLD]), reason=r[REASON] or None,
                                                       rules=r[RULE] or None,
            since=r[SINCE].isoformat() if r[SINCE] else None, request_pending=bool(r[REQUEST_PENDING]),
            origin=r[ORIGIN] or None,
            flagged=bool(r[FLAG]), flag_reason=r[FLAG_REASON] or None) for r in rows}

    def flagged(self) -> set[str]:
        return {self.ids.canonical(i) for i in self.client.search(PARTY, [(FLAG, '=', True)])}

    def place_hold(self, customer_id, *, reason, rules) -> Outcome:
        party, held = self._hold(customer_id)
        if held == MANUAL:
            return Outcome.ALREADY_THERE
        self.client.write(PARTY, [party], {HOLD: True, REASON: reason, RULE: rules, ORIGIN: CREDIT_GUARD,
            SINCE: clock.naive()})
        return Outcome.WRITTEN

    def update_hold(self, customer_id, *, reason, rules) -> Outcome:
        party, held = self._hold(customer_id)
        if held != CREDIT_GUARD:                      # a person's hold, or lifted since the read
            return Outcome.ALREADY_THERE
        self.client.write(PARTY, [party], {REASON: reason, RULE: rules})
        return Outcome.WRITTEN

    def release_hold(self, customer_id) -> Outcome:
        """Lifts a hold Credit Guard placed; a hold released meanwhile, or a person's (a manual hold placed
        since the cycle read the party), is left (ALREADY_THERE), as the Odoo writer does."""
        party, held = self._hold(customer_id)
        if held != CREDIT_GUARD:
            return Outcome.ALREADY_THERE
        self.client.write(PARTY, [party], {HOLD: False, REASON: None, RULE: None, SINCE: None, ORIGIN: None})
        return Outcome.WRITTEN

    def _company_currency(self) -> str:
        """The ISO code of the user's company's currency, read once."""
        if self._currency is None:
            company, = self.client.read('company.company', [self.client.context['company']], ['currency'])
            currency, = self.client.read('currency.currency', [company['currency']], ['code'])
            self._currency = currency['code']
        return self._currency

    def _hold(self, customer_id) -> tuple[int, str | None]:
        """The party and whose hold it has now: CREDIT_GUARD, MANUAL or None (not held). Every hold write
        checks it first: a person's hold is never lifted or rewritten (erp.MANUAL)."""
        party = self.ids.erp(customer_id)
        # searched, not read: Tryton's read of a deleted party fails with a message in the user's language
        rows = self.client.search_read(PARTY, ('id', '=', party), [HOLD, ORIGIN],
            context={'active_test': False})
        if not rows:
            raise ErpRefused(f'Tryton has no party {party} (deleted since the cycle read it?)',
                where=f'{PARTY},{party}')
        row, = rows
        if not row[HOLD]:
            return party, None
        return party, CREDIT_GUARD if row[ORIGIN] in (CREDIT_GUARD, None) else MANUAL

    def set_flag(self, customer_id, *, reason) -> Outcome:
        self.client.write(PARTY, [self.ids.erp(customer_id)], {FLAG: True, FLAG_REASON: reason})
        return Outcome.WRITTEN

    def clear_flag(self, customer_id) -> Outcome:
        self.client.write(PARTY, [self.ids.erp(customer_id)], {FLAG: False, FLAG_REASON: None})
        return Outcome.WRITTEN

    def notify(self, customer_id, *, text, marker) -> Outcome:
        """Tryton has no to-do list: a note on the party."""
        return self.add_note(customer_id, text=text, marker=marker)

    def add_note(self, customer_id, *, text, marker) -> Outcome:
        """A note on the party, unless one with this marker is already there (a crashed cycle wrote it)."""
        resource = f'{PARTY},{self.ids.erp(customer_id)}'
        if self.client.search(NOTE, [('resource', '=', resource), ('message', 'like', f'%{marker}%')], 0, 1):
            return Outcome.ALREADY_THERE
        self.client.create(NOTE, [{'resource': resource, 'message': f'{text}\n{marker}'}])
        return Outcome.WRITTEN

    def request_cover(self, customer_id, *, text, marker) -> Outcome:
        """A limit request for the insurer: a note with the amount, and the party's request-pending flag."""
        outcome = self.add_note(customer_id, text=text, marker=marker)
        party = self.ids.erp(customer_id)
        if not self.client.read(PARTY, [party], [REQUEST_PENDING])[0][REQUEST_PENDING]:
            self.client.write(PARTY, [party], {REQUEST_PENDING: True})
            outcome = Outcome.WRITTEN
        return outcome

    def set_cover(self, customer_id, *, amount, currency, status, valid_until, request_pending) -> Outcome:
        """The add-on's cover fields. The add-on keeps the cover in company currency: a cover in another
        currency is refused, not written as if it were the company's."""
        party = self.ids.erp(customer_id)
        if currency and currency != self._company_currency():
            raise ErpRefused(f'the Tryton add-on keeps covers in company currency {self._company_currency()}: '
                f'a cover of {amount} {currency} is not written', where=f'{PARTY},{party}.{COVER_AMOUNT}',
                hint='ask the insurer for the cover in company currency')
        wanted = {COVER_AMOUNT: None if amount is None else Decimal(amount), COVER_STATUS: status,
            COVER_VALID_UNTIL: dt.date.fromisoformat(valid_until) if valid_until else None,
            REQUEST_PENDING: bool(request_pending)}
        row, = self.client.read(PARTY, [party], list(COVER_FIELDS))
        now = {COVER_AMOUNT: None if row[COVER_AMOUNT] is None else Decimal(row[COVER_AMOUNT]),
            COVER_STATUS: row[COVER_STATUS] or None, COVER_VALID_UNTIL: row[COVER_VALID_UNTIL],
            REQUEST_PENDING: bool(row[REQUEST_PENDING])}
        changed = {name: value for name, value in wanted.items() if now[name] != value}
        if not changed:
            return Outcome.ALREADY_THERE
        self.client.write(PARTY, [party], changed)
        return Outcome.WRITTEN

    def set_allowance(self, customer_id, *, allowance, allowance_rule, allowance_bound, flag_allowance, flag_rule,
                      flag_bound, exposure, currency, as_of) -> Outcome:
        """The add-on's allowance fields (docs/allowance.md); no limit is written as not limited with amount 0."""
        party = self.ids.erp(customer_id)
        wanted = {ALLOWANCE: Decimal(allowance or 0), LIMITED: allowance is not None,
            ALLOWANCE_RULE: allowance_rule or None, BOUND: allowance_bound or None,
            FLAG_ALLOWANCE: Decimal(flag_allowance or 0), FLAG_LIMITED: flag_allowance is not None,
            FLAG_ALLOWANCE_RULE: flag_rule or None, FLAG_BOUND: flag_bound or None,
            EXPOSURE: Decimal(exposure or 0), ALLOWANCE_CURRENCY: currency or None,
            AS_OF: dt.datetime.fromisoformat(as_of).replace(tzinfo=None) if as_of else None}
        row, = self.client.read(PARTY, [party], list(ALLOWANCE_FIELDS))
        now = {name: row[name] or None for name in ALLOWANCE_FIELDS}
        now.update({name: None if row[name] is None else Decimal(row[name]) for name in AMOUNTS})
        now.update({LIMITED: bool(row[LIMITED]), FLAG_LIMITED: bool(row[FLAG_LIMITED])})
        changed = {name: value for name, value in wanted.items() if now[name] != value}
        if not changed:
            return Outcome.ALREADY_THERE
        self.client.write(PARTY, [party], changed)
        return Outcome.WRITTEN
