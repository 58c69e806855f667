"""The plain-Python floor: the facts of docs/facts.md and the `seed-default` predicates of docs/policy.md in one straightforward loop.

    python bench/floor.py FILE [--json OUT]

Prints one summary line (customers, customers per status, decisions per rule/action). With --json, writes
per customer the status, the decisions that fired and the facts, for cross-checking `creditguard evaluate`.
Standard library only; exit 2 on a snapshot it cannot read.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from decimal import ROUND_CEILING, Decimal

ZERO = Decimal(0)
NEAR_LIMIT_RATIO = Decimal("0.9")
OVERDUE_FLAG_DAYS = 30
DEFAULT_EXTENSION_DAYS = 60  # when the snapshot has no policy_terms
REQUEST_FACTOR = Decimal("1.25")
REQUEST_ROUNDING = Decimal(1000)
COVERED = {"approved", "partial"}
REQUESTABLE = {"none", "approved", "partial", "expired"}
REFUSED = {"refused", "cancelled", "expired"}

# rule ids as in rules/policies/seed-default.yaml, one per row of the docs/policy.md table
CREDIT_LIMIT_EXCEEDED = "credit_limit.exceeded"        # hold
CREDIT_LIMIT_NEAR = "credit_limit.near"                # flag
OVERDUE = "overdue.flag"                               # flag
EXTENSION_EXCEEDED = "overdue.extension_exceeded"      # hold
OVERDUE_TO_DECLARE = "insurer.overdue_to_declare"      # notify
COVER_EXCEEDED = "insurer.cover_exceeded"              # request_limit + flag
COVER_REFUSED = "insurer.cover_refused"                # hold
TERMS_BEYOND_POLICY = "insurer.terms_beyond_policy"    # flag
COUNTRY_HIGH = "country.high_risk"                     # hold  (grade >= 7)
COUNTRY_ELEVATED = "country.elevated_risk"             # flag  (5 <= grade < 7)
RELEASE = "hold.release"                               # release


class SnapshotError(Exception):
    """The snapshot cannot be evaluated; the message names the record and field."""


def amount(value) -> Decimal:
    """A JSON number (already Decimal or int) or a decimal string, as Decimal."""
    return value if isinstance(value, Decimal) else Decimal(value)


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=Decimal)


def compute(snapshot: dict) -> list[dict]:
    """Facts, decisions and status for every customer, in snapshot order."""
    as_of = dt.date.fromisoformat(snapshot["as_of"])
    company_currency = snapshot["company"]["currency"]
    rates = {currency: amount(rate) for currency, rate in snapshot.get("fx_rates", {}).items()}
    rates[company_currency] = Decimal(1)
    terms = snapshot.get("policy_terms")
    country_risk = snapshot.get("country_risk", {})

    def rate(currency: str, where: str) -> Decimal:
        try:
            return rates[currency]
        except KeyError:
            raise SnapshotError(f"{where}: no fx rate for currency {currency}") from None

    acc = {}
    for c in snapshot["customers"]:
        acc[c["id"]] = {"open_receivables": ZERO, "overdue_amount": ZERO, "max_days_overdue": 0,
                        "orders_to_invoice": ZERO, "payment_term_days": c.get("payment_term_days") or 0}

    for inv in snapshot.get("invoices", []):
        if inv["state"] != "posted":
            continue
        where = f"invoice {inv['id']}"
        try:
            a = acc[inv["customer_id"]]
        except KeyError:
            raise SnapshotError(f"{where}: unknown customer_id {inv['customer_id']}") from None
        residual = amount(inv["amount_residual"]) * rate(inv["currency"], where)
        if inv["kind"] == "credit_note":
            residual = -residual
        a["open_receivables"] += residual
        if residual > 0 and not inv.get("disputed") and inv.get("due_date"):
            days = (as_of - dt.date.fromisoformat(inv["due_date"])).days
            if days > 0:
                a["overdue_amount"] += residual
                if days > a["max_days_overdue"]:
                    a["max_days_overdue"] = days

    for order in snapshot.get("orders", []):
        if order["state"] not in ("quotation", "confirmed"):
            continue
        where = f"order {order['id']}"
        try:
            a = acc[order["customer_id"]]
        except KeyError:
            raise SnapshotError(f"{where}: unknown customer_id {order['customer_id']}") from None
        if order["state"] == "confirmed":
            a["orders_to_invoice"] += amount(order["amount_to_invoice"]) * rate(order["currency"], where)
        term = order.get("payment_term_days")
        if term is not None and term > a["payment_term_days"]:
            a["payment_term_days"] = term

    return [evaluate(c, acc[c["id"]], as_of, terms, country_risk, rate) for c in snapshot["customers"]]


def evaluate(customer: dict, a: dict, as_of: dt.date, terms, country_risk: dict, rate) -> dict:
    """Complete one customer's facts and run the seed-default predicates on them."""
    cover = customer.get("insurer_cover")
    insured_cover = ZERO
    request_pending = False
    if cover is None:
        cover_status = "none"
    else:
        cover_status = cover["status"]
        request_pending = bool(cover.get("request_pending"))
        if cover_status in COVERED:
            valid_until = cover.get("valid_until")
            if valid_until is None or dt.date.fromisoformat(valid_until) >= as_of:
                insured_cover = amount(cover["amount"]) * rate(cover["currency"], f"customer {customer['id']} cover")
            else:
                cover_status = "expired"
    exposure = a["open_receivables"] + a["orders_to_invoice"]
    limit = customer.get("credit_limit")
    credit_limit = ZERO if limit is None else amount(limit)
    grade = country_risk.get(customer.get("country"))
    facts = {**a, "exposure": exposure, "credit_limit": credit_limit, "insured_cover": insured_cover,
             "uninsured_exposure": max(ZERO, exposure - insured_cover), "cover_status": cover_status,
             "country_risk": grade}
    days = a["max_days_overdue"]

    decisions = []
    if credit_limit > 0 and exposure > credit_limit:
        decisions.append((CREDIT_LIMIT_EXCEEDED, "hold", None))
    if credit_limit > 0 and NEAR_LIMIT_RATIO * credit_limit < exposure <= credit_limit:
        decisions.append((CREDIT_LIMIT_NEAR, "flag", None))
    if days > OVERDUE_FLAG_DAYS:
        decisions.append((OVERDUE, "flag", None))
    if days > (terms["max_extension_days"] if terms else DEFAULT_EXTENSION_DAYS):
        decisions.append((EXTENSION_EXCEEDED, "hold", None))
    if terms:
        discretionary_limit = amount(terms.get("discretionary_limit", 0))
        if days > 0 and days >= terms["overdue_notification_days"] - 7:
            decisions.append((OVERDUE_TO_DECLARE, "notify", None))
        if (not request_pending and cover_status in REQUESTABLE and exposure > insured_cover
                and exposure > discretionary_limit):
            request = (exposure * REQUEST_FACTOR / REQUEST_ROUNDING).to_integral_value(ROUND_CEILING) * REQUEST_ROUNDING
            decisions.append((COVER_EXCEEDED, "request_limit", request))
            decisions.append((COVER_EXCEEDED, "flag", None))
        if cover_status in REFUSED and exposure > discretionary_limit:
            decisions.append((COVER_REFUSED, "hold", None))
        if a["payment_term_days"] > terms["max_credit_period_days"]:
            decisions.append((TERMS_BEYOND_POLICY, "flag", None))
    if grade is not None and grade >= 7:
        decisions.append((COUNTRY_HIGH, "hold", None))
    elif grade is not None and grade >= 5:
        decisions.append((COUNTRY_ELEVATED, "flag", None))

    actions = {action for _, action, _ in decisions}
    if customer.get("on_hold") and "hold" not in actions:
        decisions.append((RELEASE, "release", None))
    status = "hold" if "hold" in actions else "flag" if "flag" in actions else "ok"
    return {"customer_id": customer["id"], "status": status, "decisions": decisions, "facts": facts}


