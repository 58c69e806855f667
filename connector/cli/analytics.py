"""The analytics commands: `creditguard kpis`, `insured`, `forecast` and `backtest`.

Each reads and checks the whole snapshot before computing anything, prints a terminal table (or JSON
with --format json) and, with --html FILE, writes a self-contained HTML report with its charts."""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import re
import sys

from creditguard.mappings.errors import BadInput
from creditguard.mappings.snapshot import open_snapshot
from creditguard.rules.analytics import backtest as backtest_mod
from creditguard.rules.analytics.books import DSO_PERIOD_DAYS, LOOKBACK_DAYS
from creditguard.rules.analytics.forecast import WEEKS, forecast, forecast_backtest
from creditguard.rules.analytics.insured import insured_report
from creditguard.rules.analytics.kpis import kpis
from creditguard.rules.evaluate import ENGINES, make_engine
from creditguard.rules.policy import load_policy

from creditguard.connector.cli.views import analytics as analytics_report
from creditguard.connector.cli.analytics_batch import books_of


def register(sub, date_type) -> None:
    """Add the analytics commands to the `creditguard` parser's subcommands."""
    def common(p, history=False):
        if history:
            p.add_argument("--history", required=True, metavar="FILE",
                           help="snapshot with payment history (contract 1.1)")
        else:
            p.add_argument("--snapshot", required=True, metavar="FILE", help="snapshot file (contract 1 or 1.1)")
        p.add_argument("--format", choices=("table", "json"), default="table")
        p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report with charts")
        if not history:
            p.add_argument("--jobs", type=int, metavar="N", help="processes to use (default: one per core for "
                           "large snapshots, one for small ones)")

    p = sub.add_parser("kpis", help="DSO, ageing, overdue share, days paid late, concentration, WCR")
    common(p)
    p.add_argument("--period", type=int, default=DSO_PERIOD_DAYS, metavar="DAYS",
                   help=f"the standard DSO's period (default {DSO_PERIOD_DAYS})")
    p.add_argument("--lookback", type=int, default=LOOKBACK_DAYS, metavar="DAYS",
                   help=f"history window for sales and settlements (default {LOOKBACK_DAYS})")
    p.set_defaults(func=cmd_kpis)

    p = sub.add_parser("insured", help="per buyer: open receivables, cover in force, insured part, indemnity")
    common(p)
    p.set_defaults(func=cmd_insured)

    p = sub.add_parser("forecast", help=f"expected collections per week for the next {WEEKS} weeks")
    common(p)
    p.add_argument("--backtest", action="store_true",
                   help="replay the forecast from each month-end of the history against what was paid: WAPE "
                        "against the due-date baseline and the band's coverage per week")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("backtest", help="replay the history under one or more policies and compare them")
    common(p, history=True)
    p.add_argument("--policy", action="append", metavar="FILE",
                   help="policy file, repeatable (default: the built-in seed-default)")
    p.add_argument("--from", dest="start", type=date_type, metavar="DATE",
                   help="first replay date (default: one year before the history's as_of)")
    p.add_argument("--to", dest="end", type=date_type, metavar="DATE",
                   help="last replay date (default: the history's as_of)")
    p.add_argument("--every", type=_days, default=7, metavar="Nd", help="replay step, e.g. 7d (default)")
    p.add_argument("--engine", choices=ENGINES, default="python",
                   help="rule engine (default: python, the faster for many small evaluations; both agree)")
    p.set_defaults(func=cmd_backtest)


def _days(text):
    match = re.fullmatch(r"(\d+)d?", text)
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days such as 7d")
    return int(match.group(1))


def _few_collections():
    # As cmd_evaluate: a million short-lived records and no cycles among them; collect rarely.
    gc.set_threshold(200_000, 20, 100)


def _emit(args, result, write_table, html_page) -> int:
    if args.html:
        # matplotlib is imported only when a report is asked for
        from creditguard.connector.cli.views import html as report_html
        try:
            report_html.write(args.html, html_page(result))
        except OSError as exc:
            raise BadInput(f"cannot write the report: {exc.strerror}", where=args.html) from None
    if args.format == "json":
        analytics_report.write_json(result, sys.stdout)
    else:
        write_table(result, sys.stdout)
    if args.html:
        print(f"report written to {args.html}", file=sys.stderr)
    return 0


def _page(name):
    def page(result):
        from creditguard.connector.cli.views import html as report_html
        return getattr(report_html, name)(result)
    return page


def cmd_kpis(args) -> int:
    _few_collections()
    if args.period < 1 or args.lookback < args.period:
        raise BadInput("the period must be at least 1 day and the look-back at least the period",
                       where="--period/--lookback")
    books = books_of(open_snapshot(args.snapshot), args.jobs, args.lookback, args.period)
    return _emit(args, kpis(books), analytics_report.write_kpis, _page("kpis_page"))


def cmd_insured(args) -> int:
    _few_collections()
    books = books_of(open_snapshot(args.snapshot), args.jobs)
    return _emit(args, insured_report(books), analytics_report.write_insured, _page("insured_page"))


def cmd_forecast(args) -> int:
    _few_collections()
    if args.backtest:
        books = books_of(open_snapshot(args.snapshot), args.jobs, keep_history="all")
        return _emit(args, forecast_backtest(books), analytics_report.write_forecast_backtest,
                     _page("forecast_backtest_page"))
    books = books_of(open_snapshot(args.snapshot), args.jobs, keep_history="window")
    return _emit(args, forecast(books), analytics_report.write_forecast, _page("forecast_page"))


def cmd_backtest(args) -> int:
    _few_collections()
    policies = [load_policy(path) for path in (args.policy or [None])]
    source = open_snapshot(args.history)
    as_of = source.header.as_of
    start, end = args.start or as_of - dt.timedelta(days=364), args.end or as_of
    if start > end or end > as_of:
        raise BadInput(f"the replay runs from {start} to {end}: it needs from <= to <= the history's as_of "
                       f"{as_of}", where="--from/--to")
    runs = []
    for policy in policies:
        engine, warning = make_engine(args.engine, policy)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
        runs.append(backtest_mod.policy_run(policy, engine))
    result = backtest_mod.backtest(source, runs, backtest_mod.replay_dates(start, end, args.every))
    return _emit(args, result, analytics_report.write_backtest, _page("backtest_page"))
