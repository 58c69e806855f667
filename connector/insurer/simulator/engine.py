"""The simulated insurer's state and behaviour, without HTTP: tokens, requests, decisions, events, clock, file.

Every public method takes the lock, brings the state up to the clock (`_tick`: referred requests due, scripted
events due, covers expired) and saves the state file after a change, so a restarted simulator remembers all.
Answers are (HTTP status, body) pairs in the Allianz Trade shape (connector/insurer/allianz.py lists the shape).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import threading
import time
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Optional

from creditguard.mappings.errors import BadInput

from creditguard.connector.insurer.transport import to_json
from creditguard.connector.insurer.simulator.scenario import Event, Fault, Rule, Scenario

__all__ = ["Engine"]

UTC = dt.timezone.utc
_ACTIVE = ("Agreement", "PartialAgreement", "Reduction")


def _iso(when: dt.datetime) -> str:
    return when.astimezone(UTC).isoformat()


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _error(status, code, detail):
    return status, {"errors": [{"code": code, "detail": detail}]}


class Engine:
    def __init__(self, scenario: Scenario, state_path=None):
        self.scenario = scenario
        self.state_path = Path(state_path) if state_path else None
        self.lock = threading.RLock()
        self._faults: list[list] = [[fault, fault.times] for fault in scenario.faults]
        self._calls: list[float] = []                       # real times of recent calls, for the rate limit
        self._at: Optional[dt.datetime] = None              # the time a decision or event is being made at
        self.state = self._load() or self._fresh()
        self.state.setdefault("overdues", {})
        self.state.setdefault("claims", {})
        self.state["stats"].setdefault("overdue_declarations", 0)
        self.grades = {b.id: b.grade for b in scenario.buyers}
        self.grades.update({k: v["grade"] for k, v in self.state["grades"].items()})
        self.buyers = {b.id: b for b in scenario.buyers}

    # -- state file ------------------------------------------------------------------------------

    def _fresh(self) -> dict:
        wall = dt.datetime.now(UTC)
        start = self.scenario.clock.start or wall
        return {"format": "creditguard-insurer-sim-state/1", "start": _iso(start), "wall_origin": _iso(wall),
                "offset_seconds": 0.0,
                "seq": 0, "tokens": {}, "jobs": {}, "decisions": [], "covers": {}, "idempotency": {},
                "grades": {}, "events_done": [], "overdues": {},
                "stats": {"tokens_issued": 0, "cover_requests": 0, "overdue_declarations": 0}}

    def _load(self) -> Optional[dict]:
        if not self.state_path or not self.state_path.exists():
            return None
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"), parse_float=Decimal)
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read the simulator state: {exc}", where=str(self.state_path),
                           hint="delete the file to start afresh") from None
        if not isinstance(state, dict) or state.get("format") != "creditguard-insurer-sim-state/1":
            raise BadInput("not a simulator state file", where=str(self.state_path))
        return state

    def _save(self):
        if not self.state_path:
            return
        temporary = self.state_path.with_name(self.state_path.name + ".tmp")
        temporary.write_text(to_json(self.state), encoding="utf-8")
        os.replace(temporary, self.state_path)

    def _next(self, prefix) -> str:
        self.state["seq"] += 1
        return f"{prefix}{self.state['seq']:06d}"

    # -- clock -----------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """start + advances; a clock that is not frozen also runs with the real time since the first start."""
        with self.lock:
            running = 0.0 if self.scenario.clock.frozen else \
                (dt.datetime.now(UTC) - _time(self.state["wall_origin"])).total_seconds()
            return _time(self.state["start"]) + dt.timedelta(seconds=float(self.state["offset_seconds"]) + running)

    def advance(self, seconds: float = 0, *, days: float = 0) -> dt.datetime:
        """Move the clock forward (never back); decisions and events that fall due are made, at their time."""
        if seconds < 0 or days < 0:
            raise ValueError("the clock only moves forward")
        with self.lock:
            self.state["offset_seconds"] = float(self.state["offset_seconds"]) + seconds + days * 86400
            self._tick()
            self._save()
            return self.now()

    def _tick(self):
        now = self.now()
        due = []
        for job in self.state["jobs"].values():
            if job["jobStatusCode"] == "Pending" and _time(job["dueAt"]) <= now:
                due.append((_time(job["dueAt"]), 0, job["jobId"], lambda job=job: self._decide(job)))
        for i, event in enumerate(self.scenario.events):
            if event.at and event.at <= now and i not in self.state["events_done"]:
                due.append((event.at, 1, str(i), lambda i=i, event=event: self._scripted(i, event)))
        for cover in self.state["covers"].values():
            until = cover.get("validUntil")
            if until and cover["status"] in _ACTIVE and dt.date.fromisoformat(until) < now.date():
                expiry = dt.datetime.combine(dt.date.fromisoformat(until) + dt.timedelta(days=1), dt.time(),
                                             UTC)
                due.append((expiry, 2, cover["coverId"], lambda cover=cover, expiry=expiry:
                            self._record(cover["companyId"], None, "Expiry", Decimal(0), expiry,
                                         expiry.date(), None, "the cover expired")))
        for when, _order, _id, apply in sorted(due, key=lambda d: d[:3]):
            self._at = when
            apply()

    def _scripted(self, i, event):
        self.state["events_done"].append(i)
        self._apply_event(event, event.at)

    # -- faults and limits -----------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> Optional[Fault]:
        with self.lock:
            for entry in self._faults:
                fault, left = entry
                if left > 0 and fault.matches(method, path):
                    entry[1] -= 1
                    return fault
            return None

    def add_faults(self, faults: list[Fault]):
        with self.lock:
            self._faults += [[fault, fault.times] for fault in faults]

    def over_rate_limit(self) -> Optional[float]:
        """Seconds to wait when this call is over the scenario's rate limit, else None."""
        limit = self.scenario.rate_limit
        if limit is None:
            return None
        with self.lock:
            real = time.monotonic()
            self._calls = [t for t in self._calls if real - t < limit.per_seconds]
            if len(self._calls) >= limit.requests:
                return max(1.0, limit.per_seconds - (real - self._calls[0]))
            self._calls.append(real)
            return None

    # -- auth ------------------------------------------------------------------------------------

    def authorize(self, body) -> tuple[int, dict]:
        with self.lock:
            key = body.get("apiKey") if isinstance(body, dict) else None
            if not isinstance(key, str) or not secrets.compare_digest(key, self.scenario.api_key):
                return _error(401, "InvalidApiKey", "the API key is not valid")
            token = secrets.token_urlsafe(24)
            ttl = self.scenario.token_ttl_seconds
            self.state["tokens"][_digest(token)] = _iso(self.now() + dt.timedelta(seconds=ttl))
            self.state["stats"]["tokens_issued"] += 1
            self._save()
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": ttl}

    def check_token(self, header: Optional[str]) -> Optional[tuple[int, dict]]:
        """None when the bearer token is valid, else the 401 answer."""
        with self.lock:
            token = header[7:] if header and header.startswith("Bearer ") else ""
            expires = self.state["tokens"].get(_digest(token)) if token else None
            if expires is None:
                return _error(401, "InvalidToken", "no valid access token")
            if _time(expires) <= self.now():
                return _error(401, "TokenExpired", "the access token expired; request a new one")
            return None

    def expire_tokens(self):
        with self.lock:
            for digest in self.state["tokens"]:
                self.state["tokens"][digest] = _iso(self.now())
            self._save()

    # -- idempotency -----------------------------------------------------------------------------

    def idempotent(self, key: Optional[str], method, path, body, work) -> tuple[int, dict]:
        """Run `work` once per key: the same key and body replays the first answer; another body is a 422."""
        with self.lock:
            self._tick()
            if not key:
                return work()
            fingerprint = _digest(method + " " + path + " " + json.dumps(body, sort_keys=True, default=str))
            seen = self.state["idempotency"].get(key)
            if seen is not None:
                if seen["fingerprint"] != fingerprint:
                    return _error(422, "IdempotencyKeyReused",
                                  "this Idempotency-Key was used with a different request")
                return seen["status"], seen["body"]
            status, answer = work()
            if status < 400:
                self.state["idempotency"][key] = {"fingerprint": fingerprint, "status": status, "body": answer,
                                                  "at": _iso(self.now())}
                self._save()
            return status, answer

    # -- companies and grades --------------------------------------------------------------------

    def search_companies(self, body, by_identifier: bool) -> tuple[int, dict]:
        if not isinstance(body, dict):
            return _error(400, "BadRequest", "a JSON object is expected")
        name = str(body.get("companyName") or "").casefold()
        country = body.get("countryCode")
        ids = {str(i.get("idValue")) for i in body.get("companyIdentifiers") or [] if isinstance(i, dict)}
        found = []
        for buyer in self.scenario.buyers:
            if country and buyer.country != country:
                continue
            if by_identifier and ids and buyer.registration_id in ids:
                found.insert(0, buyer)
            elif name and name in buyer.name.casefold():
                found.append(buyer)
        size = int(body.get("pageSize") or body.get("requestedSize") or 10)
        return 200, {"results": [{"company": {"companyId": b.id, "legalData": {"companyName": b.name},
                                              "address": {"countryCode": b.country}}} for b in found[:size]]}

    def grade(self, company_id) -> tuple[int, dict]:
        with self.lock:
            self._tick()
            grade = self.grades.get(company_id)
            if company_id not in self.buyers or grade is None:
                return _error(404, "NotFound", "no grade for this company")
            since = self.state["grades"].get(company_id, {}).get("date") or self.state["start"][:10]
            return 200, {"companyId": company_id, "grade": str(grade), "gradeDate": since}

    # -- cover requests --------------------------------------------------------------------------

    def request_cover(self, body) -> tuple[int, dict]:
        """POST /riskinfo/v3/covers (inside `idempotent`)."""
        if not isinstance(body, dict):
            return _error(400, "BadRequest", "a JSON object is expected")
        company = str(body.get("companyId") or "")
        details = body.get("creditLimitDetails") if isinstance(body.get("creditLimitDetails"), dict) else {}
        try:
            amount = Decimal(str(details.get("requestedAmount")))
        except ArithmeticError:
            amount = Decimal(-1)
        currency = details.get("currencyCode")
        if company not in self.buyers:
            return _error(404, "NotFound", "No buyer match found")
        if not amount.is_finite() or amount <= 0:
            return _error(422, "InvalidAmount", "Must be positive number greater than zero")
        if not (isinstance(currency, str) and len(currency) == 3):
            return _error(422, "InvalidCurrency", "currencyCode must be an ISO 4217 code")
        if any(j["companyId"] == company and j["jobStatusCode"] == "Pending" for j in self.state["jobs"].values()):
            return _error(409, "RequestAlreadyOpen", "Credit limit request already exists for this buyer.")
        now = self.now()
        rule = self._rule(company, amount)
        job = {"jobId": self._next("J"), "companyId": company, "requestedAmount": amount, "currencyCode": currency,
               "creationDate": _iso(now), "jobStatusCode": "Pending", "resourceUrl": None,
               "dueAt": _iso(now + dt.timedelta(hours=self.scenario.referral_hours if rule.referred else 0))}
        self.state["jobs"][job["jobId"]] = job
        self.state["stats"]["cover_requests"] += 1
        if not rule.referred:
            self._at = now
            self._decide(job)
        self._save()
        return 202, {"jobId": job["jobId"]}

    def job(self, job_id) -> tuple[int, dict]:
        with self.lock:
            self._tick()
            job = self.state["jobs"].get(job_id)
            return (200, _public(job)) if job else _error(404, "NotFound", "no such job")

    def withdraw(self, job_id) -> tuple[int, dict]:
        """DELETE /riskinfo/v3/jobs/{id} (inside `idempotent`)."""
        job = self.state["jobs"].get(job_id)
        if job is None:
            return _error(404, "NotFound", "no such job")
        if job["jobStatusCode"] == "Withdrawn":
            return 200, _public(job)
        if job["jobStatusCode"] != "Pending":
            return _error(409, "AlreadyDecided", "the request is already decided")
        job["jobStatusCode"] = "Withdrawn"
        self._save()
        return 200, _public(job)

    def cover(self, cover_id) -> tuple[int, dict]:
        with self.lock:
            self._tick()
            for decision in reversed(self.state["decisions"]):
                if decision["coverId"] == cover_id or decision["decisionId"] == cover_id:
                    return 200, decision
            return _error(404, "NotFound", "no such cover")

    def search_covers(self, body) -> tuple[int, dict, dict]:
        with self.lock:
            self._tick()
            body = body if isinstance(body, dict) else {}
            paging = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
            page, size = max(1, int(paging.get("page") or 1)), max(1, min(500, int(paging.get("pageSize") or 100)))
            since = body.get("decisionDateFrom")
            items = self.state["decisions"]
            if since:
                items = [d for d in items if _time(d["decisionDate"]) >= _time(since)]
            company = body.get("companyId")
            if company:
                items = [d for d in items if d["companyId"] == company]
            pages = max(1, -(-len(items) // size))
            chunk = items[(page - 1) * size: page * size]
            headers = {"Total-Items": str(len(items)), "Total-Pages": str(pages)}
            return (206 if page < pages else 200), {"covers": chunk}, headers

    # -- the insurer's side ----------------------------------------------------------------------

    def _rule(self, company, amount) -> Rule:
        buyer = self.buyers[company]
        country_grade = self.scenario.country_grades.get(buyer.country)
        grade = self.grades.get(company)
        for rule in self.scenario.rules:
            w = rule.when
            if ((w.buyer is None or w.buyer == company) and (w.country is None or w.country == buyer.country)
                    and (w.country_grade_min is None or (country_grade is not None
                                                         and country_grade >= w.country_grade_min))
                    and (w.buyer_grade_min is None or (grade is not None and grade >= w.buyer_grade_min))
                    and (w.amount_above is None or amount > w.amount_above)
                    and (w.amount_at_most is None or amount <= w.amount_at_most)):
                return rule
        return Rule(decide="refuse", reason="no rule of the scenario approves this request")

    def _decide(self, job):
        """Decide a request by its rule at `self._at` (now, or when its referral fell due)."""
        company, amount = job["companyId"], Decimal(str(job["requestedAmount"]))
        rule = self._rule(company, amount)
        outcome, reason = rule.decide, rule.reason
        if outcome != "refuse" and (self.grades.get(company) or 0) >= 8:
            outcome, reason = "refuse", f"buyer grade {self.grades[company]}: no cover for further supplies"
        step = self.scenario.step
        if outcome == "approve":
            code, granted = "Agreement", amount
        elif outcome == "partial":
            code = "PartialAgreement"
            granted = (amount * (rule.percent or 50) / 100 / step).quantize(Decimal(1), ROUND_DOWN) * step
        else:
            code, granted = "Refusal", Decimal(0)
        when = self._at
        until = when.date() + dt.timedelta(days=rule.valid_days) if rule.valid_days and granted else None
        decision = self._record(company, job["jobId"], code, granted, when, when.date(), until, reason,
                                currency=job["currencyCode"], requested=amount)
        job["jobStatusCode"] = "Processed"
        job["resourceUrl"] = f"/riskinfo/v3/covers/{decision['decisionId']}"

    def _apply_event(self, event: Event, when: dt.datetime):
        cover = self.state["covers"].get(event.buyer)
        currency = cover["currencyCode"] if cover else self.scenario.currency
        notice = self.scenario.notice_days if event.notice_days is None else event.notice_days
        effective = when.date() + dt.timedelta(days=notice)
        if event.kind == "grade":
            self.grades[event.buyer] = event.grade
            self.state["grades"][event.buyer] = {"grade": event.grade, "date": when.date().isoformat()}
        elif event.kind == "reduce":
            self._record(event.buyer, None, "Reduction", event.amount or Decimal(0), when, effective,
                         cover.get("validUntil") if cover else None, event.reason or "the insurer reduced the cover",
                         currency=currency)
        elif event.kind == "insolvency":           # the buyer's insolvency: cover withdrawn at once
            self._record(event.buyer, None, "Insolvency", Decimal(0), when, when.date(), None,
                         event.reason or "the buyer is insolvent", currency=currency)
        elif event.kind == "cancel":
            self._record(event.buyer, None, "Cancellation", Decimal(0), when, effective, None,
                         event.reason or "the insurer cancelled the cover", currency=currency)
        else:
            self._record(event.buyer, None, event.code or "", event.amount if event.amount is not None
                         else Decimal(0), when, effective, None, event.reason, currency=currency)

    def event(self, event: Event) -> dict:
        """Apply one of the insurer's own changes now (the control endpoint and tests)."""
        with self.lock:
            if event.buyer not in self.buyers:
                raise BadInput(f"no buyer {event.buyer!r} in the scenario", where="event.buyer")
            self._tick()
            when = event.at or self.now()
            self._apply_event(event, when)
            self._save()
            return self.state["decisions"][-1] if event.kind != "grade" else {"grade": event.grade}

    def _record(self, company, job_id, code, amount, when, effective, until, reason, *, currency=None,
                requested=None) -> dict:
        cover = self.state["covers"].setdefault(company, {"coverId": self._next("C"), "companyId": company})
        currency = currency or cover.get("currencyCode") or self.scenario.currency
        decision = {
            "decisionId": self._next("D"), "coverId": cover["coverId"], "companyId": company, "jobId": job_id,
            "coverStatusCode": code, "decisionDate": _iso(when), "effectiveDate": effective.isoformat(),
            "currencyCode": currency,
            "creditLimitsAggregation": {"creditLimits": [] if not amount else [
                {"technicalDecisionStatusCode": code, "amount": amount, "currencyCode": currency,
                 "startDate": effective.isoformat(), "endDate": until.isoformat() if until else None}]},
            "statusReasons": [reason] if reason else [],
        }
        if requested is not None:
            decision["requestedAmount"] = requested
        self.state["decisions"].append(decision)
        cover.update({"status": code, "amount": amount, "currencyCode": currency,
                      "validUntil": until.isoformat() if until else None})
        return decision

    # -- overdue declarations (Payment Overdues: OVD state of default, EXP extension, RES rescheduling) --------

    def declare_overdue(self, body) -> tuple[int, dict]:
        """POST /payment-overdues/v1/overdues (inside `idempotent`): accepted even when late, but flagged, and
        (scenario.cancel_cover_on_late_declaration) the buyer's cover cancelled at once."""
        if not isinstance(body, dict):
            return _error(400, "BadRequest", "a JSON object is expected")
        company = str(body.get("companyId") or "")
        kind = body.get("overdueCategoryTypeCode")
        if company not in self.buyers:
            return _error(404, "NotFound", "No buyer match found")
        if kind not in ("OVD", "EXP", "RES"):
            return _error(422, "InvalidCategory", "overdueCategoryTypeCode must be OVD, EXP or RES")
        invoices, problem = _overdue_invoices(body.get("invoices"))
        if problem:
            return _error(422, "InvalidInvoices", problem)
        if any(o["companyId"] == company and o["overdueStatusCode"] not in ("Closed",)
               for o in self.state["overdues"].values()):
            return _error(409, "OverdueAlreadyOpen", "An overdue is already open for this buyer: add the invoices "
                          "to it.")
        now = self.now()
        deadline = min(dt.date.fromisoformat(i["dueDate"]) for i in invoices) + \
            dt.timedelta(days=self.scenario.overdue_notification_days)
        late = now.date() > deadline
        overdue = {"overdueId": self._next("O"), "companyId": company, "overdueCategoryTypeCode": kind,
                   "overdueStatusCode": "ExtensionGranted" if kind == "EXP" else "Registered",
                   "declarationDate": _iso(now), "declarationDeadline": deadline.isoformat(), "isLate": late,
                   "invoices": invoices, "statusReasons": ["declared after the policy's deadline"] if late else []}
        self.state["overdues"][overdue["overdueId"]] = overdue
        self.state["stats"]["overdue_declarations"] += 1
        if late and self.scenario.cancel_cover_on_late_declaration and company in self.state["covers"] and \
                self.state["covers"][company].get("status") in _ACTIVE:
            self._at = now
            self._record(company, None, "Cancellation", Decimal(0), now, now.date(), None,
                         f"overdue declared late (deadline {deadline.isoformat()})")
        self._save()
        return 201, overdue

    def overdue(self, overdue_id) -> tuple[int, dict]:
        with self.lock:
            self._tick()
            overdue = self.state["overdues"].get(overdue_id)
            return (200, overdue) if overdue else _error(404, "NotFound", "no such overdue")

    def change_overdue(self, overdue_id, what, body) -> tuple[int, dict]:
        """POST .../overdues/{id}/invoices (further overdues join it) or .../close (paid), inside `idempotent`."""
        overdue = self.state["overdues"].get(overdue_id)
        if overdue is None:
            return _error(404, "NotFound", "no such overdue")
        if overdue["overdueStatusCode"] == "Closed":
            return (200, overdue) if what == "close" else _error(409, "OverdueClosed", "the overdue is closed")
        if what == "close":
            overdue["overdueStatusCode"] = "Closed"
        else:
            invoices, problem = _overdue_invoices((body or {}).get("invoices") if isinstance(body, dict) else None)
            if problem:
                return _error(422, "InvalidInvoices", problem)
            known = {i["invoiceId"] for i in overdue["invoices"]}
            overdue["invoices"] += [i for i in invoices if i["invoiceId"] not in known]
        self._save()
        return 200, overdue

    # -- claims ----------------------------------------------------------------------------------

    def file_claim(self, body) -> tuple[int, dict]:
        """POST /claims/v1/claims (inside `idempotent`): on an open overdue of the buyer; decided when the
        waiting period has run (on the simulated clock)."""
        if not isinstance(body, dict):
            return _error(400, "BadRequest", "a JSON object is expected")
        company, overdue_id = str(body.get("companyId") or ""), str(body.get("overdueId") or "")
        overdue = self.state["overdues"].get(overdue_id)
        if company not in self.buyers:
            return _error(404, "NotFound", "No buyer match found")
        if overdue is None or overdue["companyId"] != company:
            return _error(422, "NoOverdue", "a claim needs the buyer's declared overdue (overdueId)")
        try:
            claimed = Decimal(str(body.get("claimedAmount")))
            if not claimed.is_finite() or claimed <= 0:
                raise ArithmeticError
        except ArithmeticError:
            return _error(422, "InvalidAmount", "claimedAmount must be a positive number")
        now = self.now()
        claim = {"claimId": self._next("K"), "companyId": company, "overdueId": overdue_id,
                 "claimedAmount": claimed, "currencyCode": body.get("currencyCode"),
                 "documents": list(body.get("documents") or []), "claimStatusCode": "InWaitingPeriod",
                 "filingDate": _iso(now),
                 "waitingPeriodEnd": (now + dt.timedelta(days=self.scenario.waiting_period_days)).date().isoformat(),
                 "indemnityAmount": None}
        self.state["claims"][claim["claimId"]] = claim
        self._save()
        return 201, claim

    def claim(self, claim_id) -> tuple[int, dict]:
        with self.lock:
            self._tick()
            claim = self.state["claims"].get(claim_id)
            if claim is None:
                return _error(404, "NotFound", "no such claim")
            if claim["claimStatusCode"] == "InWaitingPeriod" and \
                    self.now().date() >= dt.date.fromisoformat(claim["waitingPeriodEnd"]):
                loss, terms = Decimal(str(claim["claimedAmount"])), self.scenario
                paid = Decimal(0) if loss <= terms.claim_threshold else \
                    (max(Decimal(0), loss - terms.deductible) * terms.insured_percent / 100).quantize(Decimal("0.01"))
                claim.update(claimStatusCode="Paid" if paid > 0 else "Rejected", indemnityAmount=paid,
                             decisionDate=_iso(self.now()))
                self._save()
            return 200, claim

    def stats(self) -> dict:
        with self.lock:
            self._tick()
            return {"now": _iso(self.now()), **self.state["stats"], "jobs": len(self.state["jobs"]),
                    "decisions": len(self.state["decisions"]),
                    "open_requests": sum(j["jobStatusCode"] == "Pending" for j in self.state["jobs"].values())}


def _overdue_invoices(items) -> tuple[list, Optional[str]]:
    """The invoices of an overdue declaration, checked: (invoices, None) or ([], what is wrong)."""
    if not isinstance(items, list) or not items:
        return [], "invoices must be a non-empty list"
    invoices = []
    for n, item in enumerate(items):
        try:
            due = dt.date.fromisoformat(item["dueDate"])
            amount = Decimal(str(item["amount"]))
            if not amount.is_finite() or amount <= 0:
                raise ValueError
            invoices.append({"invoiceId": str(item.get("invoiceId") or item["invoiceNumber"]),
                             "invoiceNumber": str(item.get("invoiceNumber") or ""), "dueDate": due.isoformat(),
                             "amount": amount, "currencyCode": str(item.get("currencyCode") or "")})
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return [], f"invoices[{n}] needs invoiceNumber, dueDate (YYYY-MM-DD) and a positive amount"
    return invoices, None


def _public(job: dict) -> dict:
    return {k: v for k, v in job.items() if k != "dueAt"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
