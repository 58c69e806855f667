"""The `creditguard` command line."""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import signal
import sys
import time
from pathlib import Path

from creditguard.mappings import clock
from creditguard.mappings.errors import BadInput, CreditGuardError, TransientError, did_you_mean
from creditguard.mappings.snapshot import open_snapshot
from creditguard.mappings.vocab import Status
from creditguard.rules.evaluate import ENGINES, evaluate_customer, make_engine
from creditguard.rules.facts import compute_facts
from creditguard.rules.policy import check_policy, load_policy

from creditguard.connector.cli import analytics as analytics_cli, batch, insurer as insurer_cli
from creditguard.connector.cli.views import evaluation as report, terminal
from creditguard.connector.config import load_config
from creditguard.connector.cycle.store import open_store
from creditguard.connector.cycle.sync import build_snapshot

# The ERP cycle (and the HTTP clients under it) and the insurer simulator are imported by the commands that
# use them, so that `evaluate` and `explain` start without them.


def _date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


class Parser(argparse.ArgumentParser):
    """argparse's parser, suggesting the closest command or choice to a misspelt one."""

    def error(self, message):
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if wrong:
            hint = did_you_mean(wrong.group(1), re.findall(r"'([^']*)'", wrong.group(2)))
            if hint:
                message = f"{message}; {hint}"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="creditguard", description="Credit Guard: credit policy as rules, "
                                     "holds the ERP enforces.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def policy_args(p):
        p.add_argument("--snapshot", required=True, metavar="FILE", help="snapshot file (contract v1); - reads "
                       "standard input")
        p.add_argument("--policy", metavar="FILE", help="policy file, or the name of a built-in policy "
                       "(default: seed-default)")
        p.add_argument("--as-of", type=_date, metavar="DATE", help="evaluate as of this date (default: the "
                       "snapshot's as_of)")
        p.add_argument("--engine", choices=ENGINES, default="durable", help="rule engine (default: durable)")

    p = sub.add_parser("evaluate", help="evaluate the policy over a snapshot")
    policy_args(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--jobs", type=_count_of("processes"), metavar="N", help="processes to use (default: one per core for "
                   "large snapshots, one for small ones)")
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

    def config_arg(p):
        p.add_argument("--config", required=True, metavar="FILE", help="connector config (TOML)")

    p = sub.add_parser("sync", help="read the ERP into the local store (only what changed since the last sync)")
    config_arg(p)
    p.add_argument("--full", action="store_true", help="read everything again, not only the changes")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("run", help="sync, evaluate the policy and write holds and notes back to the ERP")
    config_arg(p)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--once", action="store_true", help="run one cycle and exit")
    when.add_argument("--every", type=_count_of("seconds"), metavar="SECONDS", help="run a cycle every SECONDS until stopped")
    p.add_argument("--dry-run", action="store_true", help="plan the writes and show them, write nothing")
    p.add_argument("--full", action="store_true", help="read everything again, not only the changes")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="run cycles on a schedule and re-check a customer within a second of an ERP "
                       "change (webhook; see README)")
    config_arg(p)
    p.add_argument("--address", metavar="HOST:PORT", help="where to listen (default: [serve] address, else "
                   "127.0.0.1:8765)")
    p.add_argument("--every", type=_count_of("seconds"), metavar="SECONDS", help="seconds between scheduled "
                   "cycles over every customer (default: [serve] every, else 300)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("holds", help="the customers on hold, with the reasons (from the store)")
    config_arg(p)
    p.set_defaults(func=cmd_holds)

    p = sub.add_parser("snapshot", help="export the synced records as a snapshot (contract v1)")
    config_arg(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the snapshot; - writes "
                   "it to standard output")
    p.add_argument("--as-of", type=_date, metavar="DATE", help="the snapshot's date (default: today)")
    p.set_defaults(func=cmd_snapshot)

    p = sub.add_parser("insurer-sim", help="run the simulated credit insurer on 127.0.0.1 (for tests and demos)")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765; 0 picks a free one)")
    p.add_argument("--scenario", required=True, metavar="FILE", help="scenario file (examples/insurer/scenario.yaml)")
    p.add_argument("--state", metavar="FILE", help="file keeping the simulator's requests across restarts")
    p.set_defaults(func=cmd_insurer_sim)

    analytics_cli.register(sub, _date)
    insurer_cli.add_commands(sub, config_arg)
    return parser


