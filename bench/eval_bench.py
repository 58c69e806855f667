"""Time `creditguard evaluate` against the plain-Python floor, and against another commit, in paired runs.

    python bench/eval_bench.py [--customers 100000 --invoices 1000000] [--file FILE] [--jobs N] [--core C]
                               [--pairs 5] [--vs REF] [--engine E] [--write]

Generates the snapshot when the file is missing. Then, round after round, runs every contender once as a child
process — the floor (bench/floor.py), this checkout's `evaluate`, and with --vs the same command from a git
worktree of REF — in an order that rotates each round, so that what the machine does meanwhile falls on all of
them alike. Reported per contender: the median wall and CPU time (user + system, from os.wait4 on the child) and
the worst peak RSS; per pair, the ratio of each round's times, summarised by its median and range (the figure to
quote), beside the ratio of the medians. With --jobs 1 every child is pinned to one core (taskset, --core).
Exit 1 if a child fails, 2 if the checkout or REF cannot be run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
TARGET_FLOOR_RATIO = {1: 1.0, 2: 0.6}      # issue 17: evaluate / floor, by jobs
TARGET_PEAK_MIB = 1024


class ChildFailed(Exception):
    pass


class Contender:
    """One command measured round after round."""

    def __init__(self, label, cmd, cwd=None, env=None, stdout=None):
        self.label, self.cmd, self.cwd, self.env, self.stdout = label, cmd, cwd, env, stdout
        self.walls, self.cpus, self.peaks = [], [], []

    def run(self, pin: str | None) -> None:
        cmd = (["taskset", "-c", pin] if pin is not None else []) + self.cmd
        err_path = OUT / f"{self.label}.stderr"
        with open(err_path, "wb") as err, open(self.stdout or os.devnull, "wb") as out:
            started = time.perf_counter()
            child = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=self.cwd, env=self.env)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            tail = err_path.read_text(errors="replace")[-2000:]
            raise ChildFailed(f"{self.label} failed with exit code {code}: {' '.join(cmd)}\n{tail}")
        self.walls.append(wall)
        self.cpus.append(usage.ru_utime + usage.ru_stime)
        self.peaks.append(usage.ru_maxrss / 1024)       # KiB on Linux


def python_of() -> str:
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def evaluate_cmd(python, root: Path, snapshot, engine, jobs) -> list[str]:
    """`creditguard evaluate` of the checkout at `root` (see checkout_env)."""
    module = "creditguard.connector.cli" if namespaced(root) else "connector.cli"     # before the namespace
    cmd = [python, "-m", module, "evaluate", "--snapshot", str(snapshot), "--format", "json"]
    cmd += ["--engine", engine] if engine else []
    cmd += ["--jobs", str(jobs)] if jobs else []
    return cmd


def namespaced(root: Path) -> bool:
    """Whether the checkout installs as `creditguard.connector` (since the house moved connector/ into rooms)."""
    return (root / "connector" / "cli" / "__main__.py").exists()


def checkout_env(root: Path) -> dict:
    """The environment that makes evaluate_cmd run the code of the checkout at `root`, whatever is installed.

    A checkout installs its folders as `creditguard.connector`, `creditguard.rules`, ...: a folder holding only a
    link `creditguard` -> `root` makes that a namespace package on PYTHONPATH, found before the installed one.
    An older checkout imported `connector` from its top."""
    path = root
    if namespaced(root):
        path = OUT / "ns" / root.name
        link = path / "creditguard"
        path.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink() or link.resolve() != root.resolve():
            link.unlink(missing_ok=True)
            link.symlink_to(root.resolve(), target_is_directory=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(path) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def worktree(ref: str) -> Path:
    """A detached worktree of `ref` under bench/out (made once per commit)."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", f"{ref}^{{commit}}"], check=True,
                         capture_output=True, text=True).stdout.strip()
    path = OUT / f"vs-{sha[:12]}"
    if not (path / "connector").is_dir():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--force", "--detach", str(path), sha],
                       check=True, capture_output=True, text=True)
    return path


