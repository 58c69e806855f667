"""Write decisions back to Odoo (an ErpWriter of connector/erp/contract.py) through the credit_guard add-on's fields on
the commercial partner: the hold (which the add-on enforces on every path that confirms an order), the flag
(shown at order entry), the cover request; notes in the partner's chatter, and a to-do (mail.activity) for
the credit controller when the credit team is notified. Each write checks what Odoo has first.

Without the add-on Odoo cannot refuse an order: the writer then says what Credit Guard would hold with a note
and a to-do, once per set of rules, and never claims a hold (`enforced` is False)."""
from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

from creditguard.mappings import clock
from creditguard.mappings.errors import ErpRefused
from creditguard.mappings.ids import IntegerIds

from creditguard.connector.erp.contract import CREDIT_GUARD, HoldState
from creditguard.connector.erp.operations import apply_or_refusal
from creditguard.mappings.vocab import Operation, Outcome

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
# What an operation reads on the partner before it writes (the others write what they are given).
READS = {Operation.PLACE_HOLD: (HOLD, ORIGIN), Operation.UPDATE_HOLD: (HOLD, ORIGIN),
         Operation.RELEASE_HOLD: (HOLD, ORIGIN), Operation.REQUEST_COVER: (REQUEST_PENDING,),
         Operation.SET_COVER: COVER_FIELDS, Operation.SET_ALLOWANCE: ALLOWANCE_FIELDS}
# The operations apply_many gathers: partner fields written with one `write` per set of values, notes posted
# with one create; a notify (note and to-do) goes alone.
FIELD_WRITES = (Operation.PLACE_HOLD, Operation.UPDATE_HOLD, Operation.RELEASE_HOLD, Operation.SET_FLAG,
                Operation.CLEAR_FLAG, Operation.REQUEST_COVER, Operation.SET_COVER, Operation.SET_ALLOWANCE)
