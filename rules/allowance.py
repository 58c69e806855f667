"""The order allowance (docs/allowance.md): how much more exposure a customer can take before a rule fires. Pure.

An order of amount d moves `exposure` and `orders_to_invoice` by d, and `uninsured_exposure` to
max(0, exposure + d - insured_cover); nothing else. For each rule whose condition reads one of those, every
comparison in it is turned into a polynomial in d (exact fractions); its real roots are the amounts at which the
rule may start or stop firing. The rule's own compiled condition is then evaluated at the cents around each root,
in order, and the first cent at which it fires bounds the allowance. So the answer is what the engine decides,
whatever the condition's shape (linear or not, a rule that stops firing as exposure grows, rounding in floats).
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from . import expr
from .pyengine import compile_condition

__all__ = ["Bound", "Allowance", "AllowanceSolver", "MOVING", "raised_facts", "solver_for"]

MOVING = ("exposure", "orders_to_invoice", "uninsured_exposure")     # the facts an order moves
CENT = Decimal("0.01")
# limit facts a bound is named after when the exposure a rule allows equals one of them
BOUND_NAMES = {"credit_limit": "its credit limit", "insured_cover": "its insurer cover",
               "discretionary_limit": "the policy's discretionary limit"}


@dataclass(frozen=True)
class Bound:
    """How much more exposure before a rule of one kind (hold or flag) fires: `amount` None is no limit."""
    amount: Decimal | None = None
    rule: str = ""            # the rule that fires first
    bound: str = ""           # the exposure it allows, as a salesperson reads it: "its credit limit 10,000.00"

    @property
    def limited(self) -> bool:
        return self.amount is not None

    def show(self) -> str:
        """As `explain` prints it: "1,250.00 (credit_limit.exceeded)" or "no limit"."""
        return "no limit" if self.amount is None else f"{self.amount:,.2f} ({self.rule})"


NO_LIMIT = Bound()


@dataclass(frozen=True)
class Allowance:
    hold: Bound = NO_LIMIT    # the order allowance: above it, the order is refused
    flag: Bound = NO_LIMIT    # the flag allowance: above it, the order is warned about


def raised_facts(facts: dict, amount: Decimal) -> dict:
    """The facts as they are after an order of `amount` (company currency) is confirmed."""
    raised = dict(facts)
    raised["exposure"] = facts["exposure"] + amount
    raised["orders_to_invoice"] = facts["orders_to_invoice"] + amount
    raised["uninsured_exposure"] = max(Decimal("0.00"), raised["exposure"] - facts["insured_cover"])
    return raised


_solvers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def solver_for(policy, engine) -> "AllowanceSolver":
    """The solver of `policy` on `engine`, made once per engine."""
    solver = _solvers.get(engine)
    if solver is None:
        solver = _solvers[engine] = AllowanceSolver(policy, engine)
    return solver


class AllowanceSolver:
    """Allowances of one policy, decided by one engine (its `fired(view)` is the predicate)."""

    def __init__(self, policy, engine):
        from .evaluate import numeric_view      # evaluate imports this module
        self.numeric_view = numeric_view
        self.policy = policy
        self.engine = engine
        self.exact = getattr(engine, "name", "") == "python"     # its own closures are the conditions below
        self.kinds = {}                                           # rule index -> "hold" / "flag"
        self.moving = {}                                          # rule index -> (condition, comparisons)
        for i, rule in enumerate(policy.rules):
            actions = {a.kind for a in rule.actions}
            for kind in ("hold", "flag"):
                if kind in actions:
                    self.kinds.setdefault(i, set()).add(kind)
            if i in self.kinds and set(expr.names(rule.when)) & set(MOVING):
                comparisons = [n for n in expr.walk(rule.when)
                               if isinstance(n, expr.Compare) and set(expr.names(n)) & set(MOVING)]
                self.moving[i] = (compile_condition(rule.when, policy.params), comparisons)

    def solve(self, facts: dict, fired=()) -> Allowance:
        """The allowance of a customer with these facts (policy defaults applied), `fired` the rules that fire
        now."""
        return Allowance(self._bound("hold", facts, fired), self._bound("flag", facts, fired))

    def _bound(self, kind, facts, fired) -> Bound:
        now = [i for i in fired if kind in self.kinds.get(i, ())]
        if now:
            return Bound(Decimal("0.00"), self.policy.rules[now[0]].id)
        first = None                                   # (cents, rule index)
        for i, (condition, comparisons) in self.moving.items():
            if kind not in self.kinds[i]:
                continue
            limit = first[0] if first else None
            cents = self._first_firing(facts, condition, comparisons, limit)
            if cents is not None and (first is None or cents < first[0]):
                first = (cents, i)
        if first is not None and not self.exact:
            first = self._confirmed(kind, facts, first)
        if first is None:
            return NO_LIMIT
        cents, i = first
        amount = Decimal(cents - 1).scaleb(-2)
        return Bound(amount, self.policy.rules[i].id, self._bound_text(facts, amount, self.policy.rules[i].id))

    def _first_firing(self, facts, condition, comparisons, limit):
        """The first cent (> 0) at which `condition` holds, below `limit` when given; None if none."""
        for cents in _candidates(facts, comparisons, self.policy.params):
            if limit is not None and cents >= limit:
                return None
            if condition(self._view(facts, cents)):
                return cents
        return None

    def _view(self, facts, cents):
        return self.numeric_view(raised_facts(facts, Decimal(cents).scaleb(-2)))

    def _fires(self, kind, facts, cents) -> list[int]:
        return [i for i in self.engine.fired(self._view(facts, cents)) if kind in self.kinds.get(i, ())]

    def _confirmed(self, kind, facts, first):
        """The engine's own word on the first firing cent: it fires there and not one cent below; if it
        disagrees, every candidate is asked of the engine itself."""
        cents, i = first
        at = self._fires(kind, facts, cents)
        if at and not (cents > 1 and self._fires(kind, facts, cents - 1)):
            return cents, at[0]
        points = sorted({c for j, (_, comparisons) in self.moving.items() if kind in self.kinds[j]
                         for c in _candidates(facts, comparisons, self.policy.params)})
        for c in points:
            if hits := self._fires(kind, facts, c):
                return c, hits[0]
        return None

    def _bound_text(self, facts, amount, rule_id) -> str:
        allowed = facts["exposure"] + amount
        for name, words in BOUND_NAMES.items():
            value = facts.get(name)
            if value is not None and value == allowed:
                return f"{words} {allowed:,.2f}"
        return f"the {allowed:,.2f} that rule {rule_id} allows"


# --- candidates: the cents around every amount at which a comparison may change ------------------------

def _candidates(facts, comparisons, params) -> list[int]:
    """Sorted cents > 0 next to each real root (in d) of each comparison's left - right."""
    roots = set()
    for node in comparisons:
        for uninsured_zero in (True, False):
            left = _poly(node.left, facts, params, uninsured_zero)
            right = _poly(node.right, facts, params, uninsured_zero)
            if left is None or right is None:
                continue
            roots.update(_real_roots(_sub(left, right)))
        if "uninsured_exposure" in expr.names(node):
            roots.add(Fraction(facts["insured_cover"]) - Fraction(facts["exposure"]))   # where max(0, ...) bends
    cents = set()
    for root in roots:
        k = math.floor(root * 100)
        cents.update(c for c in (k - 1, k, k + 1, k + 2) if c > 0)
    return sorted(cents)


