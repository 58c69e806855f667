"""REST adapter shaped like the public Allianz Trade API (its developer portal's risk-info and cover endpoints);
an InsurerClient.

Wire (paths of production; the test environment inserts `uatm`, so it is a different `url` only):
    POST /v1/idp/oauth2/authorize {"apiKey"}  -> {"access_token", "token_type", "expires_in"}  [public]
    POST /search/v2/companies/advancedSearch  -> results[].company.{companyId, legalData.companyName, address}
    POST /search/v2/companies/matching        -> same result shape (ASSUMED: only the request is public)
    POST /riskinfo/v3/covers                  -> 202 {"jobId"}                                   [public]
    GET  /riskinfo/v3/jobs/{jobId}            -> {"jobStatusCode", "resourceUrl"}                 [public]
    GET  {resourceUrl} = /riskinfo/v3/covers/{coverId} -> cover with creditLimitsAggregation     [public]
    POST /riskinfo/v3/covers/search           -> covers, page/pageSize, 206 while pages remain   [public]

What the public material leaves unknown, and what this adapter ASSUMES (each is kept raw in the models):
- The full code lists of `coverStatusCode`, `technicalDecisionStatusCode` and `jobStatusCode` are not public;
  only "Agreement", "AlreadyAgreed" and pending/processed were seen. The tables below add the single-invoice
  vocabulary (Refused, Cancelled, Revoked) and the simulator's codes; any other code maps to `unknown`.
- The job answer is assumed to echo the request (`companyId`, `requestedAmount`, `currencyCode`, `creationDate`)
  and to stay pending while an underwriter reviews a referred request; `DELETE /riskinfo/v3/jobs/{jobId}` is
  assumed to withdraw an open request (the guidelines only say DELETE calls are asynchronous).
- The cover search is assumed to accept `decisionDateFrom` and to return one item per decision (`decisionId`,
  `decisionDate`, `jobId` or null for the insurer's own changes, `effectiveDate`), under `covers`.
- The amount granted is the sum of `creditLimits[].amount` (permanent plus temporary tranches); the effective
  date is the earliest `startDate`, `valid_until` the earliest `endDate`.
- The buyer grade is assumed at `GET /riskinfo/v3/companies/{companyId}/grade` -> {"grade", "gradeDate"}.
- Error bodies are assumed to be `{"errors": [{"code", "detail"}]}`; 422 with an idempotency code is a reused key.
- Rate limits are not published: 429 and 503 are handled anyway (connector/insurer/transport.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import random as _random
import time
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Optional

from pydantic import SecretStr

from creditguard.mappings.errors import ConfigError, TransientError
from creditguard.mappings.insurer import (UNKNOWN, BuyerGrade, BuyerIdentity, ClaimFiling, CoverDecision,
    CoverRequest, OverdueFiling, map_code)

from creditguard.connector.insurer.errors import IdempotencyConflict, InsurerRefused, RequestAlreadyOpen
from creditguard.connector.insurer.transport import Answer, RetryPolicy, Transport

__all__ = ["AllianzTradeClient", "COVER_CODES", "JOB_CODES", "API_KEY_ENV"]

log = logging.getLogger(__name__)

API_KEY_ENV = "CREDITGUARD_INSURER_API_KEY"

# the insurer's code -> the canonical status (mappings/insurer.py); anything else is `unknown`
COVER_CODES = {
    "Agreement": "approved", "AlreadyAgreed": "approved",            # seen on the wire
    "PartialAgreement": "partial", "Reduction": "partial",           # ASSUMED (simulator vocabulary)
    "Refused": "refused", "Refusal": "refused",                      # single-invoice vocabulary / assumed
    "Cancelled": "cancelled", "Cancellation": "cancelled", "Revoked": "cancelled",
    "Insolvency": "cancelled",                                       # ASSUMED: the buyer's insolvency ends cover
    "Expired": "expired", "Expiry": "expired",
    "Assessing": "pending", "Pending": "pending",
}
JOB_CODES = {"Pending": "pending", "Processed": "decided", "Withdrawn": "withdrawn", "Failed": "failed"}
OVERDUE_CODES = {"Registered": "registered", "Accepted": "registered", "ExtensionGranted": "extension_granted",
                 "ExtensionRefused": "extension_refused", "Closed": "closed"}
OVERDUES = "/payment-overdues/v1/overdues"
CLAIM_CODES = {"InWaitingPeriod": "waiting", "UnderReview": "waiting", "Submitted": "waiting", "Paid": "paid",
               "Rejected": "rejected", "Refused": "rejected"}
CLAIMS = "/claims/v1/claims"

_SECRET_KEYS = {"apikey", "api_key", "access_token", "accesstoken", "token", "authorization", "password"}


class AllianzTradeClient:
    """Allianz Trade cover API for one policy. `api_key` defaults to the environment's CREDITGUARD_INSURER_API_KEY."""

    def __init__(self, url: str, policy_id: str, api_key: Optional[str] = None, *, business_unit_code: str = "ACI",
                 extension_id: Optional[str] = None, timeout: float = 30.0, connect_timeout: float = 5.0,
                 retry: RetryPolicy = RetryPolicy(), page_size: int = 100,
                 sleep: Callable[[float], None] = time.sleep, random: Callable[[], float] = _random.random,
                 environ=os.environ):
        key = api_key if api_key is not None else environ.get(API_KEY_ENV)
        if not key:
            raise ConfigError("no API key for the insurer", where="[insurer] api_key",
                              hint=f"set api_key in the config or the environment variable {API_KEY_ENV}")
        self.policy = {"policyId": policy_id, "businessUnitCode": business_unit_code}
        if extension_id:
            self.policy["extensionId"] = extension_id
        self.page_size = page_size
        self.transport = Transport(url, SecretStr(key), _authorize, timeout=timeout,
                                   connect_timeout=connect_timeout, retry=retry, sleep=sleep, random=random,
                                   name=f"the insurer at {url.rstrip('/')}")

    def __repr__(self):
        return f"AllianzTradeClient({self.transport.base_url!r}, policy {self.policy['policyId']!r})"

    # -- InsurerClient ---------------------------------------------------------------------------

    def find_buyer(self, name, country, registration_id=None):
        if registration_id:
            body = {"requestedSize": 1, "companyName": name, "countryCode": country,
                    "companyIdentifiers": [{"idTypeCode": "OTHER", "idValue": registration_id}]}
            answer = self._call("POST", "/search/v2/companies/matching", body, missing_ok=True)
        else:
            body = {"companyName": name, "countryCode": country, "pageSize": 1, "onlyActive": True}
            answer = self._call("POST", "/search/v2/companies/advancedSearch", body, missing_ok=True)
        results = (answer.body or {}).get("results") if answer and isinstance(answer.body, dict) else None
        if not results:
            return None
        company = results[0].get("company") or {}
        if not company.get("companyId"):
            return None
        return BuyerIdentity(insurer_buyer_id=str(company["companyId"]),
                             name=_get(company, "legalData", "companyName") or name,
                             country=_get(company, "address", "countryCode") or country,
                             registration_id=registration_id, raw=scrub(results[0]))

    def request_cover(self, buyer_id, amount, currency, idempotency_key):
        body = {"requestTypeCode": "Primary", "policy": self.policy, "companyId": buyer_id,
                "creditLimitDetails": {"requestedAmount": Decimal(amount), "currencyCode": currency},
                "isRequestUrgent": False}
        answer = self._call("POST", "/riskinfo/v3/covers", body, idempotency_key=idempotency_key)
        job_id = answer.body.get("jobId") if isinstance(answer.body, dict) else None
        if not job_id:
            # accepted, but no job to follow: keep the answer for a person
            return CoverRequest(id=f"unknown:{idempotency_key}", buyer_id=buyer_id, amount=amount,
                                currency=currency, state=UNKNOWN, idempotency_key=idempotency_key,
                                raw=scrub(answer.body if isinstance(answer.body, dict) else {"body": answer.body}))
        try:
            request = self.request_state(str(job_id))
        except (TransientError, InsurerRefused) as exc:
            # the request went in (it has a job); only its state could not be read: follow it up later
            return CoverRequest(id=str(job_id), buyer_id=buyer_id, amount=amount, currency=currency, state="pending",
                                raw_state=None, idempotency_key=idempotency_key,
                                raw={"jobId": str(job_id), "unread": str(exc)[:300]})
        return request.model_copy(update={"idempotency_key": idempotency_key,
                                          "buyer_id": request.buyer_id or buyer_id,
                                          "amount": request.amount if request.amount is not None else amount,
                                          "currency": request.currency or currency})

    def request_state(self, request_id):
        job = self._call("GET", f"/riskinfo/v3/jobs/{request_id}").body
        return self._request_of(request_id, job if isinstance(job, dict) else {"body": job})

    def decisions_since(self, since):
        if since.tzinfo is None:
            raise ValueError("decisions_since needs a timezone-aware time")
        decisions, page, pages = [], 1, 1
        while page <= pages and page <= 10_000:
            body = {"policies": [self.policy], "decisionDateFrom": since.isoformat(),
                    "pagination": {"page": page, "pageSize": self.page_size, "isTotalRequired": True}}
            answer = self._call("POST", "/riskinfo/v3/covers/search", body)
            items = answer.body.get("covers", []) if isinstance(answer.body, dict) else []
            decisions += [decision_of(item) for item in items if isinstance(item, dict)]
            pages = _int(answer.headers.get("Total-Pages")) or (page + 1 if answer.status == 206 else page)
            if not items:
                break
            page += 1
        return sorted(decisions, key=lambda d: (d.decided_at is None, d.decided_at or since))

    def buyer_grade(self, buyer_id):
        answer = self._call("GET", f"/riskinfo/v3/companies/{buyer_id}/grade", missing_ok=True)
        if answer is None or not isinstance(answer.body, dict):
            return None
        raw = answer.body.get("grade")
        grade = _int(raw)
        return BuyerGrade(buyer_id=buyer_id, grade=grade if grade is not None and 1 <= grade <= 10 else None,
                          raw_grade=None if raw is None else str(raw), as_of=_date(answer.body.get("gradeDate")),
                          raw=scrub(answer.body))

    def withdraw(self, request_id):
        job = self._call("DELETE", f"/riskinfo/v3/jobs/{request_id}").body
        return self._request_of(request_id, job if isinstance(job, dict) else {"body": job})

    def declare_overdue(self, buyer_id, kind, invoices, idempotency_key):
        """File an overdue declaration (Payment Overdues: OVD state of default, EXP extension request) with
        `invoices` ([{invoiceNumber, invoiceId, dueDate, amount, currencyCode}]); safe to repeat under the key."""
        body = {"policy": self.policy, "companyId": buyer_id, "overdueCategoryTypeCode": kind,
                "invoices": invoices, "totalOverdueAmount": sum(Decimal(str(i["amount"])) for i in invoices)}
        answer = self._call("POST", OVERDUES, body, idempotency_key=idempotency_key)
        return _overdue_of(answer.body, f"unknown:{idempotency_key}")

    def add_to_overdue(self, overdue_id, invoices, idempotency_key):
        """Further overdue invoices of the buyer join its open declaration."""
        answer = self._call("POST", f"{OVERDUES}/{overdue_id}/invoices", {"invoices": invoices},
                            idempotency_key=idempotency_key)
        return _overdue_of(answer.body, overdue_id)

    def file_claim(self, buyer_id, overdue_id, invoices, amount, currency, documents, idempotency_key):
        """File a claim on the buyer's declared overdue; safe to repeat under the key."""
        body = {"policy": self.policy, "companyId": buyer_id, "overdueId": overdue_id, "invoices": invoices,
                "claimedAmount": Decimal(amount), "currencyCode": currency, "documents": list(documents)}
        answer = self._call("POST", CLAIMS, body, idempotency_key=idempotency_key)
        return _claim_of(answer.body, f"unknown:{idempotency_key}")

    def claim_state(self, claim_id):
        return _claim_of(self._call("GET", f"{CLAIMS}/{claim_id}").body, claim_id)

    def close_overdue(self, overdue_id, idempotency_key):
        """The declared invoices are paid: the declaration is closed."""
        answer = self._call("POST", f"{OVERDUES}/{overdue_id}/close", {"reasonCode": "Paid"},
                            idempotency_key=idempotency_key)
        return _overdue_of(answer.body, overdue_id)

    # -- reading answers -------------------------------------------------------------------------

    def _request_of(self, request_id, job: dict) -> CoverRequest:
        raw_state = job.get("jobStatusCode")
        state = map_code(JOB_CODES, raw_state)
        decision = None
        if state == "decided":
            url = job.get("resourceUrl") or job.get("ressourceUrl")      # [sic] in the guidelines
            cover = self._call("GET", _path_of(url)).body if url else None
            if isinstance(cover, dict):
                decision = decision_of(cover, request_id=request_id)
            else:
                state = UNKNOWN                                           # processed, but nothing to read
        return CoverRequest(
            id=request_id, buyer_id=_str(job.get("companyId")), amount=_decimal(job.get("requestedAmount")),
            currency=_currency(job.get("currencyCode")), state=state,
            raw_state=None if raw_state is None else str(raw_state),
            created_at=_time(job.get("creationDate")), decided_at=decision.decided_at if decision else None,
            decision=decision, raw=scrub(job))

    # -- transport and errors --------------------------------------------------------------------

    def _call(self, method, path, body=None, *, idempotency_key=None, missing_ok=False) -> Optional[Answer]:
        answer = self.transport.call(method, path, body=body, idempotency_key=idempotency_key)
        if answer.status < 400:
            return answer
        if answer.status == 404 and missing_ok:
            return None
        raise _refusal(answer, method, path)