def _count_of(what):
    """An argparse type: a whole number of `what`, 1 or more."""
    def count(text):
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {what} (1 or more)")
        return value
    return count


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
    snapshot.release()                                       # its bytes are not needed to evaluate
    blocks = batch.render(policy, engine.name, snapshot, all_facts, args.format, jobs,
                          report.TableStyle.for_stream(sys.stdout))
    if args.format == "json":
        report.write_json_blocks([text for text, _ in blocks], policy, as_of, sys.stdout)
    else:
        counts = {status: sum(c[status] for _, c in blocks) for status in Status.order()}
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
    report.write_explain(result, policy, set(result.fired), sys.stdout)
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


def cmd_sync(args) -> int:
    from creditguard.connector.cycle import run as cycle
    from creditguard.connector.cli.views import cycle as cycle_view
    config = load_config(args.config)
    progress = cycle_view.Progress()
    try:
        result = cycle.sync(config, full=args.full, progress=progress)
    finally:
        progress.done()
    cycle_view.write_sync(result, sys.stdout)
    return 0


def cmd_run(args) -> int:
    config = load_config(args.config)
    if args.once:
        _run_once(config, args)
        return 0
    _loop(config, args)
    return 0


MAX_BACKOFF = 600       # seconds: the longest wait between cycles while the ERP stays unreachable
SESSION_AGE = 3600      # seconds a service keeps one ERP session (log-in, access and fields checked) before renewing


def _loop(config, args):
    """A cycle every args.every seconds, on one ERP session renewed every SESSION_AGE seconds and after any
    error. An unreachable ERP is waited for, longer each time (up to MAX_BACKOFF); an error a person must fix
    stops the service at the first cycle, later it is logged and the next tick tries again (someone may be
    fixing the ERP)."""
    first, failures, session, opened = True, 0, None, 0.0
    try:
        while True:
            started = time.monotonic()
            wait = args.every
            try:
                if session is None or started - opened > SESSION_AGE:
                    session = _renew(session, config)
                    opened = started
                _run_once(config, args, session)
                failures = 0
            except TransientError as exc:
                session = _renew(session, None)
                failures += 1
                wait = backoff(args.every, failures)
                print(f"{clock.iso()} temporary error, retrying in {wait} s: {exc}", file=sys.stderr)
            except BadInput as exc:
                session = _renew(session, None)
                if first:
                    raise
                print(f"{clock.iso()} error, retrying in {args.every} s: {exc.render()}", file=sys.stderr)
            first = False
            sys.stdout.flush()
            time.sleep(max(0.0, wait - (time.monotonic() - started)))
    finally:
        _renew(session, None)


def _renew(session, config):
    """Close `session`; open a new one when `config` is given."""
    from creditguard.connector.cycle import run as cycle
    if session is not None:
        session.close()
    return cycle.connect(config.erp) if config is not None else None


def backoff(every: int, failures: int) -> int:
    """Seconds to wait after the n-th failure in a row: every, 2 x every, 4 x every ..., at most MAX_BACKOFF
    (never less than every)."""
    return max(every, min(every * 2 ** (failures - 1), MAX_BACKOFF))


def _run_once(config, args, session=None):
    from creditguard.connector.cycle import run as cycle
    from creditguard.connector.cli.views import cycle as cycle_view
    progress = cycle_view.Progress()
    try:
        result = cycle.run_cycle(config, full=args.full, dry_run=args.dry_run, progress=progress, session=session)
    finally:
        progress.done()
    cycle_view.write_cycle(result, sys.stdout)