def _poly(node, facts, params, uninsured_zero):
    """`node` as polynomial coefficients in d (lowest degree first), exact; None if it is not a number or
    reads an absent fact."""
    if isinstance(node, expr.Num):
        return [Fraction(node.value)]
    if isinstance(node, expr.Name):
        if node.name in params:
            value = params[node.name]
            return None if isinstance(value, bool) else [Fraction(value)]
        value = facts.get(node.name)
        if value is None or isinstance(value, (bool, str)) or not isinstance(value, (int, Decimal)):
            return None
        if node.name in ("exposure", "orders_to_invoice"):
            return [Fraction(value), Fraction(1)]
        if node.name == "uninsured_exposure":
            return [Fraction(0)] if uninsured_zero else \
                [Fraction(facts["exposure"]) - Fraction(facts["insured_cover"]), Fraction(1)]
        return [Fraction(value)]
    if isinstance(node, expr.Neg):
        operand = _poly(node.operand, facts, params, uninsured_zero)
        return None if operand is None else [-c for c in operand]
    if isinstance(node, expr.Arith):
        left = _poly(node.left, facts, params, uninsured_zero)
        right = _poly(node.right, facts, params, uninsured_zero)
        if left is None or right is None:
            return None
        if node.op == "+":
            return _add(left, right)
        if node.op == "-":
            return _sub(left, right)
        return _mul(left, right)
    return None


def _add(a, b):
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(n)]


def _sub(a, b):
    return _add(a, [-c for c in b])


def _mul(a, b):
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def _trim(p):
    p = list(p)
    while len(p) > 1 and p[-1] == 0:
        p.pop()
    return p


def _real_roots(p) -> list[Fraction]:
    """The real roots of a polynomial: exact for degree 1, by bisection between critical points above."""
    p = _trim(p)
    degree = len(p) - 1
    if degree < 1:
        return []
    if degree == 1:
        return [-p[0] / p[1]]
    critical = _real_roots([c * i for i, c in enumerate(p)][1:])
    reach = 1 + max(abs(c / p[-1]) for c in p[:-1])           # Cauchy's bound: every root lies within
    points = [-reach] + sorted(c for c in critical if -reach < c < reach) + [reach]
    roots = []
    for a, b in zip(points, points[1:]):
        fa, fb = _at(p, a), _at(p, b)
        if fa == 0:
            roots.append(a)
        if fa * fb < 0:
            roots.append(_bisect(p, a, b, fa))
    if _at(p, points[-1]) == 0:
        roots.append(points[-1])
    return roots


def _at(p, x):
    value = Fraction(0)
    for c in reversed(p):
        value = value * x + c
    return value


def _bisect(p, a, b, fa):
    """A root in (a, b), where p changes sign, to well under a cent (floats; only for degree 2 and up)."""
    fp = [float(c) for c in p]
    a, b, fa = float(a), float(b), float(fa)
    for _ in range(200):
        mid = (a + b) / 2
        if mid in (a, b):
            break
        fm = 0.0
        for c in reversed(fp):
            fm = fm * mid + c
        if (fm < 0) == (fa < 0) and fm != 0:
            a, fa = mid, fm
        else:
            b = mid
        if b - a < 1e-6:
            break
    return Fraction((a + b) / 2)
