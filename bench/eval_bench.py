"""Time `creditguard evaluate` against the plain-Python floor on one synthetic snapshot (README, "Benchmarks").

    python bench/eval_bench.py [--customers 100000 --invoices 1000000] [--file FILE]
                               [--engine durable --engine python] [--repeat N]

Generates the snapshot when the file is missing, then runs each command as a child process and reports its wall
time and peak RSS (from os.wait4 on the child), best wall time of --repeat runs, worst peak. Exit 1 if a child fails.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
VENV_SCRIPT = BENCH.parent / ".venv" / "bin" / "creditguard"
TARGET_TIME_RATIO = 1.5
TARGET_PEAK_MIB = 1.5 * 1024


class ChildFailed(Exception):
    pass


def run(label: str, cmd: list[str], stdout_path: Path | None) -> tuple[float, float]:
    """Run cmd to completion; return (wall seconds, peak RSS MiB) of the child alone."""
    err_path = OUT / f"{label}.stderr"
    with open(err_path, "wb") as err, open(stdout_path or os.devnull, "wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = err_path.read_text(errors="replace")[-2000:]
        raise ChildFailed(f"{label} failed with exit code {child.returncode}: {' '.join(cmd)}\n{tail}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def best_of(label: str, cmd: list[str], repeat: int, stdout_path: Path | None = None) -> tuple[float, float]:
    runs = []
    for i in range(repeat):
        wall, peak = run(label, cmd, stdout_path)
        print(f"  {label} run {i + 1}/{repeat}: {wall:.2f} s, {peak:.0f} MiB", file=sys.stderr)
        runs.append((wall, peak))
    return min(w for w, _ in runs), max(p for _, p in runs)


def find_creditguard(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    return shutil.which("creditguard") or (str(VENV_SCRIPT) if VENV_SCRIPT.exists() else None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=None, help="default: invoices / 5 (as gen_snapshot.py)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="snapshot file (default: bench/out/snap-<C>c-<I>i-s<seed>.json)")
    parser.add_argument("--engine", action="append", choices=["durable", "python"],
                        help="pass --engine to creditguard; repeat to measure both (default: its default engine)")
    parser.add_argument("--creditguard", help="path of the creditguard script (default: PATH, then .venv/bin)")
    parser.add_argument("--floor-only", action="store_true", help="measure the floor only")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    snapshot = args.file or OUT / f"snap-{args.customers}c-{args.invoices}i-s{args.seed}.json"

    creditguard = None if args.floor_only else find_creditguard(args.creditguard)
    if not args.floor_only and not creditguard:
        print("eval_bench: no creditguard script on PATH or in .venv/bin (install the package, pass --creditguard, "
              "or use --floor-only)", file=sys.stderr)
        return 2

    if not snapshot.exists():
        gen = [sys.executable, str(BENCH / "gen_snapshot.py"), "--customers", str(args.customers),
               "--invoices", str(args.invoices), "--seed", str(args.seed), "-o", str(snapshot)]
        if args.orders is not None:
            gen += ["--orders", str(args.orders)]
        try:
            wall, peak = run("generate", gen, None)
        except ChildFailed as e:
            print(e, file=sys.stderr)
            return 1
        print(f"generated {snapshot} in {wall:.1f} s, peak {peak:.0f} MiB")

    runs: list[tuple[str, list[str], Path | None]] = [
        ("floor", [sys.executable, str(BENCH / "floor.py"), str(snapshot)], OUT / "floor.stdout")]
    if creditguard:
        for engine in args.engine or [None]:
            cmd = [creditguard, "evaluate", "--snapshot", str(snapshot), "--format", "json"]
            cmd += ["--engine", engine] if engine else []
            runs.append((f"creditguard-{engine or 'default'}", cmd, None))

    results = []
    try:
        for label, cmd, stdout_path in runs:
            wall, peak = best_of(label, cmd, args.repeat, stdout_path)
            results.append((label, wall, peak))
    except ChildFailed as e:
        print(e, file=sys.stderr)
        return 1

    size_mib = snapshot.stat().st_size / 2**20
    print(f"snapshot {snapshot} ({size_mib:.0f} MiB), best of {args.repeat}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    print(f"floor: {(OUT / 'floor.stdout').read_text().strip()}")
    floor_wall = results[0][1]
    print(f"{'run':<24}{'wall s':>9}{'peak MiB':>10}{'× floor':>9}   targets: ≤ {TARGET_TIME_RATIO}× floor, "
          f"≤ {TARGET_PEAK_MIB:.0f} MiB")
    for label, wall, peak in results:
        verdict = ""
        if label != "floor":
            ok_time = wall <= TARGET_TIME_RATIO * floor_wall
            ok_peak = peak <= TARGET_PEAK_MIB
            verdict = f"   time {'ok' if ok_time else 'MISS'}, memory {'ok' if ok_peak else 'MISS'}"
        print(f"{label:<24}{wall:>9.2f}{peak:>10.0f}{wall / floor_wall:>9.2f}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
