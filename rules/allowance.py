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
from decimal import Context, Decimal, localcontext
from fractions import Fraction

from creditguard.mappings.vocab import Action
from creditguard.rules import expr
from creditguard.rules.pyengine import compile_condition

__all__ = ["Bound", "Allowance", "AllowanceSolver", "MOVING", "solver_for"]

_HOLD, _FLAG = Action.HOLD, Action.FLAG      # read once (an enum member costs ~0.2 µs to look up)
MOVING = ("exposure", "orders_to_invoice", "uninsured_exposure")     # the facts an order moves
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
        from creditguard.rules.evaluate import numeric_view      # evaluate imports this module
        self.numeric_view = numeric_view
        self.policy = policy
        self.engine = engine
        self.exact = getattr(engine, "name", "") == "python"     # its own closures are the conditions below
        self.kinds = {}                                           # rule index -> Action.HOLD / Action.FLAG
        self.moving = {}                                          # rule index -> (condition, comparisons)
        self.open = {}                                            # rule index -> may an order make it fire?
        for i, rule in enumerate(policy.rules):
            actions = {a.kind for a in rule.actions}
            for kind in (Action.HOLD, Action.FLAG):
                if kind in actions:
                    self.kinds.setdefault(i, set()).add(kind)
            if i in self.kinds and set(expr.names(rule.when)) & set(MOVING):
                comparisons = [_Comparison(n, policy.params) for n in expr.walk(rule.when)
                               if isinstance(n, expr.Compare) and set(expr.names(n)) & set(MOVING)]
                self.moving[i] = (compile_condition(rule.when, policy.params), comparisons)
                self.open[i] = _open(rule.when, policy.params)
        self.reads = sorted({name for _, comparisons in self.moving.values() for c in comparisons
                             for name in c.reads})

    def solve(self, facts: dict, fired=(), view=None) -> Allowance:
        """The allowance of a customer with these facts (policy defaults applied), `fired` the rules that fire
        now, `view` its numeric view when the caller has it."""
        if not self.moving and not fired:
            return Allowance()
        customer = _Customer(self, facts, view)
        return Allowance(self._bound(_HOLD, customer, fired), self._bound(_FLAG, customer, fired))

    def _bound(self, kind, customer, fired) -> Bound:
        now = [i for i in fired if kind in self.kinds.get(i, ())]
        if now:
            return Bound(Decimal("0.00"), self.policy.rules[now[0]].id)
        first = None                                   # (cents, rule index)
        for i, (condition, _) in self.moving.items():
            if kind not in self.kinds[i] or self.open[i](customer.raised) is False:
                continue
            limit = first[0] if first else None
            cents = self._first_firing(customer, i, condition, limit)
            if cents is not None and (first is None or cents < first[0]):
                first = (cents, i)
        if first is not None and not self.exact:
            first = self._confirmed(kind, customer, first)
        if first is None:
            return NO_LIMIT
        cents, i = first
        amount = Decimal(cents - 1).scaleb(-2)
        rule_id = self.policy.rules[i].id
        return Bound(amount, rule_id, self._bound_text(customer.facts, amount, rule_id))

    def _first_firing(self, customer, i, condition, limit):
        """The first cent (> 0) at which rule i's `condition` holds, below `limit` when given; None if none."""
        for cents in customer.candidates(i):
            if limit is not None and cents >= limit:
                return None
            if condition(customer.view(cents)):
                return cents
        return None

    def _fires(self, kind, customer, cents) -> list[int]:
        return [i for i in self.engine.fired(customer.view(cents)) if kind in self.kinds.get(i, ())]

    def _confirmed(self, kind, customer, first):
        """The engine's own word on the first firing cent: it fires there and not one cent below; if it
        disagrees, every candidate is asked of the engine itself."""
        cents, i = first
        at = self._fires(kind, customer, cents)
        if at and not (cents > 1 and self._fires(kind, customer, cents - 1)):
            return cents, at[0]
        points = sorted({c for j in self.moving if kind in self.kinds[j] for c in customer.candidates(j)})
        for c in points:
            if hits := self._fires(kind, customer, c):
                return c, hits[0]
        return None

    def _bound_text(self, facts, amount, rule_id) -> str:
        allowed = facts["exposure"] + amount
        for name, words in BOUND_NAMES.items():
            value = facts.get(name)
            if value is not None and value == allowed:
                return f"{words} {allowed:,.2f}"
        return f"the {allowed:,.2f} that rule {rule_id} allows"


