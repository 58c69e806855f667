"""The condition language: parse, type-check and print expressions over facts and params.

Grammar (no function calls, no attribute access, no division):
    expr := or ;  or := and ("or" and)* ;  and := not ("and" not)* ;  not := "not" not | cmp
    cmp  := sum (CMP sum)* | sum ["not"] "in" "[" STRING ("," STRING)* "]"
    sum  := term (("+" | "-") term)* ;  term := unary ("*" unary)* ;  unary := "-" unary | atom
    atom := NUMBER | STRING | "true" | "false" | NAME | "(" expr ")"
Chained comparisons read as in mathematics: `a < b <= c` is `a < b and b <= c`.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from decimal import Decimal

from creditguard.mappings.errors import did_you_mean

CMP_OPS = ("<=", ">=", "==", "!=", "<", ">")
FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
NEGATE = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}
KEYWORDS = {"and", "or", "not", "in", "true", "false"}
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
           "==": operator.eq, "!=": operator.ne}            # what each comparison means, for every engine
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}


class ExprError(Exception):
    """A condition that does not parse or type-check; `pos` is the offset in the text."""

    def __init__(self, message: str, pos: int = 0):
        super().__init__(message)
        self.message = message
        self.pos = pos


# --- syntax tree -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Name:
    name: str
    pos: int = 0


@dataclass(frozen=True)
class Arith:
    op: str  # + - *
    left: object
    right: object


@dataclass(frozen=True)
class Neg:
    operand: object


@dataclass(frozen=True)
class Compare:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class InList:
    operand: object
    values: tuple
    negated: bool = False


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


# --- tokenizer and parser ---------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<exp>\d+(?:\.\d+)?[eE][+-]?\d+) | (?P<num>\d+(?:\.\d+)?) | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"[^"\\]*"|'[^'\\]*') | (?P<op><=|>=|==|!=|<|>|\+|-|\*|\(|\)|\[|\]|,)
""", re.VERBOSE)


def tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            char = text[pos]
            why = {"/": "division is not part of the language", ".": "attribute access is not allowed",
                   "=": "use == to compare"}.get(char, "not part of the language")
            raise ExprError(f"unexpected {char!r}: {why}", pos)
        kind = m.lastgroup
        if kind == "exp":
            raise ExprError(f"{m.group()!r}: write numbers in full, without an exponent", pos)
        if kind != "ws":
            value = m.group()
            if kind == "name" and value in KEYWORDS:
                kind = value
            tokens.append((kind, value, pos))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i]

    def take(self, kind=None, value=None):
        tok = self.tokens[self.i]
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            wanted = value or kind
            found = tok[1] or "the end of the condition"
            raise ExprError(f"expected {wanted!r} but found {found!r}", tok[2])
        self.i += 1
        return tok

    def at(self, *values):
        return self.peek()[1] in values and self.peek()[0] not in ("str",)

    def parse(self):
        node = self.or_()
        if self.peek()[0] != "end":
            tok = self.peek()
            raise ExprError(f"unexpected {tok[1]!r}: a function call or a missing and/or?", tok[2])
        return node

    def or_(self):
        items = [self.and_()]
        while self.peek()[0] == "or":
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self):
        items = [self.not_()]
        while self.peek()[0] == "and":
            self.take()
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self):
        if self.peek()[0] == "not":
            self.take()
            return Not(self.not_())
        return self.cmp()

    def cmp(self):
        left = self.sum()
        if self.peek()[0] == "in" or (self.peek()[0] == "not" and self.tokens[self.i + 1][0] == "in"):
            negated = self.peek()[0] == "not"
            if negated:
                self.take()
            self.take("in")
            self.take("op", "[")
            values = [self._string()]
            while self.at(","):
                self.take()
                values.append(self._string())
            self.take("op", "]")
            return InList(left, tuple(values), negated)
        parts = []
        while self.peek()[0] == "op" and self.peek()[1] in CMP_OPS:
            op = self.take()[1]
            right = self.sum()
            parts.append(Compare(op, left, right))
            left = right
        if not parts:
            return left
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _string(self):
        kind, value, pos = self.peek()
        if kind != "str":
            raise ExprError(f"'in [...]' lists texts in quotes, e.g. cover_status in ['refused', 'cancelled'], "
                            f"not {value or 'nothing'!r}; compare numbers with < <= > >= == !=", pos)
        return self.take()[1][1:-1]

    def sum(self):
        node = self.term()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take()[1]
            node = Arith(op, node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] == "*":
            self.take()
            node = Arith("*", node, self.unary())
        return node

    def unary(self):
        if self.peek()[0] == "op" and self.peek()[1] == "-":
            self.take()
            operand = self.unary()
            return Num(-operand.value) if isinstance(operand, Num) else Neg(operand)
        return self.atom()

    def atom(self):
        kind, value, pos = self.peek()
        if kind == "num":
            self.take()
            return Num(Decimal(value))
        if kind == "str":
            self.take()
            return Str(value[1:-1])
        if kind in ("true", "false"):
            self.take()
            return Bool(kind == "true")
        if kind == "name":
            self.take()
            if self.peek()[1] == "(":
                raise ExprError(f"{value}(...): function calls are not part of the language", pos)
            return Name(value, pos)
        if kind == "op" and value == "(":
            self.take()
            node = self.or_()
            self.take("op", ")")
            return node
        raise ExprError(f"expected a value but found {value or 'the end of the condition'!r}", pos)


