"""Render the analytics for people (terminal tables) and programs (JSON)."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from creditguard.rules.analytics.books import BUCKETS
from creditguard.rules.analytics.figures import Number
from creditguard.rules.analytics.kpis import TREND_MONTHS


def _plain(value):
    if isinstance(value, Number):           # days, ratios: already rounded; a float prints the same digits
        return float(value)
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
    """A ratio rounded to 4 places (figures.RATIO) as a percentage: the same digits, never rounded again."""
    return "-" if value is None else f"{value * 100:.2f} %"


NOT_COMPUTED = "n/c"


def figure(value, reason, show) -> str:
    """`show(value)`, or "not computed: <reason>" when the data cannot support the figure."""
    return f"not computed: {reason}" if value is None and reason else show(value)


def _label(customer_id, name, width=28):
    label = f"{customer_id} {name}"
    return label if len(label) <= width else label[:width - 1] + "…"


def company_figures(c) -> list[tuple[str, str]]:
    """The company's KPIs as (label, text) rows, the same in the terminal and on the HTML page."""
    why = c["not_computed"]

    def shown(name, show=lambda v: number(v, " days")):
        return figure(c[name], why.get(name), show)
    rows = [
        ("open receivables", amount(c["open_receivables"])),
        ("sales in the DSO period", amount(c["sales_in_period"])),
        ("DSO, standard method", shown("dso_standard")),
        ("DSO, count-back method", number(c["dso_count_back"], " days") +
         ("" if c["dso_count_back_complete"] else f" (at least: {why['dso_count_back']})")),
        ("best possible DSO", shown("best_possible_dso")),
        ("overdue share", shown("overdue_share", percent)),
        ("days paid late, average", shown("avg_days_late")),
        ("days paid late, 90th percentile", shown("p90_days_late")),
        ("settled invoices in look-back", number(c["settled_invoices"]) + f" ({c['written_off']} written off)"),
        (f"top-{c['top_customers']} customers' share", shown("top_share", percent)),
        ("unapplied credit notes", amount(c["unapplied_credit_notes"])),
        ("disputed", amount(c["disputed"])),
    ]
    wc = c["working_capital"]
    if wc["wcr"] is None:
        rows.append(("working capital requirement", f"not computed: {wc['reason']}"))
    else:
        rows.append(("working capital requirement", f"{amount(wc['wcr'])} = receivables "
                     f"{amount(wc['trade_receivables'])} + inventory {amount(wc['inventory_value'])} - payables "
                     f"{amount(wc['trade_payables'])}"))
    return rows


def write_kpis(result: dict, out) -> None:
    c = result["company"]
    cur = result["currency"]
    out.write(f"Receivables KPIs as of {result['as_of'].isoformat()} ({cur}; DSO period {result['period_days']} days, "
              f"look-back {result['lookback_days']} days)\n\n")
    rows = company_figures(c)
    for label, value in rows:
        out.write(f"  {label:<34} {value}\n")
    out.write("\n  ageing of open invoices\n")
    for bucket in BUCKETS:
        out.write(f"    {bucket + (' days overdue' if bucket != 'current' else ' (not yet due)'):<32} "
                  f"{amount(c['ageing'][bucket]):>18}\n")
    out.write("\n  exposure by country risk grade\n")
    for grade, value in c["exposure_by_country_grade"].items():
        out.write(f"    grade {grade:<26} {amount(value):>18}\n")
    trend = c["dso_trend"]
    out.write(f"\n  DSO trend ({TREND_MONTHS}-month standard DSO at each month-end)\n")
    if trend["reason"]:
        out.write(f"    not computed: {trend['reason']}\n")
    for point in trend["points"]:
        out.write(f"    {point['date'].isoformat():<32} {figure(point['dso'], point.get('reason'), lambda v: number(v, ' days')):>18}\n")
    if trend["partial"]:
        out.write(f"    left out, partial: {', '.join(p['date'].isoformat() for p in trend['partial'])} "
                  f"({trend['partial'][-1]['reason']})\n")
    out.write(f"\n{'CUSTOMER':<28} {'OPEN':>14} {'OVERDUE':>8} {'DSO':>7} {'DSO-CB':>7} {'BEST':>7} "
              f"{'LATE':>6} {'P90':>5}\n")
    notes: dict = {}
    for k in result["customers"]:
        cells = [cell(k, name, show, notes) for name, show in CUSTOMER_CELLS]
        out.write(f"{_label(k['customer_id'], k['name']):<28} {amount(k['open_receivables']):>14} "
                  + " ".join(f"{text:>{width}}" for text, width in zip(cells, (8, 7, 7, 7, 6, 5))) + "\n")
    by_reason: dict = {}
    for (name, reason), count in notes.items():
        by_reason.setdefault((reason, count), []).append(name)
    for (reason, count), names in sorted(by_reason.items()):
        out.write(f"{NOT_COMPUTED}: {', '.join(sorted(names))} not computed for {count} "
                  f"customer{'s' if count > 1 else ''}: {reason}\n")