class _Customer:
    """One customer's facts while its allowance is solved: the numbers the comparisons read, each rule's
    candidate cents (computed once, for holds and flags alike) and the numeric view raised by an amount."""

    __slots__ = ("solver", "facts", "raised", "numbers", "_candidates")

    def __init__(self, solver, facts, view):
        self.solver = solver
        self.facts = facts
        self.raised = dict(view if view is not None else solver.numeric_view(facts))   # reused: see view()
        self.numbers = {name: value for name in solver.reads
                        if (value := facts.get(name)).__class__ in (Decimal, int)}
        self._candidates = {}

    def candidates(self, i) -> list[int]:
        cents = self._candidates.get(i)
        if cents is None:
            cents = self._candidates[i] = _candidates(self.facts, self.numbers, self.solver.moving[i][1])
        return cents

    def view(self, cents) -> dict:
        """The numeric view after an order of `cents`: exposure and orders_to_invoice raised by it,
        uninsured_exposure = max(0, raised exposure - insured_cover), each computed in decimals, then a float.
        One dict serves every amount: it is valid until the next call (the engines read it, never keep it)."""
        facts, amount = self.facts, Decimal(cents).scaleb(-2)
        exposure = facts["exposure"] + amount
        view = self.raised
        view["exposure"] = float(exposure)
        view["orders_to_invoice"] = float(facts["orders_to_invoice"] + amount)
        view["uninsured_exposure"] = float(max(_ZERO_CENTS, exposure - facts["insured_cover"]))
        return view


_ZERO_CENTS = Decimal("0.00")


def _open(node, params):
    """A function view -> False when the condition is false whatever amount an order adds, else True or None.

    Kleene's three-valued logic over the condition: a part that reads a fact an order moves is unknown (None),
    every other part is what it is now (an order does not change it); `and`, `or`, `not` combine them."""
    if isinstance(node, (expr.And, expr.Or)):
        items = [_open(item, params) for item in node.items]
        stop = node.__class__ is expr.Or          # the value that decides: True for `or`, False for `and`

        def combine(view):
            unknown = False
            for item in items:
                value = item(view)
                if value is None:
                    unknown = True
                elif value is stop:
                    return stop
            return None if unknown else not stop
        return combine
    if isinstance(node, expr.Not):
        item = _open(node.item, params)

        def negate(view):
            value = item(view)
            return None if value is None else not value
        return negate
    if set(expr.names(node)) & set(MOVING):
        return lambda view: None
    condition = compile_condition(node, params)
    return lambda view: bool(condition(view))


# --- candidates: the cents around every amount at which a comparison may change ------------------------

class _Comparison:
    """One comparison that reads a moving fact, compiled once per policy: its left - right as a polynomial
    in d, each coefficient a function of the customer's numbers (exact decimals: + - * of decimals are exact
    at the precision used), for uninsured_exposure = 0 and for uninsured_exposure = exposure + d - cover."""

    def __init__(self, node, params):
        self.reads = frozenset(n for n in expr.names(node) if n not in params)
        bends = "uninsured_exposure" in self.reads
        if bends:
            self.reads |= {"exposure", "insured_cover"}
        variants = (True, False) if bends else (True,)
        self.polys = [p for p in (_compile_difference(node, params, zero) for zero in variants) if p is not None]
        self.bends = bends

    def roots(self, numbers, roots: set) -> None:
        if not self.reads <= numbers.keys():
            return                                  # reads an absent fact: the comparison is false, not a bound
        for coefficients in self.polys:
            p = [c(numbers) for c in coefficients]
            while len(p) > 1 and not p[-1]:
                p.pop()
            if len(p) == 2:
                roots.add(-p[0] / p[1])
            elif len(p) > 2:
                roots.update(_real_roots([Fraction(c) for c in p]))
        if self.bends:
            roots.add(numbers["insured_cover"] - numbers["exposure"])     # where max(0, ...) bends


