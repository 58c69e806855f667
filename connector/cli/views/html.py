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

from creditguard.rules.analytics.books import BUCKETS  # noqa: E402

from creditguard.rules.analytics.kpis import TREND_MONTHS  # noqa: E402

from creditguard.connector.cli.views.analytics import (CUSTOMER_CELLS, NOT_COMPUTED, amount, cell, company_figures,
    forecast_basis, number, percent)

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


def _nothing(title, reason) -> str:
    """A chart the data cannot support: its title and why, never a chart of zeros."""
    return (f'<div class="chart empty"><h3>{html.escape(title)}</h3>'
            f'<p class=note>Nothing to show: {html.escape(reason)}</p></div>')


def _f(value) -> float:
    return float(value) if value is not None else float("nan")


def _table(head, rows) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def _page(title, subtitle, charts, sections) -> str:
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body data-charts={sum('<svg' in c for c in charts)}><h1>{html.escape(title)}</h1>"
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
    title = "Ageing of open invoices"
    charts = [_chart(title, _bars(list(BUCKETS), [_f(c["ageing"][b]) for b in BUCKETS],
                                  [GREEN, ORANGE, ORANGE, RED, RED], cur))
              if any(c["ageing"].values()) else _nothing(title, "nothing open at as_of")]
    trend = c["dso_trend"]
    title = f"DSO trend ({TREND_MONTHS}-month standard DSO at each month-end)"
    points = [t for t in reversed(trend["points"]) if t["dso"] is not None]
    if points:
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.plot([t["date"] for t in points], [_f(t["dso"]) for t in points], marker="o", color=BLUE)
        ax.set_ylabel("days")
        fig.autofmt_xdate()
        charts.append(_chart(title, fig))
    else:
        charts.append(_nothing(title, trend["reason"] or "no point has net sales in its months"))
    grades = {g: v for g, v in c["exposure_by_country_grade"].items() if v}
    title = "Exposure by country risk grade"
    charts.append(_chart(title, _bars(
        list(grades), [_f(v) for v in grades.values()],
        [RED if g != "unknown" and int(g) >= 5 else GREY if g == "unknown" else BLUE for g in grades], cur))
        if grades else _nothing(title, "no customer has any exposure"))
    figures = company_figures(c)
    top = sorted(result["customers"], key=lambda k: -k["open_receivables"])[:TOP_ROWS]
    notes: dict = {}
    rows = [(f"{k['customer_id']} {k['name']}", amount(k["open_receivables"]),
             *(cell(k, name, show, notes) for name, show in CUSTOMER_CELLS)) for k in top]
    legend = "".join(f"<p class=note>{NOT_COMPUTED}: {html.escape(name)} not computed: {html.escape(reason)}</p>"
                     for name, reason in sorted(notes))
    return _page(f"Receivables KPIs — {result['as_of']}",
                 f"{cur}; standard DSO over {result['period_days']} days; look-back {result['lookback_days']} days",
                 charts, ["<h2>Company</h2>", _table(("figure", "value"), figures),
                          f"<h2>Largest {len(top)} customers by open receivables</h2>",
                          _table(("customer", "open", "overdue", "DSO", "DSO count-back", "best DSO", "avg late",
                                  "p90 late"), rows), legend])


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
    weeks, why = result["weeks"], result["not_computed"]
    title = f"Expected collections, next {len(weeks)} weeks"
    if "weeks" in why:
        chart = _nothing(title, why["weeks"])
    else:
        x = [w["week"] for w in weeks]
        fig, ax = plt.subplots(figsize=(11, 3.8))
        ax.bar(x, [_f(w["expected"]) for w in weeks], color=BLUE, alpha=0.55, label="expected in the week")
        if "band" not in why:
            ax.errorbar(x, [_f(w["expected"]) for w in weeks],
                        yerr=[[_f(w["expected"]) - _f(w["low"]) for w in weeks],
                              [_f(w["high"]) - _f(w["expected"]) for w in weeks]],
                        fmt="none", ecolor=ORANGE, capsize=3, label="week's P10-P90")
            ax.fill_between(x, [_f(w["cumulative_low"]) for w in weeks], [_f(w["cumulative_high"]) for w in weeks],
                            color=ORANGE, alpha=0.2, label="cumulative P10-P90")
        ax.plot(x, [_f(w["cumulative"]) for w in weeks], color=BLUE, marker="o", label="cumulative")
        ax.set_xlabel("week")
        _money_axis(ax, result["currency"])
        ax.set_xticks(x)
        ax.legend(frameon=False, loc="upper left")
        chart = _chart(title, fig, wide=True)
    band = "band not computed: " + why["band"] if "band" in why else ""
    rows = [(w["week"], f"{w['start']} – {w['end']}", amount(w["expected"]), amount(w["low"]), amount(w["high"]),
             amount(w["cumulative"]), amount(w["cumulative_low"]), amount(w["cumulative_high"])) for w in weeks]
    return _page(f"Cash-in forecast — {result['as_of']}",
                 f"{result['currency']}; open {amount(result['open'])}; each residual spread over the weeks by its "
                 f"customer's learnt payment behaviour", [chart],
                 [_table(("week", "dates", "expected", "P10", "P90", "cumulative", "cum. P10", "cum. P90"), rows),
                  f"<p class=note>{html.escape(band)}</p>" if band else "",
                  f"<p class=note>later or never: {amount(result['later'])}; settled without cash: "
                  f"{amount(result['settled_otherwise'])}; in the weeks, of which disputed "
                  f"{amount(result['disputed_in_weeks'])}, customers on hold {amount(result['held_in_weeks'])}</p>",
                  f"<p class=note>{html.escape(forecast_basis(result))}</p>"])