def _authorize(transport: Transport) -> str:
    answer = transport.call("POST", "/v1/idp/oauth2/authorize",
                            body={"apiKey": transport.api_key.get_secret_value()}, auth=False)
    if answer.status in (400, 401, 403):
        raise ConfigError(f"{transport.name} refused the API key (HTTP {answer.status})", where="[insurer] api_key",
                          hint=f"check the key in the config or {API_KEY_ENV}")
    token = answer.body.get("access_token") if isinstance(answer.body, dict) else None
    if answer.status >= 400 or not token:
        raise ConfigError(f"{transport.name} gave no access token (HTTP {answer.status})",
                          where=transport.base_url, hint="check [insurer] url")
    return str(token)


def _refusal(answer: Answer, method, path) -> Exception:
    errors = answer.body.get("errors") if isinstance(answer.body, dict) else None
    details = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    text = "; ".join(str(e.get("detail") or e.get("code")) for e in details)[:300] or f"HTTP {answer.status}"
    codes = " ".join(str(e.get("code", "")) for e in details).lower()
    where = f"{method} {path}"
    raw = scrub(answer.body) if isinstance(answer.body, dict) else None
    if answer.status == 409 and method == "POST":
        return RequestAlreadyOpen(f"the insurer already has an open request on this buyer: {text}",
                                  status=409, raw=raw, where=where,
                                  hint="wait for its decision or withdraw it")
    if answer.status == 422 and "idempotency" in codes:
        return IdempotencyConflict(f"the idempotency key was already used for another request: {text}",
                                   status=422, raw=raw, where=where)
    if answer.status == 403:
        return ConfigError(f"the insurer does not allow {where} for this API key or policy (HTTP 403)",
                           where="[insurer]", hint="check policy_id and the key's access")
    return InsurerRefused(f"the insurer refused the call (HTTP {answer.status}): {text}", status=answer.status,
                          raw=raw, where=where)