def _candidates(facts, numbers, comparisons) -> list[int]:
    """Sorted cents > 0 next to each real root (in d) of each comparison's left - right."""
    roots = set()
    with localcontext(_EXACT):
        for comparison in comparisons:
            comparison.roots(numbers, roots)
        cents = set()
        for root in roots:
            k = math.floor(root * 100)
            cents.update(c for c in (k - 1, k, k + 1, k + 2) if c > 0)
    return sorted(cents)


_EXACT = Context(prec=80)       # sums and products of snapshot amounts and policy numbers stay exact


def _compile_difference(node, params, uninsured_zero):
    left = _compile_poly(node.left, params, uninsured_zero)
    right = _compile_poly(node.right, params, uninsured_zero)
    if left is None or right is None:
        return None
    return _csub(left, right)


def _compile_poly(node, params, uninsured_zero):
    """`node` as a list of coefficient functions numbers -> Decimal (lowest degree in d first); None if it is
    never a number (a text, a truth value)."""
    if isinstance(node, expr.Num):
        return [_Const(Decimal(node.value))]
    if isinstance(node, expr.Name):
        if node.name in params:
            value = params[node.name]
            return None if isinstance(value, (bool, str)) else [_Const(_decimal(value))]
        name = node.name
        if name in ("exposure", "orders_to_invoice"):
            return [lambda n: n[name], _Const(Decimal(1))]
        if name == "uninsured_exposure":
            return [_Const(Decimal(0))] if uninsured_zero else \
                [lambda n: n["exposure"] - n["insured_cover"], _Const(Decimal(1))]
        return [lambda n: n[name]]
    if isinstance(node, expr.Neg):
        operand = _compile_poly(node.operand, params, uninsured_zero)
        return None if operand is None else [_cneg(c) for c in operand]
    if isinstance(node, expr.Arith):
        left = _compile_poly(node.left, params, uninsured_zero)
        right = _compile_poly(node.right, params, uninsured_zero)
        if left is None or right is None:
            return None
        if node.op == "+":
            return _cadd(left, right)
        if node.op == "-":
            return _csub(left, right)
        return _cmul(left, right)
    return None


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)   # Decimal(float) is the float, exactly


class _Const:
    """A coefficient that does not depend on the customer (folded at compile time)."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __call__(self, numbers):
        return self.value


def _cneg(c):
    if isinstance(c, _Const):
        return _Const(-c.value)
    return lambda n: -c(n)


def _cplus(a, b):
    if isinstance(a, _Const) and isinstance(b, _Const):
        with localcontext(_EXACT):
            return _Const(a.value + b.value)
    if isinstance(b, _Const) and not b.value:
        return a
    if isinstance(a, _Const) and not a.value:
        return b
    return lambda n: a(n) + b(n)


def _ctimes(a, b):
    if isinstance(a, _Const) and isinstance(b, _Const):
        with localcontext(_EXACT):
            return _Const(a.value * b.value)
    if isinstance(a, _Const) and a.value == 1:
        return b
    if isinstance(b, _Const) and b.value == 1:
        return a
    return lambda n: a(n) * b(n)


def _cadd(a, b):
    n = max(len(a), len(b))
    zero = _Const(Decimal(0))
    return [_cplus(a[i] if i < len(a) else zero, b[i] if i < len(b) else zero) for i in range(n)]


def _csub(a, b):
    return _cadd(a, [_cneg(c) for c in b])


def _cmul(a, b):
    out = [_Const(Decimal(0))] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = _cplus(out[i + j], _ctimes(x, y))
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
