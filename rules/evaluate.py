"""Evaluate a policy over a snapshot: facts -> engine -> decisions with messages. No I/O."""
from __future__ import annotations

import datetime as dt
import functools
import string
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from creditguard.mappings.vocab import Action, Status
from creditguard.rules import expr
from creditguard.rules.allowance import Allowance, solver_for
from creditguard.rules.facts import FACTS, NUMBER_FACTS, compute_facts
from creditguard.rules.pyengine import PythonEngine

# read once: an enum member costs ~0.2 µs to look up, and these are read for every customer
_HOLD, _FLAG, _RELEASE = Action.HOLD, Action.FLAG, Action.RELEASE
_HELD, _FLAGGED, _OK = Status.HOLD, Status.FLAG, Status.OK

ENGINES = ("durable", "python")


@dataclass(frozen=True, kw_only=True)
class Decision:
    """One action of one rule that fired for one customer."""
    customer_id: str
    rule: str
    action: str
    message: str
    facts: dict                      # the values the rule read, by name
    policy: str
    policy_version: int
    amount: Decimal | None = None    # request_limit only

    @property
    def key(self) -> str:
        """The decision's identity across cycles: the same rule taking the same action on the same customer
        (and amount) is the same episode, whatever the policy is called and whichever version it is in."""
        amount = f":{self.amount}" if self.amount is not None else ""
        return f"{self.rule}/{self.action}/{self.customer_id}{amount}"


@dataclass(frozen=True, kw_only=True)
class CustomerResult:
    customer_id: str
    name: str
    facts: dict
    decisions: tuple = field(default_factory=tuple)
    fired: tuple = ()                # indexes of the policy's rules whose condition held
    allowance: Allowance = Allowance()   # how much more exposure before a hold / a flag (rules/allowance.py)

    @property
    def status(self) -> str:
        actions = {d.action for d in self.decisions}
        return _HELD if _HOLD in actions else _FLAGGED if _FLAG in actions else _OK

    @property
    def hold(self) -> "Hold | None":
        """What holds the customer, as the ERP shows it: the rules and the reasons, joined; None if nothing."""
        holds = [d for d in self.decisions if d.action == _HOLD]
        if not holds:
            return None
        return Hold(", ".join(dict.fromkeys(d.rule for d in holds)), "; ".join(dict.fromkeys(d.message for d in holds)))


@dataclass(frozen=True)
class Hold:
    """The hold a customer's decisions call for: the rule ids ("a.b, c.d") and the reasons ("...; ...")."""
    rules: str
    reason: str


def make_engine(name: str, policy):
    """The engine called `name`; durable-rules falls back to Python where it cannot run."""
    if name == "python":
        return PythonEngine(policy), None
    from creditguard.rules import durable_engine
    if not durable_engine.available():
        return PythonEngine(policy), f"durable-rules cannot run here ({durable_engine.IMPORT_ERROR}); " \
                                     f"using the Python engine"
    return durable_engine.DurableEngine(policy), None


def numeric_view(facts: dict) -> dict:
    """What conditions read: numbers as floats, absent facts None (apply the policy's defaults first)."""
    view = dict(facts)
    for name in NUMBER_FACTS:
        value = view[name]
        view[name] = None if value is None else float(value)
    return view


def evaluate(policy, snapshot, engine, as_of: dt.date | None = None):
    """A CustomerResult per customer of the snapshot (a Snapshot or a SnapshotSource), in order.

    The whole snapshot is read and checked before this returns: a bad record fails here, before
    any result exists. The results themselves come one by one."""
    all_facts = compute_facts(snapshot, as_of)
    return (evaluate_customer(policy, engine, customer.id, customer.name, facts)
            for customer, facts in zip(snapshot.customers, all_facts))


def evaluate_customer(policy, engine, customer_id, name, facts) -> CustomerResult:
    facts = with_defaults(facts, policy.defaults)
    view = numeric_view(facts)
    fired = engine.fired(view)
    decisions = []
    for i in fired:
        rule = policy.rules[i]
        for action in rule.actions:
            decisions.append(_decision(policy, rule, action, customer_id, facts))
    if any(d.action == _HOLD for d in decisions):       # release means: nothing holds any more
        decisions = [d for d in decisions if d.action != _RELEASE]
    allowance = solver_for(policy, engine).solve(facts, fired, view)
    return CustomerResult(customer_id=customer_id, name=name, facts=facts, decisions=tuple(decisions),
                          fired=tuple(fired), allowance=allowance)


def with_defaults(facts: dict, defaults: dict) -> dict:
    if not defaults or all(facts[n] is not None for n in defaults):
        return facts
    return {n: (defaults[n] if v is None and n in defaults else v) for n, v in facts.items()}


def _decision(policy, rule, action, customer_id, facts) -> Decision:
    values = dict(policy.params)
    values.update(facts)
    amount = None
    if action.amount is not None:
        amount = round_up(decimal_value(action.amount, values), action.round_up_to)
        values["amount"] = amount
    message = " ".join(action.message.split()).format_map(
        {name: display(name, values[name]) for name in _placeholders(action.message)})
    read = {name: facts[name] for name in rule.reads if name in FACTS}
    return Decision(customer_id=customer_id, rule=rule.id, action=action.kind, message=message, facts=read,
                    policy=policy.name, policy_version=policy.version, amount=amount)


@functools.lru_cache(maxsize=None)
def _placeholders(message):
    return [f for _, f, _, _ in string.Formatter().parse(message) if f]


def decimal_value(node, values):
    """Exact value of an arithmetic expression (amounts are money: Decimal, not float)."""
    if isinstance(node, expr.Num):
        return node.value
    if isinstance(node, expr.Name):
        value = values[node.name]
        return None if value is None else Decimal(value)
    if isinstance(node, expr.Neg):
        value = decimal_value(node.operand, values)
        return None if value is None else -value
    left, right = decimal_value(node.left, values), decimal_value(node.right, values)
    if left is None or right is None:
        return None
    return left + right if node.op == "+" else left - right if node.op == "-" else left * right


def round_up(value, step):
    if value is None:
        return None
    return ((value / step).to_integral_value(ROUND_CEILING) * step).quantize(Decimal(1))


def display(name, value) -> str:
    """A value as a credit manager reads it: 11,000.00 for money, 35 for days, 2026-11-26 for dates."""
    if value is None:
        return "n/a"
    spec = FACTS.get(name)
    kind = spec.kind if spec else "amount" if name == "amount" else "param"
    if kind in ("money", "amount"):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def json_value(name, value):
    """A fact value in JSON output: money as a decimal string with cents, days and grades as numbers."""
    if value is None or isinstance(value, (bool, str)):
        return value
    spec = FACTS.get(name)
    if spec and spec.kind == "money":
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value