def _claim_of(body, fallback_id) -> ClaimFiling:
    item = body if isinstance(body, dict) else {"body": body}
    raw_state = item.get("claimStatusCode")
    return ClaimFiling(id=_str(item.get("claimId")) or fallback_id,
                       state=map_code(CLAIM_CODES, raw_state) if item.get("claimId") else UNKNOWN,
                       raw_state=None if raw_state is None else str(raw_state),
                       waiting_until=_date(item.get("waitingPeriodEnd")),
                       indemnity=_decimal(item.get("indemnityAmount")),
                       raw=scrub(item))


def _overdue_of(body, fallback_id) -> OverdueFiling:
    """The insurer's answer on an overdue declaration; an answer it cannot read is `unknown`, kept raw."""
    item = body if isinstance(body, dict) else {"body": body}
    raw_state = item.get("overdueStatusCode")
    return OverdueFiling(id=_str(item.get("overdueId")) or fallback_id, kind=_str(item.get("overdueCategoryTypeCode")),
                         state=map_code(OVERDUE_CODES, raw_state) if item.get("overdueId") else UNKNOWN,
                         raw_state=None if raw_state is None else str(raw_state), late=item.get("isLate") is True,
                         deadline=_date(item.get("declarationDeadline")),
                         invoices=len(item.get("invoices") or []) if isinstance(item.get("invoices"), list) else 0,
                         reasons=tuple(str(r) for r in item.get("statusReasons") or [] if r),
                         raw=scrub(item))