def ratio_line(name, a: Contender, b: Contender, times: str) -> str:
    mine, theirs = getattr(a, times), getattr(b, times)
    per_round = sorted(x / y for x, y in zip(mine, theirs))
    return (f"{name:<28}{statistics.median(per_round):>8.3f}  range {per_round[0]:.3f}–{per_round[-1]:.3f}"
            f"   ratio of medians {statistics.median(mine) / statistics.median(theirs):.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=None, help="default: invoices / 5 (as gen_snapshot.py)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="snapshot file (default: bench/out/snap-<C>c-<I>i-s<seed>.json)")
    parser.add_argument("--engine", choices=["durable", "python"], help="pass --engine (default: creditguard's)")
    parser.add_argument("--jobs", type=int, default=None, help="pass --jobs (default: creditguard's own choice)")
    parser.add_argument("--core", default="1", help="the core children are pinned to with --jobs 1 (default 1)")
    parser.add_argument("--pairs", type=int, default=5, help="rounds, each running every contender once (default 5)")
    parser.add_argument("--vs", metavar="REF", help="also run `evaluate` of this commit (a git worktree of it)")
    parser.add_argument("--write", action="store_true",
                        help="the floor writes its per-customer JSON (--json) and evaluate's JSON goes to a file, "
                             "instead of both to /dev/null")
    parser.add_argument("--no-floor", action="store_true", help="leave the floor out (with --vs)")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    snapshot = (args.file or OUT / f"snap-{args.customers}c-{args.invoices}i-s{args.seed}.json").resolve()
    python = python_of()

    if not snapshot.exists():
        gen = Contender("generate", [sys.executable, str(BENCH / "gen_snapshot.py"), "--customers",
                                     str(args.customers), "--invoices", str(args.invoices), "--seed", str(args.seed),
                                     "-o", str(snapshot)] + (["--orders", str(args.orders)] if args.orders else []))
        gen.run(None)
        print(f"generated {snapshot} in {gen.walls[0]:.1f} s")

    contenders = []
    if not args.no_floor:
        floor_cmd = [sys.executable, str(BENCH / "floor.py"), str(snapshot)]
        contenders.append(Contender("floor", floor_cmd + (["--json", str(OUT / "floor.json")] if args.write else [])))
    head = Contender("evaluate", evaluate_cmd(python, REPO, snapshot, args.engine, args.jobs), cwd=REPO,
                     env=checkout_env(REPO), stdout=OUT / "evaluate.json" if args.write else None)
    contenders.append(head)
    ref = None
    if args.vs:
        try:
            root = worktree(args.vs)
        except subprocess.CalledProcessError as exc:
            print(f"eval_bench: cannot check out {args.vs}: {exc.stderr.strip()}", file=sys.stderr)
            return 2
        ref = Contender(f"evaluate@{args.vs}", evaluate_cmd(python, root, snapshot, args.engine, args.jobs), cwd=root,
                        env=checkout_env(root), stdout=OUT / "evaluate-ref.json" if args.write else None)
        contenders.append(ref)
    if len(contenders) < 2:
        print("eval_bench: nothing to compare (--no-floor needs --vs)", file=sys.stderr)
        return 2

    pin = args.core if args.jobs == 1 else None
    if pin is not None and not shutil.which("taskset"):
        print("eval_bench: --jobs 1 pins to a core with taskset, which is not installed", file=sys.stderr)
        return 2
    try:
        for n in range(args.pairs):
            turn = n % len(contenders)
            for contender in contenders[turn:] + contenders[:turn]:
                contender.run(pin)
                print(f"  round {n + 1}/{args.pairs} {contender.label}: {contender.walls[-1]:.2f} s wall, "
                      f"{contender.cpus[-1]:.2f} s CPU, {contender.peaks[-1]:.0f} MiB", file=sys.stderr)
    except ChildFailed as e:
        print(e, file=sys.stderr)
        return 1

    load = os.getloadavg()
    print(f"snapshot {snapshot} ({snapshot.stat().st_size / 2**20:.0f} MiB); {args.pairs} rounds, order rotated; "
          f"jobs {args.jobs or 'default'}{f', pinned to core {pin}' if pin else ''}; engine {args.engine or 'default'}"
          f"{'; outputs written' if args.write else ''}; python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load {load[0]:.2f} at the end")
    print(f"{'contender':<28}{'wall s':>8}{'CPU s':>8}{'peak MiB':>10}   (medians; peak: the worst)")
    for c in contenders:
        print(f"{c.label:<28}{statistics.median(c.walls):>8.2f}{statistics.median(c.cpus):>8.2f}"
              f"{max(c.peaks):>10.0f}")
    print(f"{'ratio (median per round)':<28}")
    if not args.no_floor:
        floor = contenders[0]
        print(ratio_line("evaluate / floor, wall", head, floor, "walls"))
        print(ratio_line("evaluate / floor, CPU", head, floor, "cpus"))
        target = TARGET_FLOOR_RATIO.get(args.jobs or 0)
        if target:
            got = statistics.median(sorted(x / y for x, y in zip(head.walls, floor.walls)))
            print(f"target (jobs {args.jobs}): ≤ {target}× the floor's wall time: {'met' if got <= target else 'MISSED'}; "
                  f"peak ≤ {TARGET_PEAK_MIB} MiB: {'met' if max(head.peaks) <= TARGET_PEAK_MIB else 'MISSED'}")
    if ref:
        print(ratio_line(f"evaluate / {args.vs}, wall", head, ref, "walls"))
        print(ratio_line(f"evaluate / {args.vs}, CPU", head, ref, "cpus"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
