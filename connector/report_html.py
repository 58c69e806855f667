"""One self-contained HTML page per analytics command: tables and charts drawn offline as inline SVG.

No network: no script, style sheet, font or image is fetched; matplotlib draws each chart to SVG text
that is written into the page. A small inline script counts the charts that laid out, for tests."""
from __future__ import annotations

import html
import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)

from rules.analytics.books import BUCKETS  # noqa: E402

from .analytics_report import amount, number, percent  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "creditguard", "font.size": 10,
                     "axes.spines.top": False, "axes.spines.right": False})
BLUE, GREEN, ORANGE, RED, GREY = "#2f6fb0", "#3b9a5a", "#e39b2d", "#c8413b", "#9aa3ad"
TOP_ROWS = 25
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)      # RDF naming matplotlib: not needed
STYLE = """body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
td,th{padding:3px 10px;border-bottom:1px solid #e3e3e3;text-align:right}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{flex:1 1 480px;max-width:540px}.chart.wide{max-width:none}
.chart svg{width:100%;height:auto}
.note{color:#666;font-size:13px}"""
SCRIPT = """addEventListener('load',()=>{const ok=[...document.querySelectorAll('.chart svg')]
.filter(s=>s.getBoundingClientRect().width>100&&s.querySelectorAll('path').length>3).length;
document.body.dataset.chartsRendered=ok;});"""


def write(path, page: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(page)


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return _METADATA.sub("", text[text.index("<svg"):])


def _chart(title, fig, wide=False) -> str:
    return f'<div class="chart{" wide" if wide else ""}"><h3>{html.escape(title)}</h3>{_svg(fig)}</div>'


def _f(value) -> float:
    return float(value) if value is not None else float("nan")


def _table(head, rows) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def _page(title, subtitle, charts, sections) -> str:
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body data-charts={len(charts)}><h1>{html.escape(title)}</h1>"
            f"<p class=note>{html.escape(subtitle)}</p><div class=charts>{''.join(charts)}</div>"
            f"{''.join(sections)}<script>{SCRIPT}</script></body></html>\n")


def _money_axis(ax, currency):
    ax.set_ylabel(currency)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _bars(labels, values, colors, ylabel, size=(6, 3.2)):
    fig, ax = plt.subplots(figsize=size)
    ax.bar(labels, values, color=colors)
    _money_axis(ax, ylabel)
    return fig


def kpis_page(result) -> str:
    c, cur = result["company"], result["currency"]
    charts = [_chart("Ageing of open invoices", _bars(list(BUCKETS), [_f(c["ageing"][b]) for b in BUCKETS],
                                                      [GREEN, ORANGE, ORANGE, RED, RED], cur))]
    trend = [t for t in reversed(c["dso_trend"])]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot([t["date"] for t in trend], [_f(t["dso"]) for t in trend], marker="o", color=BLUE)
    ax.set_ylabel("days")
    fig.autofmt_xdate()
    charts.append(_chart("DSO trend (3-month standard DSO at each month-end)", fig))
    grades = c["exposure_by_country_grade"]
    charts.append(_chart("Exposure by country risk grade", _bars(
        list(grades), [_f(v) for v in grades.values()],
        [RED if g != "unknown" and int(g) >= 5 else GREY if g == "unknown" else BLUE for g in grades], cur)))
    wc = c["working_capital"]
    figures = [("open receivables", amount(c["open_receivables"])),
               ("DSO, standard method", number(c["dso_standard"], " days")),
               ("DSO, count-back method", number(c["dso_count_back"], " days")),
               ("best possible DSO", number(c["best_possible_dso"], " days")),
               ("overdue share", percent(c["overdue_share"])),
               ("days paid late: average / 90th percentile",
                f"{number(c['avg_days_late'])} / {number(c['p90_days_late'])}"),
               (f"top-{c['top_customers']} customers' share", percent(c["top_share"])),
               ("working capital requirement", amount(wc["wcr"]) if wc["wcr"] is not None
                else "not computed: no " + " and no ".join(wc["missing"]))]
    top = sorted(result["customers"], key=lambda k: -k["open_receivables"])[:TOP_ROWS]
    rows = [(f"{k['customer_id']} {k['name']}", amount(k["open_receivables"]), percent(k["overdue_share"]),
             number(k["dso_standard"]), number(k["dso_count_back"]), number(k["avg_days_late"]),
             number(k["p90_days_late"])) for k in top]
    return _page(f"Receivables KPIs — {result['as_of']}",
                 f"{cur}; standard DSO over {result['period_days']} days; look-back {result['lookback_days']} days",
                 charts, ["<h2>Company</h2>", _table(("figure", "value"), figures),
                          f"<h2>Largest {len(top)} customers by open receivables</h2>",
                          _table(("customer", "open", "overdue", "DSO", "DSO count-back", "avg late", "p90 late"),
                                 rows)])


