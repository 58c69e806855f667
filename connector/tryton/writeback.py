"""Write decisions back to Tryton: the Credit Guard add-on's hold fields on the party, notes (ir.note) for
flags and notifications, the cover-request flag. Each write is checked against what Tryton has first."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["TrytonWriter", "HoldState", "FIELDS"]

PARTY = 'party.party'
NOTE = 'ir.note'
HOLD, REASON, SINCE, RULE = ('creditguard_hold', 'creditguard_hold_reason', 'creditguard_hold_since',
    'creditguard_hold_rule')
REQUEST_PENDING = 'insurer_cover_request_pending'
FIELDS = {PARTY: (HOLD, REASON, SINCE, RULE, REQUEST_PENDING, 'name'), NOTE: ('resource', 'message')}


@dataclass(frozen=True)
class HoldState:
    """What the ERP says about a customer's hold now."""
    on_hold: bool
    reason: str | None = None
    rules: str | None = None
    since: str | None = None
    request_pending: bool = False


class TrytonWriter:
    """Applies planned writes (connector.planner.Write) to parties through a logged-in TrytonClient."""

    def __init__(self, client):
        self.client = client

    @property
    def actor(self) -> str:
        return f'{self.client.login_name}@{self.client.url}/{self.client.database}'

    def check(self, fields_of) -> list[tuple[str, str]]:
        """(model, field) pairs the write-back needs that Tryton does not have."""
        return [(model, name) for model, names in FIELDS.items() for name in names if name not in fields_of(model)]

    def hold_states(self, customer_ids) -> dict[str, HoldState]:
        ids = sorted({int(i) for i in customer_ids})
        if not ids:
            return {}
        rows = self.client.read(PARTY, ids, [HOLD, REASON, RULE, SINCE, REQUEST_PENDING])
        return {str(r['id']): HoldState(bool(r[HOLD]), r[REASON] or None, r[RULE] or None,
            r[SINCE].isoformat() if r[SINCE] else None, bool(r[REQUEST_PENDING])) for r in rows}

    def apply(self, operation, customer_id, payload) -> str:
        """Do one write; returns what was done ('written' or 'already there')."""
        return getattr(self, operation)(int(customer_id), **payload)

    # -- operations ---------------------------------------------------------------------------

    def place_hold(self, party, *, reason, rules):
        self.client.write(PARTY, [party], {HOLD: True, REASON: reason, RULE: rules,
            SINCE: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)})
        return 'written'

    def update_hold(self, party, *, reason, rules):
        self.client.write(PARTY, [party], {REASON: reason, RULE: rules})
        return 'written'

    def release_hold(self, party):
        self.client.write(PARTY, [party], {HOLD: False, REASON: None, RULE: None, SINCE: None})
        return 'written'

    def add_note(self, party, *, text, marker):
        """A note on the party, unless one with this marker is already there (a crashed cycle wrote it)."""
        resource = f'{PARTY},{party}'
        if self.client.search(NOTE, [('resource', '=', resource), ('message', 'like', f'%{marker}%')], 0, 1):
            return 'already there'
        self.client.create(NOTE, [{'resource': resource, 'message': f'{text}\n{marker}'}])
        return 'written'

    def request_cover(self, party, *, text, marker):
        """A limit request for the insurer: a note with the amount, and the party's request-pending flag."""
        done = self.add_note(party, text=text, marker=marker)
        if not self.client.read(PARTY, [party], [REQUEST_PENDING])[0][REQUEST_PENDING]:
            self.client.write(PARTY, [party], {REQUEST_PENDING: True})
            done = 'written'
        return done
