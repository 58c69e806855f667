"""The durable-rules engine: the only module that imports `durable`.

Driven as docs/engines.md says: one long-lived C ruleset per policy, no Host, no
callbacks; one customer at a time asserted as a single flat fact of floats in a fixed session,
the fired rules read from the engine's action queue, then the fact retracted."""
from __future__ import annotations

import itertools
import json
import math

from creditguard.rules.compiler import MARKER, ZERO, compile_ruleset, set_flag, to_json
from creditguard.rules.facts import FACTS, VOCABULARIES, absent_facts

try:
    import durable_rules_engine as _engine
    IMPORT_ERROR = None
except ImportError as exc:  # e.g. Python 3.13, where 2.0.28 does not import
    _engine = None
    IMPORT_ERROR = exc

_SID = "cg"
_RETRACT = json.dumps({"sid": _SID, "id": "c"})
_names = itertools.count(1)


class EngineError(RuntimeError):
    """durable-rules answered in a way it should not: a bug, never bad input."""


def available() -> bool:
    return _engine is not None


class DurableEngine:
    name = "durable"

    def __init__(self, policy):
        if _engine is None:
            raise EngineError(f"durable-rules cannot run here: {IMPORT_ERROR}")
        self.ruleset = compile_ruleset(policy)
        self.nullable = absent_facts(policy)
        self.handle = _engine.create_ruleset(f"creditguard_{next(_names)}", to_json(self.ruleset))
        self._fields, self._keys, self._constants, self._template = self._layout(self.nullable)
        self._words: set = set()          # texts already found to be known words (fact, value)
        self.to_json = self._fast_to_json()

    def fired(self, view: dict) -> list[int]:
        """Indexes of the rules whose condition holds for one customer's numeric view."""
        code, state = _engine.assert_fact(self.handle, self.to_json(view))
        if code == 1:        # no pattern matched: the engine did not keep the fact
            return []
        if code != 0:
            raise EngineError(f"durable-rules refused a customer fact (code {code})")
        fired = set()
        try:
            result = _engine.start_action_for_state(self.handle, state)
            message = result[1] if result else None
            while message:   # one action a message: {"r<i>": {...}}; an $or may fire a rule twice
                fired.add(int(message[3:message.index('"', 3)]))
                message = _engine.complete_and_start_action(self.handle, state)
        finally:
            code, _ = _engine.retract_fact(self.handle, _RETRACT)
        if code != 0:
            raise EngineError(f"durable-rules could not retract a customer fact (code {code})")
        return sorted(fired)

    def to_json(self, view: dict) -> str:
        """The customer as the flat, all-float fact the ruleset expects, as JSON; refuses anything else.
        (Replaced per engine by _fast_to_json's function, which comes back here for anything unusual.)"""
        values = []
        positional = False
        for name, kind, flagged in self._fields:
            value = view[name]
            if flagged:
                values.append(0.0 if value is None else 1.0)
                if value is None:
                    value = "" if kind == "text" else 0.0
            elif value is None:
                raise EngineError(f"fact {name} is absent and the policy gives no default")
            if kind == "text":
                if value != "" and VOCABULARIES[name].problem(value):   # known words: safe inside the quotes
                    raise EngineError(f"fact {name} must be a {VOCABULARIES[name].what}, got {value!r}")
                self._words.add((name, value))
            elif kind == "bool":
                value = 1.0 if value else 0.0
            elif value.__class__ is not float or not math.isfinite(value):
                raise EngineError(f"fact {name} must be a finite float, got {value!r}")
            elif value and not 1e-4 <= abs(value) < 1e16:
                positional = True                   # repr would write an exponent the engine cannot read
            values.append(value)
        if positional:
            return to_json(dict(zip(self._keys, values), **self._constants))
        return self._template % tuple(values)

    def _fast_to_json(self):
        """to_json for the usual customer as one function compiled from the layout: each field read, tested and
        placed in the template without a loop; any value the tests do not pass (absent where the policy gives no
        default, an unknown word, a float repr would write with an exponent) goes through to_json itself."""
        lines, placed = ["def to_json(view):"], []
        for n, (name, kind, flagged) in enumerate(self._fields):
            v = f"v{n}"
            lines.append(f"    {v} = view[{name!r}]")
            if flagged:
                empty = '""' if kind == "text" else "0.0"
                lines.append(f"    if {v} is None:\n        f{n} = 0.0\n        {v} = {empty}\n"
                             f"    else:\n        f{n} = 1.0")
                placed.append(f"f{n}")
            else:
                lines.append(f"    if {v} is None:\n        return slow(view)")
            if kind == "text":
                lines.append(f"    if {v} != '' and ({name!r}, {v}) not in words:\n        return slow(view)")
            elif kind == "bool":
                lines.append(f"    {v} = 1.0 if {v} else 0.0")
            else:
                lines.append(f"    if {v}.__class__ is not float or not ({v} == 0.0 or 1e-4 <= abs({v}) < 1e16):\n"
                             f"        return slow(view)")
            placed.append(v)
        lines.append(f"    return template % ({', '.join(placed)},)")
        namespace = {"slow": self.to_json, "words": self._words, "template": self._template, "abs": abs}
        exec("\n".join(lines), namespace)    # noqa: S102 (our own text, from the fact layout)
        return namespace["to_json"]

    def _layout(self, nullable):
        """The fact's fields in order, and a JSON template of them (%r: a float's repr is JSON)."""
        fields, keys, parts = [], [], []
        for name, spec in FACTS.items():
            if spec.type == "date":
                continue
            flagged = name in nullable
            fields.append((name, spec.type, flagged))
            if flagged:
                keys.append(set_flag(name))
                parts.append(f'"{set_flag(name)}":%r')
            keys.append(name)
            parts.append(f'"{name}":"%s"' if spec.type == "text" else f'"{name}":%r')
        constants = {"sid": _SID, "id": "c", MARKER: 1.0, ZERO: 0.0}
        head = ",".join(f'"{k}":{to_json(v)}' for k, v in constants.items())
        return fields, keys, constants, "{" + head + "," + ",".join(parts) + "}"