def forecast_backtest_page(result) -> str:
    s, rows = result["summary"], result["origins"]
    if result["not_computed"]:
        charts = [_nothing("Forecast error per origin", result["not_computed"]["backtest"])]
    else:
        fig, ax = plt.subplots(figsize=(6, 3.4))
        dates = [r["origin"] for r in rows]
        ax.plot(dates, [_f(r["wape"]) * 100 for r in rows], marker="o", color=BLUE, label="forecast")
        ax.plot(dates, [_f(r["wape_naive"]) * 100 for r in rows], marker="s", color=GREY, label="due-date baseline")
        ax.set_ylabel("WAPE, %")
        ax.legend(frameon=False, fontsize=8)
        fig.autofmt_xdate()
        charts = [_chart("Weighted absolute percentage error per origin", fig)]
        fig, ax = plt.subplots(figsize=(6, 3.4))
        weeks = [k + 1 for k, c in enumerate(s["coverage_per_week"]) if c is not None]
        ax.bar(weeks, [_f(c) * 100 for c in s["coverage_per_week"] if c is not None], color=GREEN)
        ax.axhspan(70, 90, color=ORANGE, alpha=0.15, label="70-90 %")
        ax.set_ylim(0, 100)
        ax.set_xlabel("week")
        ax.set_ylabel("actual inside P10-P90, %")
        ax.legend(frameon=False, fontsize=8)
        charts.append(_chart("Band coverage per week", fig))
    table = [(r["origin"], amount(r["open"]), amount(r["paid_in_weeks"]), percent(r["wape"]), percent(r["wape_naive"]),
              percent(r["band_coverage"])) for r in rows]
    summary = (f"mean WAPE over {s['origins']} origins: forecast {percent(s['wape'])}, due-date baseline "
               f"{percent(s['wape_naive'])} (ratio {number(s.get('ratio_to_naive'))}); band coverage "
               f"{percent(s['coverage'])}")
    return _page(f"Forecast backtest — history as of {result['as_of']}",
                 f"{result['currency']}; from each month-end origin, what was forecast against what was paid",
                 charts, [f"<p>{html.escape(summary)}</p>",
                          _table(("origin", "open", "paid in the weeks", "WAPE", "baseline WAPE", "in band"), table)])


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


__all__ = ["write", "kpis_page", "insured_page", "forecast_page", "forecast_backtest_page", "backtest_page"]
