"""What the ERP sync benchmarks share (tryton_sync_bench.py, odoo_sync_bench.py): timing the phases of a
cycle, copying and comparing stores, profiling a full sync, best and median, the machine's description."""
from __future__ import annotations

import cProfile
import dataclasses
import io
import json
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path

from creditguard.connector.cycle import run as cycle_module
from creditguard.connector.cycle.store import Store

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / 'bench' / 'out'
SYNC_PHASES = ('connect', 'read_changes', 'save_changes')
CYCLE_PHASES = ('connect', 'read_changes', '_decide', '_record_plan', '_write', '_finish', 'save_changes')


class PhaseTimer:
    """Times the phases of cycle.run.sync / run_cycle by wrapping the names they call (no connector change)."""

    def __init__(self, names=SYNC_PHASES):
        self.seconds = {}
        for name in names:
            setattr(cycle_module, name, self._wrap(name, getattr(cycle_module, name)))

    def _wrap(self, name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        return timed

    def take(self):
        out, self.seconds = {k.lstrip('_'): round(v, 3) for k, v in self.seconds.items()}, {}
        return out


def ids_in(value):
    """The record ids in a relation value: an id, a list of ids, or a many2one [id, name]."""
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def copy_store(source, target):
    """A consistent copy of a store (SQLite in WAL mode) through the backup API, with the ERP memo beside it
    (connector/cycle/run.py erp_memo: a cron's one-shot cycles find the one their last cycle left)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    memo = Path(f"{source}.erp.json")
    if memo.exists():
        shutil.copyfile(memo, f"{target}.erp.json")


def stored(store_path, streams):
    with Store(store_path) as store:
        return {name: sorted(json.dumps(r, sort_keys=True) for r in store.records(name)) for name in streams}


def profile_full_sync(config, store_path, profile_name, top=30):
    """One full sync under cProfile: its seconds and the top functions; the profile in bench/out/<profile_name>."""
    profiler = cProfile.Profile()
    profiler.enable()
    started = time.perf_counter()
    cycle_module.sync(dataclasses.replace(config, store_path=store_path), full=True)
    seconds = time.perf_counter() - started
    profiler.disable()
    OUT.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(OUT / profile_name)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats('tottime').print_stats(top)
    stats.sort_stats('cumulative').print_stats(top)
    return seconds, text.getvalue()


def best_median(values):
    return min(values), statistics.median(values)


def machine():
    model = ''
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(['git', '-C', str(REPO), 'rev-parse', '--short', 'HEAD'], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ''
    return {'cores': os.cpu_count(), 'cpu': model, 'python': platform.python_version(),
            'system': f'{platform.system()} {platform.release()}', 'load_at_start': os.getloadavg(),
            'commit': commit}
