"""The `creditguard` command line."""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys

from mappings.errors import BadInput, CreditGuardError, TransientError
from mappings.snapshot import open_snapshot
from rules.evaluate import ENGINES, evaluate, evaluate_customer, make_engine
from rules.facts import compute_facts
from rules.policy import check_policy, load_policy

from . import batch, report


def _date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="creditguard", description="Credit Guard: credit policy as rules, "
                                     "holds the ERP enforces.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def policy_args(p):
        p.add_argument("--snapshot", required=True, metavar="FILE", help="snapshot file (contract v1)")
        p.add_argument("--policy", metavar="FILE", help="policy file (default: the built-in seed-default)")
        p.add_argument("--as-of", type=_date, metavar="DATE", help="evaluate as of this date (default: the "
                       "snapshot's as_of)")
        p.add_argument("--engine", choices=ENGINES, default="durable", help="rule engine (default: durable)")

    p = sub.add_parser("evaluate", help="evaluate the policy over a snapshot")
    policy_args(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--jobs", type=int, metavar="N", help="processes to use (default: one per core for large "
                   "snapshots, one for small ones)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("explain", help="show one customer's facts and every rule's verdict")
    policy_args(p)
    p.add_argument("customer_id", metavar="CUSTOMER_ID")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("policy", help="work with policy files")
    psub = p.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    c = psub.add_parser("check", help="validate a policy file and report every problem")
    c.add_argument("file", metavar="FILE")
    c.set_defaults(func=cmd_policy_check)
    return parser


def _prepare(args):
    policy = load_policy(args.policy)
    snapshot = open_snapshot(args.snapshot)
    engine, warning = make_engine(args.engine, policy)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return policy, snapshot, engine, args.as_of or snapshot.header.as_of


def cmd_evaluate(args) -> int:
    # A batch over a million short-lived records: the cyclic GC would rescan every live customer
    # each time a few hundred records are made. Nothing here forms cycles; collect rarely.
    gc.set_threshold(200_000, 20, 100)
    policy, snapshot, engine, as_of = _prepare(args)
    jobs = args.jobs or batch.default_jobs(snapshot)
    all_facts = batch.facts_of(snapshot, as_of, jobs)        # the whole snapshot is checked here
    blocks = batch.render(policy, engine.name, snapshot, all_facts, args.format, jobs)
    if args.format == "json":
        report.write_json_blocks([text for text, _ in blocks], policy, as_of, sys.stdout)
    else:
        counts = {status: sum(c[status] for _, c in blocks) for status in ("hold", "flag", "ok")}
        report.write_table_blocks([text for text, _ in blocks], counts, policy, as_of, sys.stdout)
    return 0


def cmd_explain(args) -> int:
    policy, snapshot, engine, as_of = _prepare(args)
    ids = [c.id for c in snapshot.customers]
    if args.customer_id not in ids:
        raise BadInput(f"no customer with id {args.customer_id!r} in the snapshot", where=args.snapshot,
                       hint="see `creditguard evaluate --snapshot FILE` for the customer ids")
    i = ids.index(args.customer_id)
    facts = compute_facts(snapshot, as_of)[i]
    customer = snapshot.customers[i]
    result = evaluate_customer(policy, engine, customer.id, customer.name, facts)
    from rules.evaluate import numeric_view, with_defaults
    fired = set(engine.fired(numeric_view(with_defaults(facts, policy.defaults), {})))
    report.write_explain(result, policy, fired, sys.stdout)
    return 0


def cmd_policy_check(args) -> int:
    policy, problems = check_policy(args.file)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{args.file}: {len(problems)} problem{'s' if len(problems) > 1 else ''}", file=sys.stderr)
        return 2
    print(f"{args.file}: policy {policy.name} v{policy.version} is valid ({len(policy.rules)} rules)")
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BadInput as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return 2
    except TransientError as exc:
        print(f"error (temporary, retry later): {exc}", file=sys.stderr)
        return 75
    except CreditGuardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
