"""Render evaluation results for people (table, explain) and programs (JSON)."""
from __future__ import annotations

import json
import shutil
import textwrap

from rules import expr
from rules.evaluate import display, json_value
from rules.facts import FACTS

STATUS_MARK = {"hold": "HOLD", "flag": "flag", "ok": "ok"}


def write_json_blocks(blocks, policy, as_of, out) -> None:
    head = {"as_of": as_of.isoformat(), "policy": {"name": policy.name, "version": policy.version}}
    out.write(json.dumps(head)[:-1] + ', "customers": [')
    out.write(",".join(block for block in blocks if block))
    out.write("\n]}\n")


def json_block(results) -> str:
    """Customers as JSON array items, one a line, joined by commas (no brackets)."""
    return ",".join("\n" + json.dumps(customer_json(result)) for result in results)


def count_statuses(results) -> dict:
    counts = {"hold": 0, "flag": 0, "ok": 0}
    for result in results:
        counts[result.status] += 1
    return counts


def customer_json(result) -> dict:
    return {
        "customer_id": result.customer_id,
        "status": result.status,
        "facts": {name: _JSON[name](value) if value is not None else None for name, value in result.facts.items()},
        "decisions": [decision_json(d) for d in result.decisions],
    }


def _same(value):
    return value


# money facts are Decimals in cents (exponent -2): str() writes them with their two decimals
_JSON = {name: str if spec.kind == "money" else
         _same if spec.kind in ("status", "bool") else (lambda v, n=name: json_value(n, v))
         for name, spec in FACTS.items()}


def decision_json(decision) -> dict:
    item = {"rule": decision.rule, "action": decision.action, "message": decision.message,
            "facts": {name: json_value(name, value) for name, value in decision.facts.items()}}
    if decision.amount is not None:
        item["amount"] = str(decision.amount)
    return item


def write_table_blocks(blocks, counts, policy, as_of, out) -> None:
    out.write(f"Policy {policy.name} v{policy.version}, as of {as_of.isoformat()}\n\n")
    out.write(f"{'CUSTOMER':<28} {'STATUS':<6}  REASONS\n")
    for block in blocks:
        out.write(block)
    out.write(f"\n{sum(counts.values())} customers: {counts['hold']} on hold, {counts['flag']} flagged, "
              f"{counts['ok']} ok\n")


def table_block(results, wrap: bool = False) -> str:
    width = max(60, min(shutil.get_terminal_size((100, 20)).columns, 140)) if wrap else 10_000
    lines = []
    for result in results:
        label = f"{result.customer_id} {result.name}"
        label = label if len(label) <= 28 else label[:27] + "…"
        reasons = [f"{d.action}: {d.message} [{d.rule}]" for d in result.decisions] or ["-"]
        indent = " " * 37
        for i, reason in enumerate(reasons):
            wrapped = textwrap.wrap(reason, width - 37, subsequent_indent="  ") or [""]
            first = f"{label:<28} {STATUS_MARK[result.status]:<6}  " if i == 0 else indent
            lines.append(first + wrapped[0])
            lines.extend(indent + line for line in wrapped[1:])
    return "".join(line + "\n" for line in lines)


def write_explain(result, policy, fired: set, out) -> None:
    """The customer's facts, then every rule: its condition with the values it read, fired or not."""
    out.write(f"Customer {result.customer_id} {result.name}: status {result.status.upper()}\n")
    out.write(f"Policy {policy.name} v{policy.version} ({policy.source})\n\nFacts\n")
    for name, value in result.facts.items():
        out.write(f"  {name:<27} {display(name, value)}\n")
    if policy.params:
        out.write("\nParams\n")
        for name, value in policy.params.items():
            out.write(f"  {name:<27} {display(name, value)}\n")
    out.write("\nRules\n")
    values = dict(policy.params)
    values.update(result.facts)
    for i, rule in enumerate(policy.rules):
        state = "FIRED" if i in fired else "no"
        actions = ", ".join(a.kind for a in rule.actions)
        out.write(f"  [{state:>5}] {rule.id} -> {actions}\n")
        shown = expr.to_text(rule.when, show=lambda name: display(name, values.get(name)))
        for line in textwrap.wrap(f"when {shown}", 100):
            out.write(f"          {line}\n")
        if i in fired:
            for d in result.decisions:
                if d.rule == rule.id:
                    out.write(f"          {d.action}: {d.message}\n")
            if any(a.kind == "release" for a in rule.actions) and \
                    not any(d.rule == rule.id for d in result.decisions):
                out.write("          release withheld: a hold rule fired\n")
