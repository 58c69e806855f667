"""The plain-Python engine: each rule's condition compiled to a closure (test oracle and fallback).

Semantics, shared with the durable-rules engine: numbers are binary floats; a comparison that
reads an absent fact is false; `not`, `and`, `or` are the usual two-valued logic."""
from __future__ import annotations

from . import expr


def compile_condition(node, params: dict):
    """A function view -> bool (or value, for arithmetic) for the expression `node`."""
    if isinstance(node, expr.Num):
        value = float(node.value)
        return lambda v: value
    if isinstance(node, (expr.Str, expr.Bool)):
        value = node.value
        return lambda v: value
    if isinstance(node, expr.Name):
        if node.name in params:
            value = params[node.name]
            value = value if isinstance(value, bool) else float(value)
            return lambda v: value
        name = node.name
        return lambda v: v[name]
    if isinstance(node, expr.Arith):
        op, left, right = expr.ARITHMETIC[node.op], compile_condition(node.left, params), compile_condition(node.right, params)

        def arith(v):
            a, b = left(v), right(v)
            return None if a is None or b is None else op(a, b)
        return arith
    if isinstance(node, expr.Neg):
        operand = compile_condition(node.operand, params)

        def neg(v):
            a = operand(v)
            return None if a is None else -a
        return neg
    if isinstance(node, expr.Compare):
        op, left, right = expr.COMPARE[node.op], compile_condition(node.left, params), compile_condition(node.right, params)

        def compare(v):
            a, b = left(v), right(v)
            return a is not None and b is not None and op(a, b)
        return compare
    if isinstance(node, expr.InList):
        operand, values, negated = compile_condition(node.operand, params), frozenset(node.values), node.negated

        def in_list(v):
            a = operand(v)
            return a is not None and (a in values) != negated
        return in_list
    if isinstance(node, expr.And):
        items = [compile_condition(i, params) for i in node.items]
        return lambda v: all(item(v) for item in items)
    if isinstance(node, expr.Or):
        items = [compile_condition(i, params) for i in node.items]
        return lambda v: any(item(v) for item in items)
    if isinstance(node, expr.Not):
        item = compile_condition(node.item, params)
        return lambda v: not item(v)
    raise TypeError(f"cannot compile {node!r}")


class PythonEngine:
    """Evaluates a policy's conditions over one customer's numeric fact view at a time."""
    name = "python"

    def __init__(self, policy):
        self.conditions = [compile_condition(rule.when, policy.params) for rule in policy.rules]

    def fired(self, view: dict) -> list[int]:
        """Indexes of the rules whose condition holds for `view`."""
        return [i for i, condition in enumerate(self.conditions) if condition(view)]
