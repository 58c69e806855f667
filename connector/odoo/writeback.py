"""Write decisions back to Odoo (an ErpWriter of connector/erp.py) through the credit_guard add-on's fields on
the commercial partner: the hold (which the add-on enforces on every path that confirms an order), the flag
(shown at order entry), the cover request; notes in the partner's chatter, and a to-do (mail.activity) for
the credit controller when the credit team is notified. Each write checks what Odoo has first.

Without the add-on Odoo cannot refuse an order: the writer then says what Credit Guard would hold with a note
and a to-do, once per set of rules, and never claims a hold (`enforced` is False)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from mappings.ids import IntegerIds

from ..erp import CREDIT_GUARD, HoldState
from ..operations import Outcome

__all__ = ["OdooWriter", "ADDON_FIELDS"]

PARTNER = "res.partner"
HOLD, REASON, RULES, SINCE, ORIGIN = ("credit_guard_hold", "credit_guard_hold_reason", "credit_guard_hold_rules",
                                      "credit_guard_hold_since", "credit_guard_hold_origin")
FLAG, FLAG_REASON = "credit_guard_flag", "credit_guard_flag_reason"
REQUEST_PENDING = "credit_guard_cover_request_pending"
COVER_AMOUNT, COVER_CURRENCY, COVER_STATUS, COVER_VALID_UNTIL = (
    "credit_guard_cover_amount", "credit_guard_cover_currency_id", "credit_guard_cover_status",
    "credit_guard_cover_valid_until")
COVER_FIELDS = (COVER_AMOUNT, COVER_CURRENCY, COVER_STATUS, COVER_VALID_UNTIL, REQUEST_PENDING)
STATE_FIELDS = (HOLD, REASON, RULES, SINCE, ORIGIN, FLAG, FLAG_REASON, *COVER_FIELDS)
# The order allowance (docs/allowance.md), which the add-on checks at confirm.
ALLOWANCE, ALLOWANCE_LIMITED, ALLOWANCE_RULE, ALLOWANCE_BOUND = (
    "credit_guard_allowance", "credit_guard_allowance_limited", "credit_guard_allowance_rule",
    "credit_guard_allowance_bound")
FLAG_ALLOWANCE, FLAG_ALLOWANCE_LIMITED, FLAG_ALLOWANCE_RULE, FLAG_ALLOWANCE_BOUND = (
    "credit_guard_flag_allowance", "credit_guard_flag_allowance_limited", "credit_guard_flag_allowance_rule",
    "credit_guard_flag_allowance_bound")
EXPOSURE, ALLOWANCE_CURRENCY, ALLOWANCE_AS_OF = (
    "credit_guard_exposure", "credit_guard_allowance_currency", "credit_guard_allowance_as_of")
ALLOWANCE_FIELDS = (ALLOWANCE, ALLOWANCE_LIMITED, ALLOWANCE_RULE, ALLOWANCE_BOUND, FLAG_ALLOWANCE,
                    FLAG_ALLOWANCE_LIMITED, FLAG_ALLOWANCE_RULE, FLAG_ALLOWANCE_BOUND, EXPOSURE, ALLOWANCE_CURRENCY,
                    ALLOWANCE_AS_OF)
AMOUNT_FIELDS = (ALLOWANCE, FLAG_ALLOWANCE, EXPOSURE)
ADDON_FIELDS = (*STATE_FIELDS, *ALLOWANCE_FIELDS)
TODO = "mail.mail_activity_data_todo"


class OdooWriter:
    """Applies the write operations to commercial partners through a logged-in OdooClient."""
    ids = IntegerIds

    def __init__(self, client, *, enforced: bool, controller_id: int | None = None):
        self.client = client
        self.enforced = enforced
        self.controller_id = controller_id or client.user_id
        self.required_fields = {PARTNER: STATE_FIELDS} if enforced else {}
        self.required_access = {PARTNER: ("read", "write"), "mail.activity": ("read", "create")}
        self._currencies: dict[str, int | bool] = {}        # ISO code -> res.currency id, once per session

    @property
    def actor(self) -> str:
        return f"{self.client.login_name}@{self.client.url}/{self.client.database}"

    # -- state --------------------------------------------------------------------------------

    def hold_states(self, customer_ids) -> dict[str, HoldState]:
        partners = sorted({self.ids.erp(i) for i in customer_ids})
        if not partners or not self.enforced:
            return {self.ids.canonical(p): HoldState(False) for p in partners}
        rows = self.client.read(PARTNER, partners, list(STATE_FIELDS))
        return {self.ids.canonical(r["id"]): HoldState(
            bool(r[HOLD]), r[REASON] or None, r[RULES] or None, r[SINCE] or None, bool(r[REQUEST_PENDING]),
            r[ORIGIN] or None, bool(r[FLAG]), r[FLAG_REASON] or None) for r in rows}

    def flagged(self) -> set[str]:
        if not self.enforced:
            return set()
        return {self.ids.canonical(i) for i in self.client.search(PARTNER, [(FLAG, "=", True)])}

    # -- operations ---------------------------------------------------------------------------

    def place_hold(self, customer_id, *, reason, rules) -> Outcome:
        if not self.enforced:
            return self._unenforced_hold(customer_id, reason, rules)
        self.client.write(PARTNER, [self.ids.erp(customer_id)], {
            HOLD: True, REASON: reason, RULES: rules, ORIGIN: CREDIT_GUARD,
            SINCE: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")})
        return Outcome.WRITTEN

    def update_hold(self, customer_id, *, reason, rules) -> Outcome:
        if not self.enforced:
            return self._unenforced_hold(customer_id, reason, rules)
        self.client.write(PARTNER, [self.ids.erp(customer_id)], {REASON: reason, RULES: rules})
        return Outcome.WRITTEN

    def release_hold(self, customer_id) -> Outcome:
        partner = self.ids.erp(customer_id)
        if not self.enforced:
            return Outcome.ALREADY_THERE
        [row] = self.client.read(PARTNER, [partner], [HOLD, ORIGIN])
        if not row[HOLD] or row[ORIGIN] not in (CREDIT_GUARD, None, False):
            return Outcome.ALREADY_THERE              # released meanwhile, or a person's hold: not ours to lift
        self.client.write(PARTNER, [partner], {HOLD: False, REASON: False, RULES: False, SINCE: False, ORIGIN: False})
        return Outcome.WRITTEN

    def set_flag(self, customer_id, *, reason) -> Outcome:
        if not self.enforced:
            return Outcome.ALREADY_THERE              # the flag's note says it
        self.client.write(PARTNER, [self.ids.erp(customer_id)], {FLAG: True, FLAG_REASON: reason})
        return Outcome.WRITTEN

    def clear_flag(self, customer_id) -> Outcome:
        if not self.enforced:
            return Outcome.ALREADY_THERE
        self.client.write(PARTNER, [self.ids.erp(customer_id)], {FLAG: False, FLAG_REASON: False})
        return Outcome.WRITTEN

    def add_note(self, customer_id, *, text, marker) -> Outcome:
        """A note in the partner's chatter, unless one carrying `marker` is there (a crashed cycle wrote it)."""
        partner = self.ids.erp(customer_id)
        if self.client.search("mail.message", [("model", "=", PARTNER), ("res_id", "=", partner),
                                               ("body", "ilike", marker)], limit=1):
            return Outcome.ALREADY_THERE
        self.client.call(PARTNER, "message_post", [partner], body=f"{text}\n{marker}", body_is_html=False,
                         message_type="comment", subtype_xmlid="mail.mt_note")
        return Outcome.WRITTEN

    def notify(self, customer_id, *, text, marker) -> Outcome:
        """A note, and a to-do for the credit controller, each unless its `marker` is there already."""
        noted = self.add_note(customer_id, text=text, marker=marker)
        partner = self.ids.erp(customer_id)
        if self.client.search("mail.activity", [("res_model", "=", PARTNER), ("res_id", "=", partner),
                                                ("note", "ilike", marker)], limit=1):
            return noted
        self.client.call(PARTNER, "activity_schedule", [partner], act_type_xmlid=TODO, user_id=self.controller_id,
                         summary=text[:120], note=f"{text}\n{marker}")
        return Outcome.WRITTEN

    def request_cover(self, customer_id, *, text, marker) -> Outcome:
        """A limit request for the insurer: a note with the amount, and the partner's request-pending flag."""
        outcome = self.add_note(customer_id, text=text, marker=marker)
        if not self.enforced:
            return outcome
        partner = self.ids.erp(customer_id)
        if not self.client.read(PARTNER, [partner], [REQUEST_PENDING])[0][REQUEST_PENDING]:
            self.client.write(PARTNER, [partner], {REQUEST_PENDING: True})
            outcome = Outcome.WRITTEN
        return outcome

    def set_cover(self, customer_id, *, amount, currency, status, valid_until, request_pending) -> Outcome:
        """The add-on's cover fields (amount in the cover's own currency), written where they differ."""
        if not self.enforced:
            return Outcome.ALREADY_THERE
        partner = self.ids.erp(customer_id)
        wanted = {COVER_AMOUNT: float(Decimal(amount)) if amount is not None else 0.0,
                  COVER_CURRENCY: self._currency(currency), COVER_STATUS: status or False,
                  COVER_VALID_UNTIL: valid_until or False, REQUEST_PENDING: bool(request_pending)}
        [row] = self.client.read(PARTNER, [partner], list(COVER_FIELDS))
        now = {COVER_AMOUNT: row[COVER_AMOUNT] or 0.0,
               COVER_CURRENCY: row[COVER_CURRENCY][0] if row[COVER_CURRENCY] else False,
               COVER_STATUS: row[COVER_STATUS] or False, COVER_VALID_UNTIL: row[COVER_VALID_UNTIL] or False,
               REQUEST_PENDING: bool(row[REQUEST_PENDING])}
        changed = {name: value for name, value in wanted.items() if now[name] != value}
        if not changed:
            return Outcome.ALREADY_THERE
        self.client.write(PARTNER, [partner], changed)
        return Outcome.WRITTEN

    def set_allowance(self, customer_id, *, allowance, allowance_rule, allowance_bound, flag_allowance, flag_rule,
                      flag_bound, exposure, currency, as_of) -> Outcome:
        """The add-on's allowance fields (company currency), written where they differ from what Odoo has.

        Without the add-on nothing in Odoo would read them: nothing is written (ALREADY_THERE), as the
        session's warning about the missing add-on says."""
        if not self.enforced:
            return Outcome.ALREADY_THERE
        partner = self.ids.erp(customer_id)
        wanted = {**_allowance(ALLOWANCE, allowance, allowance_rule, allowance_bound),
                  **_allowance(FLAG_ALLOWANCE, flag_allowance, flag_rule, flag_bound),
                  EXPOSURE: _amount(exposure), ALLOWANCE_CURRENCY: currency or False,
                  ALLOWANCE_AS_OF: _odoo_datetime(as_of)}
        [row] = self.client.read(PARTNER, [partner], list(ALLOWANCE_FIELDS))
        now = {name: (round(row[name] or 0.0, 2) if name in AMOUNT_FIELDS else row[name] or False)
               for name in ALLOWANCE_FIELDS}
        changed = {name: value for name, value in wanted.items() if now[name] != value}
        if not changed:
            return Outcome.ALREADY_THERE
        self.client.write(PARTNER, [partner], changed)
        return Outcome.WRITTEN

    def _currency(self, code) -> int | bool:
        """The res.currency id of an ISO code (active or not), looked up once per session; False if none."""
        if not code:
            return False
        if code not in self._currencies:
            found = self.client.search("res.currency", [("name", "=", code), ("active", "in", [True, False])],
                                       limit=1)
            self._currencies[code] = found[0] if found else False
        return self._currencies[code]

    def _unenforced_hold(self, customer_id, reason, rules) -> Outcome:
        text = (f"Credit Guard would hold this customer ({rules}): {reason}. The credit_guard add-on is not "
                f"installed, so Odoo does not refuse their orders.")
        return self.notify(customer_id, text=text, marker=f"[creditguard hold {rules}]")


def _amount(value) -> float:
    """A decimal string as Odoo's float with cents (None: 0)."""
    return round(float(Decimal(value)), 2) if value is not None else 0.0


def _allowance(prefix, amount, rule, bound) -> dict:
    """One allowance's fields: no limit (None) is `limited` false and 0, with no rule or bound."""
    limited = amount is not None
    return {prefix: _amount(amount), f"{prefix}_limited": limited,
            f"{prefix}_rule": (rule or False) if limited else False,
            f"{prefix}_bound": (bound or False) if limited else False}


def _odoo_datetime(value) -> str | bool:
    """An ISO date-time ("2026-11-26T08:00:00", UTC when it has no zone) as Odoo writes one: "2026-11-26 08:00:00"."""
    if not value:
        return False
    moment = dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")