def parse(text: str):
    """Parse a condition or an amount expression into a syntax tree."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression", 0)
    return _Parser(text).parse()


# --- type checking ----------------------------------------------------------------------------

def suggest(name: str, known) -> str:
    """' (did you mean 'x'?)' to append to a message, or ''."""
    hint = did_you_mean(name, known)
    return f" ({hint})" if hint else ""


@dataclass(frozen=True)
class Vocabulary:
    """The texts a text fact may be compared with: a closed list (`values`) or a shape (`pattern`)."""
    what: str                       # "status", "country code" ...
    values: tuple = ()
    pattern: str | None = None
    example: str = ""

    def problem(self, value) -> str | None:
        if self.values and value not in self.values:
            return f"unknown {self.what} {value!r}{suggest(value, self.values)}; known: {', '.join(self.values)}"
        if self.pattern and not re.fullmatch(self.pattern, value):
            return f"{value!r} is not a {self.what} (e.g. {self.example!r})"
        return None


_ILL = "ill-typed"       # the type of a node already reported: no second message about the same culprit


def check(node, types: dict[str, str], vocabularies=None) -> str:
    """Return the node's type (number, bool, text, date); raise ExprError with the first problem.
    `types` maps every readable name (facts and params) to its type; `vocabularies` a text fact to its
    Vocabulary."""
    problems = check_all(node, types, vocabularies)
    if problems:
        raise problems[0]
    return _Checker(types, vocabularies or {}).type_of(node)


def check_all(node, types: dict[str, str], vocabularies=None) -> list[ExprError]:
    """Every problem of the expression, in order (empty when it is well-typed)."""
    checker = _Checker(types, vocabularies or {})
    checker.type_of(node)
    return checker.problems


class _Checker:
    def __init__(self, types, vocabularies):
        self.types, self.vocabularies, self.problems = types, vocabularies, []

    def fail(self, message, pos) -> str:
        self.problems.append(ExprError(message, pos))
        return _ILL

    def type_of(self, node) -> str:
        if isinstance(node, Num):
            return "number"
        if isinstance(node, Bool):
            return "bool"
        if isinstance(node, Str):
            return self.fail(f"a text value {node.value!r} can only be compared with a text fact", 0)
        if isinstance(node, Name):
            if node.name not in self.types:
                return self.fail(f"unknown name {node.name!r}{suggest(node.name, self.types)}", node.pos)
            return self.types[node.name]
        if isinstance(node, (Arith, Neg)):
            result = "number"
            for operand in ((node.left, node.right) if isinstance(node, Arith) else (node.operand,)):
                t = self.type_of(operand)
                if t not in ("number", _ILL):
                    result = self.fail(f"arithmetic needs numbers: {to_text(operand)!r} is not one", _pos(operand))
            return result
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, InList):
            return self.in_list(node)
        if isinstance(node, (And, Or, Not)):
            for item in (node.items if isinstance(node, (And, Or)) else (node.item,)):
                self.expect_bool(item)
            return "bool"
        return self.fail(f"unsupported expression {node!r}", 0)

    def in_list(self, node) -> str:
        t = self.type_of(node.operand)
        if t == _ILL:
            return "bool"
        if t != "text":
            return self.fail(f"'in [...]' needs a text fact such as cover_status or country, not "
                             f"{to_text(node.operand)!r}", _pos(node.operand))
        for value in node.values:
            self.text_value(node.operand, value, node)
        return "bool"

    def compare(self, node) -> str:
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(side, Str):
                t = self.type_of(other)
                if t == _ILL:
                    return "bool"
                if t != "text" or node.op not in ("==", "!="):
                    return self.fail(f"a text value {side.value!r} can only be compared with == or != to a text "
                                     f"fact", _pos(other))
                self.text_value(other, side.value, node)
                return "bool"
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        if _ILL in (lt, rt):
            return "bool"
        if lt == rt == "bool" and node.op in ("==", "!=") and (isinstance(node.left, Bool)
                                                               or isinstance(node.right, Bool)):
            return "bool"
        if lt != "number" or rt != "number":
            bad = node.left if lt != "number" else node.right
            return self.fail(f"{node.op!r} compares numbers: {to_text(bad)!r} is a {lt if bad is node.left else rt}",
                             _pos(bad))
        return "bool"

    def text_value(self, fact, value, node) -> None:
        vocabulary = self.vocabularies.get(getattr(fact, "name", None))
        problem = vocabulary.problem(value) if vocabulary else None
        if problem:
            self.fail(problem, _pos(node))

    def expect_bool(self, node) -> None:
        t = self.type_of(node)
        if t not in ("bool", _ILL):
            self.fail(f"{to_text(node)!r} is a {t}, not a condition: compare it with something", _pos(node))


def _pos(node) -> int:
    for child in walk(node):
        if isinstance(child, Name):
            return child.pos
    return 0


def walk(node):
    """Every node of the tree, depth first."""
    yield node
    for child in _children(node):
        yield from walk(child)


def _children(node):
    if isinstance(node, Arith) or isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, InList):
        return (node.operand,)
    if isinstance(node, (And, Or)):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    return ()


def names(node) -> list[str]:
    """Names the expression reads, in order of first appearance."""
    seen = []
    for child in walk(node):
        if isinstance(child, Name) and child.name not in seen:
            seen.append(child.name)
    return seen


# --- printing ---------------------------------------------------------------------------------

_PREC = {Or: 1, And: 2, Not: 3, Compare: 4, InList: 4}


def to_text(node, show=None) -> str:
    """The expression as text; `show(name)` may return a value to print beside each name."""
    return _text(node, show, 0)


def _text(node, show, outer) -> str:
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Str):
        return f"'{node.value}'"
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Name):
        value = show(node.name) if show else None
        return node.name if value is None else f"{node.name} ({value})"
    if isinstance(node, Arith):
        prec = 6 if node.op == "*" else 5
        right = _text(node.right, show, prec + 1)
        text = f"{_text(node.left, show, prec)} {node.op} {right}"
        return f"({text})" if prec < outer else text
    if isinstance(node, Neg):
        return f"-{_text(node.operand, show, 7)}"
    if isinstance(node, Compare):
        text = f"{_text(node.left, show, 5)} {node.op} {_text(node.right, show, 5)}"
    elif isinstance(node, InList):
        values = ", ".join(f"'{v}'" for v in node.values)
        text = f"{_text(node.operand, show, 5)} {'not in' if node.negated else 'in'} [{values}]"
    elif isinstance(node, (And, Or)):
        word = " and " if isinstance(node, And) else " or "
        text = word.join(_text(item, show, _PREC[type(node)] + 1) for item in node.items)
    elif isinstance(node, Not):
        text = f"not {_text(node.item, show, _PREC[Not])}"
    else:
        raise TypeError(node)
    return f"({text})" if _PREC[type(node)] < outer else text