CUSTOMER_CELLS = [("overdue_share", percent), ("dso_standard", number), ("dso_count_back", number),
                  ("best_possible_dso", number), ("avg_days_late", number), ("p90_days_late", number)]


def cell(row, name, show, notes) -> str:
    """A customer's figure for a table cell; "n/c" when it cannot be computed, its reason kept in `notes`."""
    reason = row["not_computed"].get(name)
    if reason and (row[name] is None or name == "dso_count_back"):
        notes[(name, reason)] = notes.get((name, reason), 0) + 1
        return NOT_COMPUTED if row[name] is None else f"≥{show(row[name])}"
    return show(row[name])


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


def forecast_basis(result) -> str:
    basis = ", ".join(f"{n} on {name}" for name, n in sorted(result["customers_by_basis"].items())) or "none"
    effects = [name.replace("_", "-") for name, found in result["effects"].items() if found]
    error = result["band_model_error"]
    if not result["invoices_learnt"]:
        return f"customers with open invoices (and class): {basis}"
    return (f"customers with open invoices (and class): {basis}; {result['invoices_learnt']:,} invoices learnt "
            f"from; calendar effects: {', '.join(effects) or 'none found in the history'}; band: "
            + (f"model error {percent(error)} measured on {result['band_calibration_origins']} earlier month-ends"
               if error is not None else "independent invoices only (no earlier month-end to measure the "
               "model's own error on)"))


def write_forecast(result: dict, out) -> None:
    why = result["not_computed"]
    out.write(f"Cash-in forecast as of {result['as_of'].isoformat()} ({result['currency']}): each open invoice's "
              f"residual spread over the weeks by its customer's learnt payment behaviour; open "
              f"{amount(result['open'])}\n\n")
    if "weeks" in why:
        out.write(f"not computed: {why['weeks']}\n")
        return
    out.write(f"{'WEEK':>4} {'FROM':<10} {'TO':<10} {'EXPECTED':>14} {'P10':>14} {'P90':>14} {'CUMULATIVE':>14} "
              f"{'CUM P10':>14} {'CUM P90':>14}\n")
    for w in result["weeks"]:
        out.write(f"{w['week']:>4} {w['start'].isoformat():<10} {w['end'].isoformat():<10} "
                  + " ".join(f"{amount(w[name]):>14}" for name in
                             ("expected", "low", "high", "cumulative", "cumulative_low", "cumulative_high")) + "\n")
    if "band" in why:
        out.write(f"\nband not computed: {why['band']}\n")
    out.write(f"\nlater than week {len(result['weeks'])} or never: {amount(result['later'])}; settled without cash "
              f"(credit notes, write-offs): {amount(result['settled_otherwise'])}\n"
              f"in the weeks, of which disputed {amount(result['disputed_in_weeks'])}, customers on hold "
              f"{amount(result['held_in_weeks'])}\n{forecast_basis(result)}\n")


def write_forecast_backtest(result: dict, out) -> None:
    s = result["summary"]
    out.write(f"Forecast backtest on the history as of {result['as_of'].isoformat()} ({result['currency']}): from "
              f"each month-end origin, the {len(s['coverage_per_week'])} weeks forecast against what was paid on "
              f"the invoices open then\n\n")
    if result["not_computed"]:
        out.write(f"not computed: {result['not_computed']['backtest']}\n")
        return
    out.write(f"{'ORIGIN':<10} {'OPEN':>14} {'PAID IN WEEKS':>14} {'WAPE':>8} {'NAIVE':>8} {'IN BAND':>8}\n")
    for r in result["origins"]:
        out.write(f"{r['origin'].isoformat():<10} {amount(r['open']):>14} {amount(r['paid_in_weeks']):>14} "
                  f"{percent(r['wape']):>8} {percent(r['wape_naive']):>8} {percent(r['band_coverage']):>8}\n")
    out.write(f"\nmean WAPE over {s['origins']} origins: forecast {percent(s['wape'])}, due-date baseline "
              f"{percent(s['wape_naive'])} (ratio {number(s.get('ratio_to_naive'))})\n"
              f"band P10-P90 held the week's actual in {percent(s['coverage'])} of the weeks with something "
              f"forecast or paid; per week: "
              + ", ".join(f"{k + 1}: {percent(c)}" for k, c in enumerate(s["coverage_per_week"])) + "\n")


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
