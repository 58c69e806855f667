"""Render evaluation results for people (table, explain) and programs (JSON)."""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from creditguard.mappings.vocab import Action, Status
from creditguard.rules import expr
from creditguard.rules.evaluate import display, json_value
from creditguard.rules.facts import FACTS

from creditguard.connector.cli.views import terminal

STATUS_MARK = {Status.HOLD: "HOLD", Status.FLAG: "flag", Status.OK: "ok"}


def write_json_blocks(blocks, policy, as_of, out) -> None:
    head = {"as_of": as_of.isoformat(), "policy": {"name": policy.name, "version": policy.version}}
    out.write(json.dumps(head)[:-1] + ', "customers": [')
    first = True
    for block in blocks:                 # block by block: never the whole document in memory a second time
        if block:
            out.write(block if first else "," + block)
            first = False
    out.write("\n]}\n")


def json_block(results) -> str:
    """Customers as JSON array items, one a line, joined by commas (no brackets)."""
    return ",".join("\n" + json.dumps(customer_json(result)) for result in results)


def count_statuses(results) -> dict:
    counts = dict.fromkeys(Status.order(), 0)
    for result in results:
        counts[result.status] += 1
    return counts


def customer_json(result) -> dict:
    return {
        "customer_id": result.customer_id,
        "status": result.status,
        "facts": {name: _JSON[name](value) if value is not None else None for name, value in result.facts.items()},
        "decisions": [decision_json(d) for d in result.decisions],
        "allowance": bound_json(result.allowance.hold),
        "flag_allowance": bound_json(result.allowance.flag),
    }


def bound_json(bound) -> dict:
    """An allowance in JSON: amount a decimal string with cents, or null for no limit, and what bounds it."""
    return {"amount": None if bound.amount is None else f"{bound.amount:.2f}", "rule": bound.rule or None,
            "bound": bound.bound or None}


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
        item["amount"] = f"{decision.amount:.2f}"
    return item


STATUS_ORDER = Status.order()             # the table shows held customers first, then flagged
STATUS_COLOUR = {Status.HOLD: "red", Status.FLAG: "yellow"}
LABEL, MARK = 28, 6                               # columns of the customer and the status


@dataclass(frozen=True)
class TableStyle:
    """How the table is drawn: total width in columns (None: no wrapping), and whether to colour statuses."""
    width: int | None = None
    colour: bool = False

    @classmethod
    def for_stream(cls, stream) -> "TableStyle":
        return cls(terminal.columns(stream), terminal.colour_wanted(stream))


def write_table_blocks(blocks, counts, policy, as_of, out) -> None:
    """`blocks`: table_block() results in customer order; held customers come first, then flagged, then ok."""
    out.write(f"Policy {terminal.clean(policy.name)} v{policy.version}, as of {as_of.isoformat()}\n\n")
    out.write(f"{'CUSTOMER':<{LABEL}} {'STATUS':<{MARK}}  REASONS\n")
    for status in STATUS_ORDER:
        for block in blocks:
            out.write(block.get(status, ""))
    out.write(f"\n{terminal.count(sum(counts.values()), 'customer')}: {counts['hold']:,} on hold, "
              f"{counts['flag']:,} flagged, {counts['ok']:,} ok\n")


def table_block(results, style: TableStyle = TableStyle()) -> dict[str, str]:
    """The table's rows of these customers, by status: {status: text}. Each reason is wrapped to the width."""
    indent = " " * (LABEL + MARK + 3)
    room = max(20, style.width - len(indent)) if style.width else 1 << 30
    rows: dict[str, list] = {status: [] for status in STATUS_ORDER}
    for result in results:
        label = terminal.fit(terminal.clean(f"{result.customer_id} {result.name}"), LABEL)
        mark = f"{STATUS_MARK[result.status]:<{MARK}}"
        if result.status in STATUS_COLOUR:
            mark = terminal.paint(mark, STATUS_COLOUR[result.status], style.colour)
        lines = rows[result.status]
        reasons = [terminal.clean(f"{d.action}: {d.message} [{d.rule}]") for d in result.decisions] or ["-"]
        for i, reason in enumerate(reasons):
            first, *more = terminal.wrap(reason, room - 2)      # continued lines are indented by 2
            lines.append((f"{label} {mark}  " if i == 0 else indent) + first)
            lines.extend(f"{indent}  {line}" for line in more)
    return {status: "".join(line + "\n" for line in lines) for status, lines in rows.items() if lines}


def write_explain(result, policy, fired: set, out) -> None:
    """The customer's facts, then every rule: its condition with the values it read, fired or not."""
    out.write(f"Customer {result.customer_id} {result.name}: status {result.status.upper()}\n")
    out.write(f"Policy {policy.name} v{policy.version} ({policy.source})\n")
    for label, bound in (("allowance", result.allowance.hold), ("flag allowance", result.allowance.flag)):
        extra = f": exposure up to {bound.bound}" if bound.bound else ""
        out.write(f"Order {label} {bound.show()}{extra}\n")
    out.write("\nFacts\n")
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
            if any(a.kind == Action.RELEASE for a in rule.actions) and \
                    not any(d.rule == rule.id for d in result.decisions):
                out.write("          release withheld: a hold rule fired\n")
