"""Render the analytics for people (terminal tables) and programs (JSON)."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from rules.analytics.books import BUCKETS


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def write_json(result: dict, out) -> None:
    """Money as decimal strings, dates ISO, ratios as numbers between 0 and 1, days as numbers."""
    out.write(json.dumps(result, default=_plain, ensure_ascii=False))
    out.write("\n")


def amount(value) -> str:
    return "-" if value is None else f"{value:,.2f}"


def number(value, suffix="") -> str:
    return "-" if value is None else f"{value:,}{suffix}"


def percent(value) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _label(customer_id, name, width=28):
    label = f"{customer_id} {name}"
    return label if len(label) <= width else label[:width - 1] + "…"


def write_kpis(result: dict, out) -> None:
    c = result["company"]
    cur = result["currency"]
    out.write(f"Receivables KPIs as of {result['as_of'].isoformat()} ({cur}; DSO period {result['period_days']} days, "
              f"look-back {result['lookback_days']} days)\n\n")
    rows = [
        ("open receivables", amount(c["open_receivables"])),
        ("sales in the DSO period", amount(c["sales_in_period"])),
        ("DSO, standard method", number(c["dso_standard"], " days")),
        ("DSO, count-back method", number(c["dso_count_back"], " days") +
         ("" if c["dso_count_back_complete"] else " (look-back exhausted)")),
        ("best possible DSO", number(c["best_possible_dso"], " days")),
        ("overdue share", percent(c["overdue_share"])),
        ("days paid late, average", number(c["avg_days_late"], " days")),
        ("days paid late, 90th percentile", number(c["p90_days_late"], " days")),
        ("settled invoices in look-back", number(c["settled_invoices"]) + f" ({c['written_off']} written off)"),
        (f"top-{c['top_customers']} customers' share", percent(c["top_share"])),
        ("unapplied credit notes", amount(c["unapplied_credit_notes"])),
        ("disputed", amount(c["disputed"])),
    ]
    wc = c["working_capital"]
    if wc["wcr"] is None:
        rows.append(("working capital requirement", "not computed: the snapshot has no " +
                     " and no ".join(wc["missing"])))
    else:
        rows.append(("working capital requirement", f"{amount(wc['wcr'])} = receivables "
                     f"{amount(wc['trade_receivables'])} + inventory {amount(wc['inventory_value'])} - payables "
                     f"{amount(wc['trade_payables'])}"))
    for label, value in rows:
        out.write(f"  {label:<34} {value}\n")
    out.write("\n  ageing of open invoices\n")
    for bucket in BUCKETS:
        out.write(f"    {bucket + (' days overdue' if bucket != 'current' else ' (not yet due)'):<32} "
                  f"{amount(c['ageing'][bucket]):>18}\n")
    out.write("\n  exposure by country risk grade\n")
    for grade, value in c["exposure_by_country_grade"].items():
        out.write(f"    grade {grade:<26} {amount(value):>18}\n")
    out.write(f"\n{'CUSTOMER':<28} {'OPEN':>14} {'OVERDUE':>8} {'DSO':>7} {'DSO-CB':>7} {'BEST':>7} "
              f"{'LATE':>6} {'P90':>5}\n")
    for k in result["customers"]:
        out.write(f"{_label(k['customer_id'], k['name']):<28} {amount(k['open_receivables']):>14} "
                  f"{percent(k['overdue_share']):>8} {number(k['dso_standard']):>7} {number(k['dso_count_back']):>7} "
                  f"{number(k['best_possible_dso']):>7} {number(k['avg_days_late']):>6} "
                  f"{number(k['p90_days_late']):>5}\n")


def write_insured(result: dict, out) -> None:
    pct = result["insured_percent"]
    out.write(f"Insured receivables as of {result['as_of'].isoformat()} ({result['currency']}; indemnity at "
              f"{'the policy percentage ' + str(pct) + ' %' if pct is not None else '0: the snapshot has no policy_terms'})\n\n")
    out.write(f"{'BUYER':<28} {'STATE':<17} {'OPEN':>14} {'COVER':>14} {'INSURED':>14} {'INDEMNITY':>14} "
              f"{'UNINSURED':>14} {'NET RISK':>14}\n")
    for b in result["buyers"]:
        out.write(f"{_label(b['customer_id'], b['name']):<28} {b['state']:<17} {amount(b['open_receivables']):>14} "
                  f"{amount(b['cover']):>14} {amount(b['insured']):>14} {amount(b['indemnity']):>14} "
                  f"{amount(b['uninsured']):>14} {amount(b['net_risk']):>14}\n")
    t = result["totals"]
    out.write(f"\n{len(result['buyers'])} buyers: open {amount(t['open_receivables'])}, insured book "
              f"{amount(t['insured'])} (what a bank may take as collateral), indemnity {amount(t['indemnity'])}, "
              f"uninsured {amount(t['uninsured'])}, net risk after indemnity {amount(t['net_risk'])}\n")


def write_forecast(result: dict, out) -> None:
    b = result["company_behaviour"]
    out.write(f"Cash-in forecast as of {result['as_of'].isoformat()} ({result['currency']}): due dates shifted by "
              f"each customer's median lateness; company median {b['median']} days ({b['basis']})\n\n")
    out.write(f"{'WEEK':>4} {'FROM':<10} {'TO':<10} {'EXPECTED':>16} {'CUMULATIVE':>16} {'LOW':>16} {'HIGH':>16}\n")
    for w in result["weeks"]:
        out.write(f"{w['week']:>4} {w['start'].isoformat():<10} {w['end'].isoformat():<10} "
                  f"{amount(w['expected']):>16} {amount(w['cumulative']):>16} {amount(w['cumulative_low']):>16} "
                  f"{amount(w['cumulative_high']):>16}\n")
    basis = ", ".join(f"{n} on {name}" for name, n in sorted(result["customers_by_basis"].items())) or "none"
    out.write(f"\nlater than week {len(result['weeks'])}: {amount(result['later'])}\n"
              f"shown apart: disputed {amount(result['disputed_apart'])}, held customers "
              f"{amount(result['held_apart'])}\ncustomers with open invoices: {basis}\n")


def write_backtest(result: dict, out) -> None:
    dates = result["dates"]
    out.write(f"Backtest from {result['from']} to {result['to']}, {len(dates)} replay dates ({result['currency']}; "
              f"history as of {result['as_of'].isoformat()})\n\n")
    policies = result["policies"]
    names = [f"{p['policy']} v{p['version']}" for p in policies]
    width = max(18, *(len(n) + 2 for n in names))
    out.write(f"{'':<36}" + "".join(f"{n:>{width}}" for n in names) + "\n")
    rows = [("customers held", lambda p: number(p["customers_held"])),
            ("holds (spells)", lambda p: number(p["holds"])),
            ("days held, total", lambda p: number(p["hold_days"])),
            ("days held, average per hold", lambda p: number(p["avg_hold_days"])),
            ("sales stopped (invoices)", lambda p: number(p["stopped_invoices"])),
            ("sales stopped (amount)", lambda p: amount(p["stopped_amount"]))]
    for name in ("paid on time", "paid late", "unpaid", "written off", "paid, date unknown"):
        rows.append((f"  of which {name}", lambda p, n=name: f"{p['outcomes'][n]['invoices']} / "
                     f"{amount(p['outcomes'][n]['amount'])}"))
    rows += [("  days late, average of paid late", lambda p: number(p["avg_days_late_of_late"])),
             ("losses avoided (unpaid + written off)", lambda p: amount(p["losses_avoided"])),
             ("good sales blocked (paid on time)", lambda p: amount(p["good_sales_blocked"]))]
    for label, cell in rows:
        out.write(f"{label:<36}" + "".join(f"{cell(p):>{width}}" for p in policies) + "\n")