def as_json(value):
    return str(value) if isinstance(value, Decimal) else value


def write_json(path: str, as_of: str, results: list[dict]) -> None:
    customers = []
    for r in results:
        decisions = []
        for rule, action, request in r["decisions"]:
            d = {"rule": rule, "action": action}
            if request is not None:
                d["amount"] = str(request)
            decisions.append(d)
        customers.append({"customer_id": r["customer_id"], "status": r["status"], "decisions": decisions,
                          "facts": {k: as_json(v) for k, v in r["facts"].items()}})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"as_of": as_of, "customers": customers}, f, indent=None)
        f.write("\n")


def summary(results: list[dict]) -> str:
    statuses = Counter(r["status"] for r in results)
    fired = Counter(f"{rule}/{action}" for r in results for rule, action, _ in r["decisions"])
    per_status = " ".join(f"{s}={statuses[s]}" for s in ("hold", "flag", "ok"))
    per_rule = " ".join(f"{k}={v}" for k, v in sorted(fired.items()))
    return f"customers={len(results)} {per_status} | decisions={sum(fired.values())} {per_rule}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot")
    parser.add_argument("--json", metavar="OUT", help="write per-customer status, decisions and facts")
    args = parser.parse_args(argv)
    try:
        snapshot = load(args.snapshot)
        results = compute(snapshot)
    except (OSError, ValueError, KeyError, TypeError, ArithmeticError, SnapshotError) as e:
        print(f"floor: {args.snapshot}: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(summary(results))
    if args.json:
        write_json(args.json, snapshot["as_of"], results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
