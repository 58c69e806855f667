"""The simulator's scenario file (YAML): its buyers, decision rules, the insurer's own changes and injected faults.

    format: creditguard-insurer-sim/1
    api_key: sim-key                      # the one API key the simulator accepts
    token_ttl_seconds: 3600               # bearer tokens expire after this (simulated) time
    clock: {start: "2026-11-26T09:00:00+00:00", frozen: true}   # frozen: time moves only when advanced
    notice_days: 30                       # the insurer's own reductions and cancellations apply after this
    referral_hours: 48                    # a referred request is decided this long after it came in
    rate_limit: {requests: 20, per_seconds: 1}                  # optional, on the real clock: 429 beyond it
    country_grades: {DE: 0, TR: 5}        # country -> grade 0 (lowest risk) .. 7
    buyers:
      - {id: "100001", name: Acme GmbH, country: DE, registration_id: HRB 12345, grade: 4}
    rules:                                # the first rule whose `when` matches decides; none matching: refuse
      - when: {buyer: "100003"}           # buyer, country, country_grade_min, buyer_grade_min,
        decide: refuse                    #   amount_above, amount_at_most (all must hold)
        reason: insolvency proceedings
      - when: {amount_above: 100000}
        decide: partial                   # approve | partial | refuse
        percent: 50                       # partial: share of the amount asked, rounded down to `step`
        referred: true                    # decided after referral_hours instead of at once
      - decide: approve
        valid_days: 365                   # optional: the cover expires after this
    events:                               # the insurer's own changes, when the clock reaches `at`
      - {at: "2026-12-01T00:00:00+00:00", buyer: "100001", kind: reduce, amount: 20000}
      - {at: "2026-12-01T00:00:00+00:00", buyer: "100002", kind: grade, grade: 8}
    faults:                               # injected into the matching calls, in order, `times` each
      - {on: "POST /riskinfo/v3/covers", kind: status, status: 503, times: 1}

A buyer of grade 8, 9 or 10 is never approved, whatever the rules say (Allianz Trade practice).
Event kinds: reduce (amount), cancel, grade (grade), decision (code, amount: a raw decision, e.g. an unknown code).
Fault kinds: status (status, retry_after, body), slow (seconds, then answers), drop (closes the connection
unanswered, nothing done), drop_after (does the work, then closes unanswered), malformed (200 with a non-JSON body).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from creditguard.mappings.errors import BadInput
from creditguard.mappings.models import Currency, Money
from creditguard.mappings.yamlsrc import YamlSourceError, load_yaml

__all__ = ["Scenario", "Rule", "Event", "Fault", "load_scenario", "parse_scenario", "FORMAT"]

FORMAT = "creditguard-insurer-sim/1"
_STRICT = ConfigDict(extra="forbid")
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Grade = Annotated[int, Field(ge=1, le=10)]
Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


class Buyer(BaseModel):
    model_config = _STRICT
    id: Annotated[str, StringConstraints(min_length=1)]
    name: str
    country: Country
    registration_id: Optional[str] = None
    grade: Optional[Grade] = None


class When(BaseModel):
    model_config = _STRICT
    buyer: Optional[str] = None
    country: Optional[Country] = None
    country_grade_min: Optional[Annotated[int, Field(ge=0, le=7)]] = None
    buyer_grade_min: Optional[Grade] = None
    amount_above: Optional[Money] = None
    amount_at_most: Optional[Money] = None


class Rule(BaseModel):
    model_config = _STRICT
    when: When = When()
    decide: Literal["approve", "partial", "refuse"]
    percent: Optional[Annotated[int, Field(gt=0, lt=100)]] = None
    referred: bool = False
    reason: Optional[str] = None
    valid_days: Optional[Annotated[int, Field(gt=0)]] = None


class Event(BaseModel):
    model_config = _STRICT
    at: Optional[AwareDatetime] = None         # None: applied when posted to the control endpoint
    buyer: str
    kind: Literal["reduce", "cancel", "grade", "decision", "insolvency"]
    amount: Optional[Money] = None
    grade: Optional[Grade] = None
    code: Optional[str] = None
    notice_days: Optional[Annotated[int, Field(ge=0)]] = None   # default: the scenario's notice_days
    reason: Optional[str] = None


class Fault(BaseModel):
    model_config = _STRICT
    on: str = "*"                               # "METHOD /path-prefix", "/path-prefix" or "*"
    kind: Literal["status", "slow", "drop", "drop_after", "malformed"]
    status: Optional[Annotated[int, Field(ge=200, le=599)]] = None     # 200 with `body`: an odd answer
    retry_after: Optional[Annotated[float, Field(ge=0)]] = None
    body: Optional[str] = None
    seconds: Annotated[float, Field(ge=0, le=60)] = 0.0
    times: Annotated[int, Field(ge=1)] = 1

    def matches(self, method: str, path: str) -> bool:
        if self.on == "*":
            return True
        parts = self.on.split(None, 1)
        if len(parts) == 2:
            return parts[0].upper() == method and path.startswith(parts[1])
        return path.startswith(parts[0])


class Clock(BaseModel):
    model_config = _STRICT
    start: Optional[AwareDatetime] = None       # None: the real time when the simulator first starts
    frozen: bool = False


class RateLimit(BaseModel):
    model_config = _STRICT
    requests: Annotated[int, Field(gt=0)]
    per_seconds: Annotated[float, Field(gt=0)] = 1.0


class Scenario(BaseModel):
    model_config = _STRICT
    format: Literal["creditguard-insurer-sim/1"] = FORMAT
    api_key: Annotated[str, StringConstraints(min_length=1)]
    token_ttl_seconds: Annotated[int, Field(gt=0)] = 3600
    clock: Clock = Clock()
    notice_days: Annotated[int, Field(ge=0)] = 30
    # overdue declarations: the policy's deadline (days after the oldest due date), and whether a late one
    # cancels the buyer's cover (the practice: the insurer may; by default the simulator does)
    overdue_notification_days: Annotated[int, Field(ge=0)] = 60
    cancel_cover_on_late_declaration: bool = True
    # claims: paid after the waiting period, insured_percent of the loss above the deductible (nothing at or
    # below the threshold)
    waiting_period_days: Annotated[int, Field(ge=0)] = 180
    insured_percent: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(90)
    claim_threshold: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    deductible: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    referral_hours: Annotated[float, Field(ge=0)] = 48
    step: Positive = Decimal(1000)
    currency: Currency = "EUR"
    rate_limit: Optional[RateLimit] = None
    country_grades: dict[Country, Annotated[int, Field(ge=0, le=7)]] = {}
    buyers: list[Buyer] = []
    rules: list[Rule] = [Rule(decide="approve")]
    events: list[Event] = []
    faults: list[Fault] = []

    def __repr__(self):                          # the API key stays out of reprs and tracebacks
        return f"Scenario({len(self.buyers)} buyers, {len(self.rules)} rules)"

    __str__ = __repr__


def load_scenario(path) -> Scenario:
    """The scenario in `path`; BadInput naming file, line and field when it is not valid."""
    source = str(path)
    try:
        doc = load_yaml(path)
    except OSError as exc:
        raise BadInput(f"cannot read the scenario: {exc.strerror}", where=source) from None
    except YamlSourceError as exc:
        raise BadInput(exc.message, where=f"{source}:{exc.line or 1}") from None
    return _validate(doc, source)


def parse_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """A scenario from plain data (tests build them in code)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise BadInput(_first_problem(exc), where=source) from None


def _validate(doc, source) -> Scenario:
    if not isinstance(doc.data, dict):
        raise BadInput("a scenario is a mapping with api_key, buyers, rules, ...", where=f"{source}:1")
    try:
        return Scenario.model_validate(doc.data)
    except ValidationError as exc:
        error = exc.errors()[0]
        line = doc.line(error["loc"]) or 1
        raise BadInput(_first_problem(exc), where=f"{source}:{line}",
                       hint="see the format in connector/insurer/simulator/scenario.py") from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "(top)"
    message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
    return f"{field}: {message}"
