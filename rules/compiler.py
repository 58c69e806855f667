"""Compile a policy's conditions to durable-rules' JSON ruleset format (no engine needed here).

The engine has sharp edges (docs/engines.md), so the output only uses what is safe:
every number is a float, every fact field is always present (an absent fact is sent as 0.0 with a
`cg_set_<fact>` flag of 0.0, and every comparison reading it is guarded by that flag), `not` is
pushed down to comparisons (the engine has no negation), arithmetic stands only on the right of a
comparison (`L op R` with no bare fact on either side becomes `cg_zero op' L - R`), and every
pattern starts with `cg_fact == 1.0` so the engine's own state object never matches."""
from __future__ import annotations

import json
from decimal import Decimal

from creditguard.rules import expr
from creditguard.rules.facts import absent_facts

MARKER, ZERO = "cg_fact", "cg_zero"
_OPKEY = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_ARITH = {"+": "$add", "-": "$sub", "*": "$mul"}
TRUE, FALSE = True, False


def set_flag(fact: str) -> str:
    return f"cg_set_{fact}"


def compile_ruleset(policy) -> dict:
    """{durable rule name: definition}; rule `r<i>` is the policy's i-th rule. Rules that can never fire are left out."""
    ruleset = {}
    nullable = absent_facts(policy)
    for i, rule in enumerate(policy.rules):
        cond = _Lowering(policy.params, nullable).lower(rule.when, negate=False)
        if cond is FALSE:
            continue
        pattern = _junction("$and", [{MARKER: 1.0}, cond])
        ruleset[f"r{i}"] = {"all": [{"m": pattern}]}
    return ruleset


class _Lowering:
    def __init__(self, params, nullable):
        self.params = params
        self.nullable = nullable

    def lower(self, node, negate):
        node = self.fold(node)
        if isinstance(node, expr.Bool):
            return node.value != negate
        if isinstance(node, expr.Name):                       # a bool fact on its own
            return {node.name: 0.0 if negate else 1.0}
        if isinstance(node, expr.Not):
            return self.lower(node.item, not negate)
        if isinstance(node, (expr.And, expr.Or)):
            conjunction = isinstance(node, expr.And) != negate
            items = [self.lower(item, negate) for item in node.items]
            return _junction("$and" if conjunction else "$or", items)
        if isinstance(node, expr.InList):
            field, values = node.operand.name, node.values
            if node.negated != negate:
                atom = _junction("$and", [{"$neq": {field: v}} for v in values])
            else:
                atom = _junction("$or", [{field: v} for v in values])
            return self.guard(node, negate, atom)
        if isinstance(node, expr.Compare):
            op = expr.NEGATE[node.op] if negate else node.op
            return self.guard(node, negate, self.atom(op, node.left, node.right))
        raise TypeError(f"cannot lower {node!r}")

    def guard(self, node, negate, atom):
        """A comparison that reads an absent fact is false: `known and cmp`, or under a `not`, `unknown or not cmp`."""
        guarded = [n for n in expr.names(node) if n in self.nullable]
        if not guarded:
            return atom
        if negate:   # not (known and cmp)  ==  unknown or not cmp
            return _junction("$or", [{set_flag(n): 0.0} for n in guarded] + [atom])
        return _junction("$and", [{set_flag(n): 1.0} for n in guarded] + [atom])

    def atom(self, op, left, right):
        if isinstance(left, expr.Str) or isinstance(right, expr.Str):
            name, text = (right.name, left.value) if isinstance(left, expr.Str) else (left.name, right.value)
            return {name: text} if op == "==" else {"$neq": {name: text}}
        if isinstance(left, expr.Name):
            return _cmp(op, left.name, self.value(right))
        if isinstance(right, expr.Name):
            return _cmp(expr.FLIP[op], right.name, self.value(left))
        # L op R  <=>  0 op' (L - R): exact for finite floats, whose difference keeps the sign
        return _cmp(expr.FLIP[op], ZERO, self.value(expr.Arith("-", left, right)))

    def value(self, node):
        if isinstance(node, expr.Num):
            return float(node.value)
        if isinstance(node, expr.Name):
            return {"$m": node.name}
        if isinstance(node, expr.Neg):
            return {"$mul": {"$l": -1.0, "$r": self.value(node.operand)}}
        if isinstance(node, expr.Arith):
            return {_ARITH[node.op]: {"$l": self.value(node.left), "$r": self.value(node.right)}}
        raise TypeError(f"not a number: {node!r}")

    def fold(self, node):
        """Put params in as constants and compute what reads no fact, with float arithmetic."""
        if isinstance(node, expr.Name) and node.name in self.params:
            value = self.params[node.name]
            return expr.Bool(value) if isinstance(value, bool) else expr.Num(float(value))
        if isinstance(node, expr.Num):
            return expr.Num(float(node.value))
        if isinstance(node, expr.Arith):
            left, right = self.fold(node.left), self.fold(node.right)
            if isinstance(left, expr.Num) and isinstance(right, expr.Num):
                a, b = left.value, right.value
                return expr.Num(a + b if node.op == "+" else a - b if node.op == "-" else a * b)
            return expr.Arith(node.op, left, right)
        if isinstance(node, expr.Neg):
            operand = self.fold(node.operand)
            return expr.Num(-operand.value) if isinstance(operand, expr.Num) else expr.Neg(operand)
        if isinstance(node, expr.Compare):
            left, right = self.fold(node.left), self.fold(node.right)
            if isinstance(left, (expr.Num, expr.Bool)) and isinstance(right, (expr.Num, expr.Bool)):
                return expr.Bool(expr.COMPARE[node.op](left.value, right.value))
            if isinstance(left, expr.Bool) or isinstance(right, expr.Bool):   # bool fact == true/false
                const, name = (left, right) if isinstance(left, expr.Bool) else (right, left)
                return name if const.value == (node.op == "==") else expr.Not(name)
            return expr.Compare(node.op, left, right)
        return node


def _cmp(op, field, value):
    return {field: value} if op == "==" else {_OPKEY[op]: {field: value}}


def _junction(key, items):
    """$and / $or of lowered items, with constants simplified away."""
    absorbing = FALSE if key == "$and" else TRUE
    kept = []
    for item in items:
        if item is absorbing:
            return absorbing
        if isinstance(item, dict) and list(item) == [key]:
            kept.extend(item[key])                            # (a and b) and c == a and b and c
        elif item is not (not absorbing):
            kept.append(item)
    if not kept:
        return not absorbing
    return kept[0] if len(kept) == 1 else {key: kept}


def to_json(value) -> str:
    """JSON text the engine parses exactly: its parser has no exponents, so floats are written in
    full positional notation (the shortest digits that read back as the same float)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} for the engine")
