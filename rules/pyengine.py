"""The plain-Python engine: each rule's condition compiled to a closure (test oracle and fallback).

Semantics, shared with the durable-rules engine: numbers are binary floats; a comparison that
reads an absent fact is false; `not`, `and`, `or` are the usual two-valued logic."""
from __future__ import annotations

from creditguard.rules import expr


def compile_condition(node, params: dict):
    """A function view -> bool (or value, for arithmetic) for the expression `node`.

    The expression becomes the text of one Python lambda, compiled once: the same semantics as nested closures
    (an absent fact, None, makes arithmetic None and a comparison false), without a call per node. The text is
    made of generated names, operators and parentheses only; every value the policy gives lives in the
    namespace (see _constant), so a policy is never executed as code."""
    constants: dict = {}
    code, _ = _source(node, params, constants, iter(range(1 << 30)))
    return eval(f"lambda v: {code}", {"__builtins__": {}, **constants})   # noqa: S307 (our own text)


_OPS = {"+": "+", "-": "-", "*": "*", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}


def _source(node, params, constants, names) -> tuple[str, bool]:
    """(Python text of `node` over the view `v`, whether it may be None)."""
    if isinstance(node, expr.Num):
        return _constant(float(node.value), constants, names), False
    if isinstance(node, (expr.Str, expr.Bool)):
        return _constant(node.value, constants, names), False
    if isinstance(node, expr.Name):
        if node.name in params:
            value = params[node.name]
            return _constant(value if isinstance(value, bool) else float(value), constants, names), False
        return f"v[{_constant(node.name, constants, names)}]", True
    if isinstance(node, expr.Arith):
        (a, a_none), (b, b_none) = (_source(n, params, constants, names) for n in (node.left, node.right))
        if not (a_none or b_none):
            return f"({a} {_OPS[node.op]} {b})", False
        a, a_test = _held(a, a_none, names)
        b, b_test = _held(b, b_none, names)
        tests = " or ".join(t for t in (a_test, b_test) if t)
        return f"(None if {tests} else {a} {_OPS[node.op]} {b})", True
    if isinstance(node, expr.Neg):
        a, a_none = _source(node.operand, params, constants, names)
        if not a_none:
            return f"(-{a})", False
        a, a_test = _held(a, a_none, names)
        return f"(None if {a_test} else -{a})", True
    if isinstance(node, expr.Compare):
        (a, a_none), (b, b_none) = (_source(n, params, constants, names) for n in (node.left, node.right))
        a, a_test = _held(a, a_none, names, present=True)
        b, b_test = _held(b, b_none, names, present=True)
        tests = "".join(f"{t} and " for t in (a_test, b_test) if t)
        return f"({tests}{a} {_OPS[node.op]} {b})", False
    if isinstance(node, expr.InList):
        a, a_none = _source(node.operand, params, constants, names)
        a, a_test = _held(a, a_none, names, present=True)
        values = _constant(frozenset(node.values), constants, names)
        test = f"{a_test} and " if a_test else ""
        return f"({test}{a} {'not in' if node.negated else 'in'} {values})", False
    if isinstance(node, (expr.And, expr.Or)):
        joint = " and " if isinstance(node, expr.And) else " or "
        items = [_source(i, params, constants, names)[0] for i in node.items]
        return f"(not not ({joint.join(items)}))", False
    if isinstance(node, expr.Not):
        return f"(not {_source(node.item, params, constants, names)[0]})", False
    raise TypeError(f"cannot compile {node!r}")


def _constant(value, constants, names) -> str:
    """A name for `value` in the lambda's namespace: no value of the policy (a number, a text, a fact's name)
    is ever written into the compiled text, which holds only these names, `v[...]` and operators."""
    name = f"_k{next(names)}"
    constants[name] = value
    return name


def _held(code, may_be_none, names, present=False):
    """(the value's text, the text that tests it) : a value that may be None is held in a name of its own,
    tested once ("is None", or with `present` "is not None") and then read from that name."""
    if not may_be_none:
        return code, ""
    name = f"_t{next(names)}"
    return name, f"({name} := {code}) is {'not ' if present else ''}None"


class PythonEngine:
    """Evaluates a policy's conditions over one customer's numeric fact view at a time."""
    name = "python"

    def __init__(self, policy):
        self.conditions = [compile_condition(rule.when, policy.params) for rule in policy.rules]

    def fired(self, view: dict) -> list[int]:
        """Indexes of the rules whose condition holds for `view`."""
        return [i for i, condition in enumerate(self.conditions) if condition(view)]