def cmd_serve(args) -> int:
    import logging

    from creditguard.connector.cycle import run as cycle
    from creditguard.connector.cycle.serve import Service
    config = load_config(args.config)
    settings = config.serve
    secret = os.environ.get("CREDITGUARD_SERVE_SECRET") or settings.secret
    if not secret:
        raise BadInput("no shared secret for the ERP's change notices", where=f"{config.source}: [serve] secret",
                       hint="set secret = \"...\" under [serve] (the same as in the ERP add-on), or the "
                            "environment variable CREDITGUARD_SERVE_SECRET")
    host, port = settings.host, settings.port
    if args.address:
        host, _, text = args.address.rpartition(":")
        if not host or not text.isdigit():
            raise BadInput(f"{args.address!r} is not HOST:PORT", where="--address", hint="e.g. 127.0.0.1:8765")
        port = int(text)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        cycle.connect(config.erp).close()    # a wrong password, database or mapping stops the service here (2)
    except TransientError as exc:            # an ERP that is down is waited for: the worker retries
        print(f"{clock.iso()} the ERP is not reachable yet ({exc}); retrying", file=sys.stderr, flush=True)
    try:
        service = Service(config, secret=secret, host=host, port=port, every=args.every or settings.every)
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror}", where="[serve] address",
                       hint="choose a free port with --address HOST:PORT") from None
    service.start()
    print(f"{clock.iso()} serving on http://{host}:{service.address[1]} (POST /webhook, GET /health, GET /metrics); "
          f"a cycle over every customer every {args.every or settings.every:g} s", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        service.stop()


def cmd_holds(args) -> int:
    from creditguard.connector.cli.views import cycle as cycle_view
    config = load_config(args.config)
    with open_store(config) as store:
        holds = store.holds()
        ours = {h["customer_id"] for h in holds}
        elsewhere = [c for c in store.records("customers") if c.get("on_hold") and c["id"] not in ours]
    cycle_view.write_holds(holds, elsewhere, sys.stdout)
    return 0


def cmd_snapshot(args) -> int:
    config = load_config(args.config)
    with open_store(config) as store:
        records = {name: store.records(name) for name in ("company", "currencies", "customers", "invoices", "orders")}
    snapshot = build_snapshot(records, as_of=args.as_of or dt.date.today(), policy_terms=config.policy_terms,
                              country_risk=config.country_risk, source=str(config.store_path))
    text = snapshot.model_dump_json(indent=1, exclude_none=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    write_whole(args.output, text)
    print(f"{args.output}: snapshot as of {snapshot.as_of.isoformat()} with "
          f"{terminal.count(len(snapshot.customers), 'customer')}, {terminal.count(len(snapshot.invoices), 'invoice')}, "
          f"{terminal.count(len(snapshot.orders), 'order')}")
    return 0


def cmd_insurer_sim(args) -> int:
    """Serve the simulated insurer until Ctrl-C or SIGTERM (main() turns either into its exit code)."""
    from creditguard.connector.insurer.simulator import Simulator, load_scenario
    simulator = Simulator(load_scenario(args.scenario), state_path=args.state, port=args.port)
    try:
        server = simulator.start().server
    except OSError as exc:
        raise BadInput(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", where="--port") from None
    print(f"insurer simulator on {server.url} (scenario {args.scenario}, clock {simulator.now().isoformat()}); "
          "Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        simulator.stop()               # the state file is kept


def write_whole(path, text) -> None:
    """Write a file whole or not at all: into a temporary file beside it, renamed over it at the end."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        raise BadInput(f"cannot write the file: {exc.strerror}", where=str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)


class Terminated(BaseException):
    """SIGTERM arrived: the command ends as it does on Ctrl-C (store transactions roll back, workers stop)."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    """Exit codes: 0 done, 2 bad input, 75 temporary failure, 130 interrupted (Ctrl-C), 143 terminated."""
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"{clock.iso()} interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{clock.iso()} terminated", file=sys.stderr)
        return 143
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
    finally:
        signal.signal(signal.SIGTERM, previous)

