"""The durable-rules engine: the only module that imports `durable`.

Driven as reference/durable_rules.md recommends: one long-lived C ruleset per policy, no Host, no
callbacks; one customer at a time asserted as a single flat fact of floats in a fixed session,
the fired rules read from the engine's action queue, then the fact retracted."""
from __future__ import annotations

import itertools
import json
import math

from .compiler import MARKER, ZERO, compile_ruleset, set_flag, to_json
from .facts import FACTS

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
        self.nullable = {n for n, spec in FACTS.items() if spec.nullable and n not in policy.defaults}
        self.handle = _engine.create_ruleset(f"creditguard_{next(_names)}", to_json(self.ruleset))
        self._fields = [(name, spec.type) for name, spec in FACTS.items() if spec.type != "date"]

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

    def to_fact(self, view: dict) -> dict:
        """The flat, all-float fact the ruleset expects; refuses anything else."""
        fact = {"sid": _SID, "id": "c", MARKER: 1.0, ZERO: 0.0}
        for name, kind in self._fields:
            value = view[name]
            if name in self.nullable:
                fact[set_flag(name)] = 0.0 if value is None else 1.0
            elif value is None:
                raise EngineError(f"fact {name} is absent and the policy gives no default")
            if kind == "status":
                if not isinstance(value, str):
                    raise EngineError(f"fact {name} must be text, got {value!r}")
            elif kind == "bool":
                value = 1.0 if value else 0.0
            else:
                value = 0.0 if value is None else value
                if value.__class__ is not float or not math.isfinite(value):
                    raise EngineError(f"fact {name} must be a finite float, got {value!r}")
            fact[name] = value
        return fact

    @staticmethod
    def _needs_positional(fact) -> bool:
        """True when json.dumps would write a float with an exponent (repr does below 1e-4 and from 1e16)."""
        for value in fact.values():
            if value.__class__ is float and value and not 1e-4 <= abs(value) < 1e16:
                return True
        return False

    def to_json(self, view: dict) -> str:
        """to_fact as the JSON text the engine reads (fast path: json.dumps when it wrote no exponent)."""
        fact = self.to_fact(view)
        return to_json(fact) if self._needs_positional(fact) else json.dumps(fact)