def insured_page(result) -> str:
    buyers = result["buyers"][:TOP_ROWS]
    fig, ax = plt.subplots(figsize=(11, 3.8))
    labels = [b["customer_id"] for b in buyers]
    insured, uninsured = [_f(b["insured"]) for b in buyers], [_f(b["uninsured"]) for b in buyers]
    ax.bar(labels, insured, color=GREEN, label="insured")
    ax.bar(labels, uninsured, bottom=insured, color=RED, label="uninsured")
    ax.legend(frameon=False)
    _money_axis(ax, result["currency"])
    ax.tick_params(axis="x", rotation=60)
    t = result["totals"]
    totals = [("open receivables", amount(t["open_receivables"])),
              ("insured book (collateral a bank may take)", amount(t["insured"])),
              ("indemnity at the policy percentage", amount(t["indemnity"])),
              ("uninsured", amount(t["uninsured"])), ("net risk after indemnity", amount(t["net_risk"]))]
    rows = [(f"{b['customer_id']} {b['name']}", b["state"], amount(b["open_receivables"]), amount(b["cover"]),
             amount(b["insured"]), amount(b["indemnity"]), amount(b["uninsured"])) for b in buyers]
    pct = result["insured_percent"]
    return _page(f"Insured receivables — {result['as_of']}",
                 f"{result['currency']}; indemnity at {pct if pct is not None else 0} %; buyers above cover or "
                 f"without cover first", [_chart(f"Insured vs uninsured, first {len(buyers)} buyers", fig, wide=True)],
                 ["<h2>Totals</h2>", _table(("", "amount"), totals), f"<h2>First {len(buyers)} buyers</h2>",
                  _table(("buyer", "state", "open", "cover", "insured", "indemnity", "uninsured"), rows)])


def forecast_page(result) -> str:
    weeks = result["weeks"]
    x = [w["week"] for w in weeks]
    fig, ax = plt.subplots(figsize=(11, 3.8))
    ax.bar(x, [_f(w["expected"]) for w in weeks], color=BLUE, alpha=0.55, label="expected in the week")
    ax.plot(x, [_f(w["cumulative"]) for w in weeks], color=BLUE, marker="o", label="cumulative")
    ax.fill_between(x, [_f(w["cumulative_low"]) for w in weeks], [_f(w["cumulative_high"]) for w in weeks],
                    color=ORANGE, alpha=0.3, label="band (late … early payers)")
    ax.set_xlabel("week")
    _money_axis(ax, result["currency"])
    ax.set_xticks(x)
    ax.legend(frameon=False, loc="upper left")
    rows = [(w["week"], f"{w['start']} – {w['end']}", amount(w["expected"]), amount(w["cumulative"]),
             amount(w["cumulative_low"]), amount(w["cumulative_high"])) for w in weeks]
    b = result["company_behaviour"]
    return _page(f"Cash-in forecast — {result['as_of']}",
                 f"{result['currency']}; due dates shifted by each customer's median lateness (company median "
                 f"{b['median']} days, {b['basis']})", [_chart("Expected collections, next 13 weeks", fig, wide=True)],
                 [_table(("week", "dates", "expected", "cumulative", "low", "high"), rows),
                  f"<p class=note>later: {amount(result['later'])}; shown apart: disputed "
                  f"{amount(result['disputed_apart'])}, held customers {amount(result['held_apart'])}</p>"])


def backtest_page(result) -> str:
    policies = result["policies"]
    names = [f"{p['policy']} v{p['version']}" for p in policies]
    outcomes = ("paid on time", "paid late", "unpaid", "written off")
    fig, ax = plt.subplots(figsize=(6, 3.4))
    bottom = [0.0] * len(policies)
    for name, color in zip(outcomes, (GREEN, ORANGE, RED, GREY)):
        values = [_f(p["outcomes"][name]["amount"]) for p in policies]
        ax.bar(names, values, bottom=bottom, color=color, label=name)
        bottom = [a + b for a, b in zip(bottom, values)]
    _money_axis(ax, result["currency"])
    ax.legend(frameon=False, fontsize=8)
    charts = [_chart("Sales stopped, by how they ended", fig)]
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for p, name in zip(policies, names):
        ax.plot([h["date"] for h in p["held_per_date"]], [h["held"] for h in p["held_per_date"]], label=name)
    ax.set_ylabel("customers held")
    ax.legend(frameon=False, fontsize=8)
    fig.autofmt_xdate()
    charts.append(_chart("Customers held at each replay date", fig))
    rows = [("customers held", *(number(p["customers_held"]) for p in policies)),
            ("days held, total", *(number(p["hold_days"]) for p in policies)),
            ("sales stopped", *(f"{p['stopped_invoices']} / {amount(p['stopped_amount'])}" for p in policies)),
            ("losses avoided", *(amount(p["losses_avoided"]) for p in policies)),
            ("good sales blocked", *(amount(p["good_sales_blocked"]) for p in policies)),
            ("days late of stopped sales paid late", *(number(p["avg_days_late_of_late"]) for p in policies))]
    return _page(f"Policy backtest — {result['from']} to {result['to']}",
                 f"{len(result['dates'])} replay dates; {result['currency']}", charts,
                 [_table(("", *names), rows)])


__all__ = ["write", "kpis_page", "insured_page", "forecast_page", "backtest_page"]