def decision_of(item: dict, request_id: Optional[str] = None) -> CoverDecision:
    """A canonical decision from one cover item; what cannot be read is None and the code maps to `unknown`."""
    raw_status = item.get("coverStatusCode")
    limits = _get(item, "creditLimitsAggregation", "creditLimits")
    limits = [x for x in limits if isinstance(x, dict)] if isinstance(limits, list) else []
    amounts = [_decimal(x.get("amount")) for x in limits]
    amount = sum(amounts, Decimal(0)) if amounts and None not in amounts else None
    if amount is None and not limits and map_code(COVER_CODES, raw_status) in ("refused", "cancelled"):
        amount = Decimal(0)
    currencies = {_currency(x.get("currencyCode")) for x in limits}
    starts = [d for d in (_date(x.get("startDate")) for x in limits) if d]
    ends = [d for d in (_date(x.get("endDate")) for x in limits) if d]
    job = item.get("jobId")
    reasons = item.get("statusReasons")
    status = map_code(COVER_CODES, raw_status)
    if status == UNKNOWN:
        log.warning("insurer decision %s on buyer %s: unknown status code %r, kept raw for a person",
                    item.get("decisionId"), item.get("companyId"), raw_status)
    return CoverDecision(
        decision_id=_str(item.get("decisionId")) or f"{item.get('coverId')}@{item.get('decisionDate')}",
        buyer_id=_str(item.get("companyId")),
        request_id=request_id or (None if job is None else str(job)),
        status=status, raw_status=None if raw_status is None else str(raw_status),
        amount=amount, currency=currencies.pop() if len(currencies) == 1 else _currency(item.get("currencyCode")),
        decided_at=_time(item.get("decisionDate")),
        effective_date=_date(item.get("effectiveDate")) or (min(starts) if starts else None),
        valid_until=min(ends) if ends else None,
        reason="; ".join(map(str, reasons)) if isinstance(reasons, list) and reasons else None,
        raw=scrub(item))


def scrub(value: Any) -> Any:
    """`value` without any secret-looking key, for storing raw answers."""
    if isinstance(value, dict):
        return {k: ("***" if str(k).lower() in _SECRET_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _path_of(url: str) -> str:
    if "://" in url:
        url = "/" + url.split("://", 1)[1].split("/", 1)[-1]
    return url if url.startswith("/") else "/" + url


def _get(data, *keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _str(value) -> Optional[str]:
    return None if value is None or value == "" else str(value)


def _int(value) -> Optional[int]:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _decimal(value) -> Optional[Decimal]:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _currency(value) -> Optional[str]:
    return value if isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper() else None


def _date(value) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _time(value) -> Optional[dt.datetime]:
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