NOTED = (Operation.ADD_NOTE, Operation.REQUEST_COVER)


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
        self._note_subtype_id = None                         # mail.mt_note's id, once per session
        self._write_many = None                              # False once the add-on is found without it

    @property
    def actor(self) -> str:
        return f"{self.client.login_name}@{self.client.url}/{self.client.database}"

    # -- state --------------------------------------------------------------------------------

    def hold_states(self, customer_ids) -> dict[str, HoldState]:
        partners = sorted({self.ids.erp(i) for i in customer_ids})
        if not partners or not self.enforced:
            return {self.ids.canonical(p): HoldState(on_hold=False) for p in partners}
        rows = self.client.read(PARTNER, partners, list(STATE_FIELDS))
        return {self.ids.canonical(r["id"]): HoldState(
            on_hold=bool(r[HOLD]), reason=r[REASON] or None, rules=r[RULES] or None, since=r[SINCE] or None,
            request_pending=bool(r[REQUEST_PENDING]),
            origin=r[ORIGIN] or None, flagged=bool(r[FLAG]), flag_reason=r[FLAG_REASON] or None) for r in rows}

    def flagged(self) -> set[str]:
        if not self.enforced:
            return set()
        return {self.ids.canonical(i) for i in self.client.search(PARTNER, [(FLAG, "=", True)])}

    # -- operations ---------------------------------------------------------------------------

    def place_hold(self, customer_id, *, reason, rules) -> Outcome:
        if not self.enforced:
            return self._unenforced_hold(customer_id, reason, rules)
        return self._write_one(Operation.PLACE_HOLD, customer_id, {"reason": reason, "rules": rules})

    def update_hold(self, customer_id, *, reason, rules) -> Outcome:
        if not self.enforced:
            return self._unenforced_hold(customer_id, reason, rules)
        return self._write_one(Operation.UPDATE_HOLD, customer_id, {"reason": reason, "rules": rules})

    def release_hold(self, customer_id) -> Outcome:
        """Lifts a hold Credit Guard placed; a hold released meanwhile, or a person's, is left (ALREADY_THERE).
        Placing and updating leave a person's hold too (erp.MANUAL: never lifted or rewritten)."""
        if not self.enforced:
            return Outcome.ALREADY_THERE
        return self._write_one(Operation.RELEASE_HOLD, customer_id, {})

    def set_flag(self, customer_id, *, reason) -> Outcome:
        if not self.enforced:
            return Outcome.ALREADY_THERE              # the flag's note says it
        return self._write_one(Operation.SET_FLAG, customer_id, {"reason": reason})

    def clear_flag(self, customer_id) -> Outcome:
        if not self.enforced:
            return Outcome.ALREADY_THERE
        return self._write_one(Operation.CLEAR_FLAG, customer_id, {})

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
        if self._write_one(Operation.REQUEST_COVER, customer_id, {}) is Outcome.WRITTEN:
            outcome = Outcome.WRITTEN
        return outcome

    def set_cover(self, customer_id, *, amount, currency, status, valid_until, request_pending) -> Outcome:
        """The add-on's cover fields (amount in the cover's own currency), written where they differ."""
        if not self.enforced:
            return Outcome.ALREADY_THERE
        return self._write_one(Operation.SET_COVER, customer_id, {
            "amount": amount, "currency": currency, "status": status, "valid_until": valid_until,
            "request_pending": request_pending})

    def set_allowance(self, customer_id, *, allowance, allowance_rule, allowance_bound, flag_allowance, flag_rule,
                      flag_bound, exposure, currency, as_of) -> Outcome:
        """The add-on's allowance fields (company currency), written where they differ from what Odoo has.

        Without the add-on nothing in Odoo would read them: nothing is written (ALREADY_THERE), as the
        session's warning about the missing add-on says."""
        if not self.enforced:
            return Outcome.ALREADY_THERE
        return self._write_one(Operation.SET_ALLOWANCE, customer_id, {
            "allowance": allowance, "allowance_rule": allowance_rule, "allowance_bound": allowance_bound,
            "flag_allowance": flag_allowance, "flag_rule": flag_rule, "flag_bound": flag_bound,
            "exposure": exposure, "currency": currency, "as_of": as_of})

    # -- many writes at once ------------------------------------------------------------------

    def apply_many(self, writes) -> list:
        """Apply `writes` (operations.Write) in few calls: one read of the partners' fields; one call that
        writes them all (the add-on's credit_guard_write_many; without it, one `write` per distinct set of
        values); the notes' markers looked up in one search and the missing notes created in one call; a notify
        goes alone. Returns per write, in order, its Outcome or the ErpRefused that refused it (a refused group
        is retried write by write to say which). An unreachable Odoo raises TransientError: what was written by
        then is found there by the next cycle's checks, never written twice."""
        if not self.enforced:
            return [apply_or_refusal(self, write) for write in writes]
        outcomes: list = [None] * len(writes)
        partners = sorted({self.ids.erp(w.customer_id) for w in writes if w.operation in READS})
        fields = sorted({name for w in writes for name in READS.get(w.operation, ())})
        rows = {r["id"]: r for r in self.client.read(PARTNER, partners, fields)} if partners else {}
        noted = self._post_notes([(n, w) for n, w in enumerate(writes) if w.operation in NOTED])
        changes = {}                                   # write index -> the fields it sets
        for n, write in enumerate(writes):
            if write.operation not in FIELD_WRITES and write.operation is not Operation.ADD_NOTE:
                outcomes[n] = apply_or_refusal(self, write)
                continue
            if write.operation is Operation.ADD_NOTE:
                outcomes[n] = noted[n]
                continue
            partner = self.ids.erp(write.customer_id)
            try:
                wanted = self._changes(write.operation, write.payload, self._row(write.operation, partner, rows))
            except ErpRefused as refused:
                outcomes[n] = refused
                continue
            if wanted:
                changes[n] = (partner, wanted)
            outcomes[n] = Outcome.WRITTEN if wanted else Outcome.ALREADY_THERE
        for n, result in self._write_grouped(changes).items():
            outcomes[n] = result
        for n, note in noted.items():                  # a cover request: its note, and its pending flag
            if writes[n].operation is Operation.REQUEST_COVER:
                flag = outcomes[n]
                refused = [o for o in (note, flag) if isinstance(o, ErpRefused)]
                outcomes[n] = refused[0] if refused else \
                    Outcome.WRITTEN if Outcome.WRITTEN in (note, flag) else Outcome.ALREADY_THERE
        return outcomes

    def _write_grouped(self, changes) -> dict:
        """Write each partner's fields (in write order, later writes winning): all in one call of the add-on's
        credit_guard_write_many, else one `write` per set of values; {write index: ErpRefused} for the writes
        Odoo refused."""
        merged: dict = {}                              # partner -> (fields, write indexes)
        for n, (partner, wanted) in changes.items():
            fields, indexes = merged.setdefault(partner, ({}, []))
            fields.update(wanted)
            indexes.append(n)
        groups: dict = {}
        for partner, (fields, indexes) in merged.items():
            key = tuple(sorted(fields.items(), key=lambda item: item[0]))
            groups.setdefault(key, ([], []))
            groups[key][0].append(partner)
            groups[key][1].extend(indexes)
        if len(groups) > 1 and self._write_many is not False:
            try:                                       # the add-on applies every group in one call (one transaction)
                self.client.call(PARTNER, "credit_guard_write_many",
                                 [[partners, dict(key)] for key, (partners, _) in groups.items()])
                return {}
            except ErpRefused as exc:                  # an older add-on, or a refusal: group by group says which
                if "credit_guard_write_many" in str(exc) and ("not exist" in str(exc) or "attribute" in str(exc)):
                    self._write_many = False
        refused = {}
        for key, (group, indexes) in groups.items():
            try:
                self.client.write(PARTNER, group, dict(key))
            except ErpRefused:
                for n in indexes:                      # which write it was: each alone
                    partner, wanted = changes[n]
                    try:
                        self.client.write(PARTNER, [partner], wanted)
                    except ErpRefused as exc:
                        refused[n] = exc
        return refused

    def _post_notes(self, items) -> dict:
        """{write index: Outcome or ErpRefused} for notes (text, marker in the write's payload): one search for
        the markers already posted, one create of the missing notes (internal notes, as message_post makes)."""
        if not items:
            return {}
        partners = sorted({self.ids.erp(w.customer_id) for _, w in items})
        markers = sorted({w.payload["marker"] for _, w in items})
        domain = [("model", "=", PARTNER), ("res_id", "in", partners)] + ["|"] * (len(markers) - 1) + \
            [("body", "ilike", marker) for marker in markers]
        posted = self.client.search_read("mail.message", domain, ["res_id", "body"])
        there = {(m["res_id"], marker) for m in posted for marker in markers
                 if marker.lower() in (m["body"] or "").lower()}
        outcomes, missing = {}, []
        for n, write in items:
            key = (self.ids.erp(write.customer_id), write.payload["marker"])
            if key in there:
                outcomes[n] = Outcome.ALREADY_THERE
                continue
            there.add(key)
            missing.append((n, key[0], f"{write.payload['text']}\n{write.payload['marker']}"))
        if missing:
            subtype = self._note_subtype()
            try:
                self.client.call("mail.message", "create", [
                    {"model": PARTNER, "res_id": partner, "body": html.escape(body, quote=False),
                     "message_type": "comment", "subtype_id": subtype} for _, partner, body in missing])
                outcomes.update((n, Outcome.WRITTEN) for n, _, _ in missing)
            except ErpRefused:
                writes = dict(items)
                for n, _, _ in missing:                # which note it was: each alone
                    try:
                        outcomes[n] = self.add_note(writes[n].customer_id, text=writes[n].payload["text"],
                                                    marker=writes[n].payload["marker"])
                    except ErpRefused as exc:
                        outcomes[n] = exc
        return outcomes

    def _note_subtype(self) -> int:
        """The id of the "Note" subtype (mail.mt_note), looked up once per session."""
        if self._note_subtype_id is None:
            self._note_subtype_id = self.client.call("ir.model.data", "check_object_reference", "mail", "mt_note")[1]
        return self._note_subtype_id

    def _write_one(self, operation, customer_id, payload) -> Outcome:
        partner = self.ids.erp(customer_id)
        rows = {r["id"]: r for r in self.client.read(PARTNER, [partner], list(READS[operation]))} \
            if operation in READS else {}
        wanted = self._changes(operation, payload, self._row(operation, partner, rows))
        if not wanted:
            return Outcome.ALREADY_THERE
        self.client.write(PARTNER, [partner], wanted)
        return Outcome.WRITTEN

    @staticmethod
    def _row(operation, partner, rows):
        """What Odoo has of the partner a write checks first; a partner Odoo does not have refuses the write."""
        if operation not in READS:
            return None
        if partner not in rows:
            raise ErpRefused(f"Odoo has no partner {partner} (deleted since the cycle read it?) to "
                             f"{operation.value.replace('_', ' ')}", where=f"{PARTNER},{partner}")
        return rows[partner]

    def _changes(self, operation, payload, row) -> dict:
        """The partner fields one write sets, given what Odoo has (`row`: the fields of READS[operation]);
        empty when Odoo has it already."""
        if operation.is_hold_write and row[HOLD] and row[ORIGIN] not in (CREDIT_GUARD, None, False):
            return {}                                  # a person's hold, maybe placed since the read: never ours
        if operation is Operation.PLACE_HOLD:
            return {HOLD: True, REASON: payload["reason"], RULES: payload["rules"], ORIGIN: CREDIT_GUARD,
                    SINCE: clock.naive().strftime("%Y-%m-%d %H:%M:%S")}
        if operation is Operation.UPDATE_HOLD:
            return {REASON: payload["reason"], RULES: payload["rules"]} if row[HOLD] else {}   # lifted since
        if operation is Operation.RELEASE_HOLD:
            if not row[HOLD]:
                return {}                              # released meanwhile
            return {HOLD: False, REASON: False, RULES: False, SINCE: False, ORIGIN: False}
        if operation is Operation.SET_FLAG:
            return {FLAG: True, FLAG_REASON: payload["reason"]}
        if operation is Operation.CLEAR_FLAG:
            return {FLAG: False, FLAG_REASON: False}
        if operation is Operation.REQUEST_COVER:
            return {} if row[REQUEST_PENDING] else {REQUEST_PENDING: True}
        if operation is Operation.SET_COVER:
            amount = payload["amount"]
            wanted = {COVER_AMOUNT: float(Decimal(amount)) if amount is not None else 0.0,
                      COVER_CURRENCY: self._currency(payload["currency"]), COVER_STATUS: payload["status"] or False,
                      COVER_VALID_UNTIL: payload["valid_until"] or False,
                      REQUEST_PENDING: bool(payload["request_pending"])}
            now = {COVER_AMOUNT: row[COVER_AMOUNT] or 0.0,
                   COVER_CURRENCY: row[COVER_CURRENCY][0] if row[COVER_CURRENCY] else False,
                   COVER_STATUS: row[COVER_STATUS] or False, COVER_VALID_UNTIL: row[COVER_VALID_UNTIL] or False,
                   REQUEST_PENDING: bool(row[REQUEST_PENDING])}
            return {name: value for name, value in wanted.items() if now[name] != value}
        if operation is Operation.SET_ALLOWANCE:
            p = payload
            wanted = {**_allowance(ALLOWANCE, p["allowance"], p["allowance_rule"], p["allowance_bound"]),
                      **_allowance(FLAG_ALLOWANCE, p["flag_allowance"], p["flag_rule"], p["flag_bound"]),
                      EXPOSURE: _amount(p["exposure"]), ALLOWANCE_CURRENCY: p["currency"] or False,
                      ALLOWANCE_AS_OF: _odoo_datetime(p["as_of"])}
            now = {name: (round(row[name] or 0.0, 2) if name in AMOUNT_FIELDS else row[name] or False)
                   for name in ALLOWANCE_FIELDS}
            return {name: value for name, value in wanted.items() if now[name] != value}
        raise ValueError(f"{operation!r} does not write partner fields")

    def _currency(self, code) -> int | bool:
        """The res.currency id of an ISO code (active or not), looked up once per session; False for no code.
        A code Odoo does not have refuses the write: an amount without its currency would be misread."""
        if not code:
            return False
        if code not in self._currencies:
            found = self.client.search("res.currency", [("name", "=", code), ("active", "in", [True, False])],
                                       limit=1)
            self._currencies[code] = found[0] if found else None
        if self._currencies[code] is None:
            raise ErpRefused(f"Odoo has no currency {code}: the amount is not written without it",
                             where=f"res.currency,{code}", hint=f"add the currency {code} in Odoo (it may stay "
                             "inactive), or correct the cover's currency at the insurer")
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
