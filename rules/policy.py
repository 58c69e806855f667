"""Load a policy file: YAML rules checked against the known facts, params and actions."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from creditguard.mappings.errors import PolicyError, validation_problems
from creditguard.mappings.money import round_cent
from creditguard.mappings.vocab import Action as Kind
from creditguard.mappings.yamlsrc import YamlSourceError, load_yaml

from creditguard.rules import expr
from creditguard.rules.facts import FACTS, VOCABULARIES

ACTIONS = tuple(Kind)      # what a rule can do (mappings/vocab.py)
BUILTIN_DIR = Path(__file__).parent / "policies"
DEFAULT_POLICY = BUILTIN_DIR / "seed-default.yaml"
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


@dataclass(frozen=True, kw_only=True)
class Action:
    """What a rule does when it fires; `amount` only for request_limit."""
    kind: str
    message: str
    amount: object = None          # expression tree
    amount_text: str = ""
    round_up_to: Decimal = Decimal(1)


@dataclass(frozen=True, kw_only=True)
class Rule:
    id: str
    when_text: str
    when: object                   # expression tree
    actions: tuple
    line: int = 0
    description: str = ""

    @cached_property
    def reads(self) -> list[str]:
        """Names the condition and the amount read, in order."""
        seen = expr.names(self.when)
        for action in self.actions:
            if action.amount is not None:
                seen += [n for n in expr.names(action.amount) if n not in seen]
        return seen


@dataclass(frozen=True, kw_only=True)
class Policy:
    name: str
    version: int
    rules: tuple
    params: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    source: str = ""
    description: str = ""


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: str
    version: int
    description: str = ""
    params: dict[str, object] = {}
    defaults: dict[str, object] = {}
    rules: list[dict]


class _RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    when: str
    then: dict[str, object]
    description: str = ""


def policy_path(name_or_path=None) -> Path:
    """The file of a policy given as a path, or as the name of a built-in policy (`seed-default`)."""
    if not name_or_path:
        return DEFAULT_POLICY
    builtin = BUILTIN_DIR / f"{name_or_path}.yaml"
    if not Path(name_or_path).exists() and RULE_ID.match(str(name_or_path).replace("-", "_")) and builtin.exists():
        return builtin
    return Path(name_or_path)


def load_policy(path=None) -> Policy:
    """Load and check a policy file, or a built-in policy by name (default: seed-default); raise PolicyError
    listing every problem."""
    policy, problems = check_policy(policy_path(path))
    if problems:
        raise PolicyError(problems)
    return policy


def check_policy(path) -> tuple[Policy | None, list[str]]:
    """The policy and every problem found in it; the policy is None when there are problems."""
    source = str(path)
    try:
        doc = load_yaml(path)
    except OSError as exc:
        return None, [f"{source}: cannot read the policy: {exc.strerror}"]
    except YamlSourceError as exc:
        return None, [f"{source}:{exc.line or 1}: {exc.message}"]
    return _Checker(source, doc).run()


class _Checker:
    def __init__(self, source, doc):
        self.source = source
        self.doc = doc
        self.problems: list[str] = []

    def problem(self, path, message):
        line = self.doc.line(path) or 1
        self.problems.append(f"{self.source}:{line}: {message}")

    def run(self):
        if not isinstance(self.doc.data, dict):
            self.problem((), "a policy is a mapping with policy, version, params and rules")
            return None, self.problems
        top = self._structure(_PolicyFile, self.doc.data, ())
        if top is None:
            return None, self.problems
        params = self.params = self._params(top.params)
        types = {name: spec.type for name, spec in FACTS.items()}
        types.update({name: ("bool" if isinstance(v, bool) else "number") for name, v in params.items()})
        defaults = self._defaults(top.defaults)
        rules, seen = [], {}
        for i, raw in enumerate(top.rules):
            rule_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(rule_id, str) and rule_id in seen:
                self.problem(("rules", i, "id"), f"rule id {rule_id!r} is already used on line {seen[rule_id]}")
            elif isinstance(rule_id, str):
                seen[rule_id] = self.doc.line(("rules", i))
            rule = self._rule(i, raw, types)
            if rule is not None:
                rules.append(rule)
        if not top.rules:
            self.problem(("rules",), "the policy has no rules")
        if self.problems:
            return None, self.problems
        return Policy(name=top.policy, version=top.version, rules=tuple(rules), params=params, defaults=defaults,
                      source=self.source, description=top.description), []

    def _structure(self, model, data, path):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for problem in validation_problems(exc):
                loc = path + problem.loc
                if problem.kind == "extra_forbidden":
                    known = [k for k in model.model_fields]
                    self.problem(loc, f"unknown key {loc[-1]!r}{expr.suggest(str(loc[-1]), known)}; "
                                      f"allowed: {', '.join(known)}")
                elif problem.kind == "missing":
                    self.problem(path, f"missing key {loc[-1]!r}")
                else:
                    self.problem(loc, f"{'.'.join(map(str, loc))}: {problem.message}")
            return None

    def _params(self, raw):
        params = {}
        for name, value in raw.items():
            if name in FACTS:
                self.problem(("params", name), f"param {name!r} has the name of a fact; rename it")
            elif isinstance(value, bool):
                params[name] = value
            else:
                number = _number(value)
                if number is None:
                    self.problem(("params", name), f"param {name!r} must be a number or true/false, got {value!r}")
                else:
                    params[name] = number
        return params

    def _defaults(self, raw):
        defaults = {}
        for name, value in raw.items():
            spec = FACTS.get(name)
            if spec is None:
                self.problem(("defaults", name), f"unknown fact {name!r}{expr.suggest(name, FACTS)}")
            elif not spec.nullable:
                self.problem(("defaults", name), f"fact {name!r} is never absent: it needs no default")
            elif spec.type != "number" or _number(value) is None:
                self.problem(("defaults", name), f"default for {name!r} must be a number, got {value!r}")
            else:
                number = _number(value)
                defaults[name] = round_cent(number) if spec.kind == "money" else number
        return defaults

    def _rule(self, i, raw, types):
        path = ("rules", i)
        if not isinstance(raw, dict):
            self.problem(path, "a rule is a mapping with id, when and then")
            return None
        spec = self._structure(_RuleFile, raw, path)
        if spec is None:
            return None
        where = f"rule {spec.id!r}"
        if not RULE_ID.match(spec.id):
            self.problem(path + ("id",), f"{where}: an id is lower-case words joined by dots, e.g. credit_limit.exceeded")
        when = self._expression(path + ("when",), spec.when, types, "bool", where)
        actions = []
        if not spec.then:
            self.problem(path + ("then",), f"{where}: 'then' names no action; use one of {', '.join(ACTIONS)}")
        for kind, value in spec.then.items():
            action = self._action(path + ("then", kind), kind, value, types, where)
            if action is not None:
                actions.append(action)
        if when is None or len(actions) != len(spec.then):
            return None
        if not any(name in FACTS for name in expr.names(when)):
            self.problem(path + ("when",), f"{where}: the condition reads no fact, so it would fire for everyone "
                                           f"or no one")
            return None
        return Rule(id=spec.id, when_text=spec.when, when=when, actions=tuple(actions), line=self.doc.line(path) or 0,
                    description=spec.description)

    def _expression(self, path, text, types, want, where):
        try:
            tree = expr.parse(text)
        except expr.ExprError as exc:
            self.problem(path, f"{where}: {exc.message}\n    {text}\n    {' ' * exc.pos}^")
            return None
        problems = expr.check_all(tree, types, VOCABULARIES)
        for exc in problems:
            self.problem(path, f"{where}: {exc.message}\n    {text}\n    {' ' * exc.pos}^")
        if problems:
            return None
        got = expr.check(tree, types, VOCABULARIES)
        if got != want:
            self.problem(path, f"{where}: {text!r} is a {got}, expected a {'condition' if want == 'bool' else want}")
            return None
        return tree

    def _action(self, path, kind, value, types, where):
        if kind not in ACTIONS:
            self.problem(path, f"{where}: unknown action {kind!r}{expr.suggest(kind, ACTIONS)}; "
                               f"known: {', '.join(ACTIONS)}")
            return None
        if kind != Kind.REQUEST_LIMIT:
            if not isinstance(value, str):
                self.problem(path, f"{where}: {kind} takes a message text")
                return None
            return Action(kind=kind, message=value) if self._message(path, value, types, where) else None
        if not isinstance(value, dict) or set(value) - {"amount", "round_up_to", "message"} or \
                not {"amount", "message"} <= set(value):
            self.problem(path, f"{where}: request_limit takes amount (an expression), message and optionally "
                               f"round_up_to")
            return None
        amount = self._expression(path + ("amount",), str(value["amount"]), types, "number", where)
        step = value.get("round_up_to", 1)
        step = self.params.get(step) if isinstance(step, str) else _number(step)
        if not isinstance(step, Decimal) or step <= 0:
            self.problem(path + ("round_up_to",), f"{where}: round_up_to must be a positive number or the "
                                                  f"name of a number param")
            return None
        ok = self._message(path + ("message",), value["message"], dict(types, amount="number"), where)
        if amount is None or not ok:
            return None
        return Action(kind=kind, message=value["message"], amount=amount, amount_text=str(value["amount"]),
                      round_up_to=step)

    def _message(self, path, text, types, where):
        if not isinstance(text, str):
            self.problem(path, f"{where}: a message is a text")
            return False
        try:
            fields = [f for _, f, spec, conv in string.Formatter().parse(text) if f is not None]
            specs = [(spec, conv) for _, f, spec, conv in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            self.problem(path, f"{where}: message braces do not match ({exc}); write {{{{ for a literal brace")
            return False
        for name, (spec, conv) in zip(fields, specs):
            if name not in types:
                self.problem(path, f"{where}: unknown placeholder {{{name}}} in the message"
                                   f"{expr.suggest(name, types)}")
                return False
            if spec or conv:
                self.problem(path, f"{where}: placeholder {{{name}}} takes no format; Credit Guard formats values")
                return False
        return True


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
