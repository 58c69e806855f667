"""Time `creditguard kpis`, `forecast`, `insured` and a one-year weekly `backtest` against one `evaluate`
of the same history snapshot (contract 1.1), each a child process, in one run.

    python bench/analytics_bench.py [--customers 100000] [--invoices 1000000] [--repeat 1]

Targets (issue 10, item 7): kpis and forecast each <= 1.5x evaluate; the backtest <= 5x evaluate."""
from __future__ import annotations

import argparse
import subprocess
import sys

from eval_bench import OUT, BENCH, ChildFailed, best_of, find_creditguard

TARGETS = {"kpis": 1.5, "forecast": 1.5, "insured": None, "backtest": 5.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--creditguard", metavar="PATH")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    cg = find_creditguard(args.creditguard)
    if cg is None:
        print("creditguard is not installed (make .venv/.installed)", file=sys.stderr)
        return 2
    snap = OUT / f"hist-{args.customers}c-{args.invoices}i-s{args.seed}.json"
    if not snap.exists():
        subprocess.run([sys.executable, str(BENCH / "gen_snapshot.py"), "--customers", str(args.customers),
                        "--invoices", str(args.invoices), "--seed", str(args.seed), "--history", "-o", str(snap)],
                       check=True)
    commands = {
        "evaluate": [cg, "evaluate", "--snapshot", str(snap), "--format", "json"],
        "kpis": [cg, "kpis", "--snapshot", str(snap), "--format", "json"],
        "forecast": [cg, "forecast", "--snapshot", str(snap), "--format", "json"],
        "insured": [cg, "insured", "--snapshot", str(snap), "--format", "json"],
        "backtest": [cg, "backtest", "--history", str(snap), "--every", "7d", "--format", "json"],
    }
    figures = {}
    try:
        for label, cmd in commands.items():
            figures[label] = best_of(label, cmd, args.repeat)
    except ChildFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    base = figures["evaluate"][0]
    print(f"{snap.name}: {args.customers} customers, {args.invoices} invoices, best of {args.repeat}")
    print(f"{'command':<10} {'wall s':>8} {'peak MiB':>9} {'x evaluate':>11}  target")
    for label, (wall, peak) in figures.items():
        target = TARGETS.get(label)
        verdict = "" if target is None else f"<= {target}x {'met' if wall / base <= target else 'MISSED'}"
        print(f"{label:<10} {wall:>8.2f} {peak:>9.0f} {wall / base:>11.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
