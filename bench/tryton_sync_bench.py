"""Sync from a real Tryton 8.2: 1,000 parties and 10,000 posted invoices, full sync against the raw
`search_read` floor, and an incremental sync after 100 invoices were paid (issue 3 item 9).

    .venv/bin/python bench/tryton_sync_bench.py [--repeat 3] [--changes 100] [--profile]

1. The bench database: the embedded template (connector/testing/tryton.py) filled by bench/tryton_bulk.py,
   run in-process by the Tryton venv's python (about 7 minutes). Cached as .tryton/bench/<key>.sqlite, the key
   being a hash of tryton_bulk.py, the template key and the sizes; later runs copy it (seconds).
2. One embedded server on 127.0.0.1 serving a copy of it (`bench`), every figure taken in this one run:
   - floor: for each stream of mappings/tryton/*.yaml, the same model, domain and fields (plus the
     replication key) with TrytonClient.search_read (keyset pages of 1000), then the same related records
     with search_read [('id', 'in', <1000 ids>)]; nothing else (logged in beforehand, no mapping, no store);
   - full sync: cycle.run.sync(config, full=True) on a fresh store (what `creditguard sync --config F
     --full` runs), login and fields check included; floor and full sync alternate, best and median of N;
   - incremental: 100 invoices paid with Tryton's pay wizard (admin, JSON-RPC), then
     cycle.run.sync(config) on copies of the store of the last full sync: time and records read per
     stream; its stored records are compared with those of a new full sync.
3. A table on stdout; the figures as JSON in bench/out/tryton_sync.json. Besides wall time, each measure has
   the CPU seconds of this process and of the server process (/proc): steadier than wall time on a shared
   machine. If the full sync is above 1.3× the floor (or with --profile), one more full sync runs under
   cProfile: bench/out/tryton_sync.prof and the top functions on stdout.

Loopback only; every ERP call has a 60 s timeout, the build 30 min.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from creditguard.connector.cycle import run as cycle_module  # noqa: E402
from syncbench import (PhaseTimer, best_median, copy_store, ids_in, machine,  # noqa: E402
                        profile_full_sync, stored)
from creditguard.connector.config import load_config  # noqa: E402
from creditguard.connector.erp.reading import domain_for  # noqa: E402
from creditguard.connector.testing.tryton import USERS, EmbeddedTryton  # noqa: E402
from creditguard.connector.erp.tryton.rpc import TrytonClient  # noqa: E402
from examples.tryton.books import Books  # noqa: E402
from creditguard.mappings.mapper import load_mappings  # noqa: E402

BUILDER = REPO / 'bench' / 'tryton_bulk.py'
OUT = REPO / 'bench' / 'out'
DATABASE = 'bench'
BUILD_TIMEOUT = 1800
CALL_TIMEOUT = 60.0
TARGET = 1.3


# -- the bench database ---------------------------------------------------------------------------

def bench_database(tryton, invoices, parties):
    """The cached bench database file, built when missing; (path, build seconds or None)."""
    template = tryton.setup()
    key = hashlib.sha256(b'\0'.join([BUILDER.read_bytes(), tryton.template_key().encode(),
        f'{invoices}/{parties}'.encode()])).hexdigest()[:16]
    folder = tryton.home / 'bench'
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f'{key}.sqlite'
    if path.exists():
        return path, None
    with open(folder / 'lock', 'w') as lock:
        deadline = time.monotonic() + BUILD_TIMEOUT
        while True:                               # another bench run may be building the same file
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    sys.exit(f'another bench run still holds {folder / "lock"}')
                time.sleep(1)
        if path.exists():
            return path, None
        started = time.monotonic()
        print(f'building the bench database ({invoices} invoices, {parties} parties; about 7 minutes; '
            f'log: {folder / "build.log"})', flush=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix='build-') as tmp:
            build = Path(tmp)
            (build / 'db').mkdir()
            shutil.copyfile(template, build / 'db' / f'{DATABASE}.sqlite')
            (build / 'trytond.conf').write_text(f'[database]\nuri = sqlite://\npath = {build / "db"}\n')
            env = {k: v for k, v in os.environ.items() if not k.startswith(('TRYTON', 'VIRTUAL_ENV', 'PYTHON'))}
            with open(folder / 'build.log', 'a') as log:
                log.write(f'\n$ {tryton.bin / "python"} {BUILDER} {DATABASE} {build / "trytond.conf"} '
                    f'{invoices} {parties}\n')
                log.flush()
                try:
                    subprocess.run([str(tryton.bin / 'python'), str(BUILDER), DATABASE,
                        str(build / 'trytond.conf'), str(invoices), str(parties)], stdout=log,
                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, check=True,
                        timeout=BUILD_TIMEOUT)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
                    sys.exit(f'building the bench database failed ({error}); see {folder / "build.log"}')
            checkpoint(build / 'db' / f'{DATABASE}.sqlite')      # P5: the WAL may hold committed data
            os.replace(build / 'db' / f'{DATABASE}.sqlite', path)
        for old in sorted(folder.glob('*.sqlite'), key=lambda p: p.stat().st_mtime)[:-2]:
            old.unlink()
        return path, time.monotonic() - started


def checkpoint(database):
    connection = sqlite3.connect(database)
    try:
        connection.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    finally:
        connection.close()


def start_server(tryton, database_file):
    """An embedded server serving a copy of `database_file` as DATABASE. EmbeddedTryton.start() copies the
    template only; Tryton lists databases once (P2), so: start on an empty run dir, stop it keeping the dir,
    copy the file in, start again, load the database (P1)."""
    server = tryton.start(warm=False)
    try:
        server.stop(keep_files=True)
        shutil.copyfile(database_file, server.run / 'db' / f'{DATABASE}.sqlite')
        server.start()
        server.warm(DATABASE)
    except BaseException:
        server.stop()
        raise
    return server


# -- RPC accounting -------------------------------------------------------------------------------

class RpcMeter:
    """Counts TrytonClient._post calls and their time (request, server, answer, JSON decode), and the CPU
    seconds of this process and of the server process: on a shared machine they vary far less than wall time."""

    def __init__(self):
        self.calls, self.seconds = 0, 0.0
        self.server_pid, self._cpu = None, (0.0, 0.0)
        self._post = TrytonClient._post
        meter = self

        def _post(client, method, params, url=None):
            started = time.perf_counter()
            try:
                return meter._post(client, method, params, url)
            finally:
                meter.calls += 1
                meter.seconds += time.perf_counter() - started
        TrytonClient._post = _post

    def reset(self):
        self.calls, self.seconds = 0, 0.0
        self._cpu = (time.process_time(), self._server_cpu())

    def snapshot(self):
        client, server = self._cpu
        return {'calls': self.calls, 'rpc_s': round(self.seconds, 3),
            'cpu_client_s': round(time.process_time() - client, 3),
            'cpu_server_s': round(self._server_cpu() - server, 3)}

    def _server_cpu(self):
        """utime + stime of the server process (all its threads), from /proc; 0 where there is no /proc."""
        try:
            fields = Path(f'/proc/{self.server_pid}/stat').read_text().rsplit(')', 1)[1].split()
        except (OSError, TypeError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


# -- the measurements -----------------------------------------------------------------------------

def floor(client, streams):
    """The same records and fields as the sync, read with plain paginated search_read; per stream
    {main_s, related_s, records, related}."""
    company = client.context['company']
    out = {}
    for name, stream in streams.items():
        fields = list(stream.read)
        if stream.replication_key and stream.replication_key not in fields:
            fields.append(stream.replication_key)
        started = time.perf_counter()
        records = client.search_read(stream.model, domain_for(stream, company), fields, page_size=1000)
        main = time.perf_counter() - started
        started = time.perf_counter()
        found, related = {}, 0
        for rel in stream.related:
            head, _, field = rel.source.partition('.')
            rows = found[head] if field else records
            ids = sorted({i for row in rows for i in ids_in(row.get(field or head))})
            found[rel.name] = []
            for start in range(0, len(ids), 1000):
                found[rel.name] += client.search_read(rel.model, [('id', 'in', ids[start:start + 1000])],
                    list(rel.read), page_size=1000)
            related += len(found[rel.name])
        out[name] = {'main_s': main, 'related_s': time.perf_counter() - started, 'records': len(records),
            'related': related}
    return out


def run_sync(config, store_path, *, full, phases, meter):
    meter.reset()
    phases.take()
    started = time.perf_counter()
    report = cycle_module.sync(dataclasses.replace(config, store_path=store_path), full=full)
    seconds = time.perf_counter() - started
    return {'seconds': seconds, 'read': dict(report.read), 'mode': report.mode, 'phases': phases.take(),
        **meter.snapshot()}


def pay_invoices(admin, count):
    """Pay `count` posted invoices spread over the id range in full with Tryton's pay wizard."""
    posted = admin.search('account.invoice', [('type', '=', 'out'), ('state', '=', 'posted')], 0, None,
        [('id', 'ASC')])
    step = max(1, len(posted) // count)
    chosen = posted[::step][:count]
    books = Books(admin)
    for invoice in chosen:
        books.pay_invoice(invoice)
    states = {r['state'] for r in admin.read('account.invoice', chosen, ['state'])}
    if states != {'paid'}:
        sys.exit(f'paying {len(chosen)} invoices left them in states {sorted(states)}')
    return chosen


# -- report ---------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--invoices', type=int, default=10_000)
    parser.add_argument('--parties', type=int, default=1_000)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--changes', type=int, default=100, help='invoices paid before the incremental sync')
    parser.add_argument('--profile', action='store_true', help='profile a full sync even when on target')
    args = parser.parse_args(argv)

    results = {'machine': machine(), 'date': dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds'),
        'args': vars(args)}
    tryton = EmbeddedTryton()
    database, built = bench_database(tryton, args.invoices, args.parties)
    results['database'] = {'file': str(database), 'bytes': database.stat().st_size, 'built_s': built}
    print(f'bench database {database} ({database.stat().st_size / 2**20:.1f} MiB)'
        + (f', built in {built:.0f} s' if built else ', cached'), flush=True)

    streams = load_mappings('tryton')
    meter, phases = RpcMeter(), PhaseTimer()
    server = start_server(tryton, database)
    meter.server_pid = server.process.pid
    work = Path(tempfile.mkdtemp(prefix='cg-tryton-bench-'))
    try:
        config_file = work / 'creditguard.toml'
        config_file.write_text(f'[erp]\nkind = "tryton"\nurl = "{server.url}"\ndatabase = "{DATABASE}"\n'
            f'user = "connector"\ntimeout = {CALL_TIMEOUT}\n\n[store]\npath = "store.sqlite"\n')
        config = load_config(config_file, {'CREDITGUARD_ERP_PASSWORD': USERS['connector']})
        client = server.client(DATABASE, 'connector', timeout=CALL_TIMEOUT)

        floors, fulls = [], []
        for n in range(1, args.repeat + 1):
            meter.reset()
            per_stream = floor(client, streams)
            floors.append({'main_s': sum(s['main_s'] for s in per_stream.values()),
                'related_s': sum(s['related_s'] for s in per_stream.values()), 'streams': per_stream,
                **meter.snapshot()})
            floors[-1]['seconds'] = floors[-1]['main_s'] + floors[-1]['related_s']
            fulls.append(run_sync(config, work / f'full-{n}.sqlite', full=True, phases=phases, meter=meter))
            print(f'  round {n}: floor {floors[-1]["seconds"]:.2f} s (main {floors[-1]["main_s"]:.2f}, '
                f'related {floors[-1]["related_s"]:.2f}; CPU {floors[-1]["cpu_client_s"]:.2f} + '
                f'{floors[-1]["cpu_server_s"]:.2f} s), full sync {fulls[-1]["seconds"]:.2f} s {fulls[-1]["phases"]}, '
                f'rpc {fulls[-1]["rpc_s"]:.2f} s in {fulls[-1]["calls"]} calls, CPU {fulls[-1]["cpu_client_s"]:.2f} + '
                f'{fulls[-1]["cpu_server_s"]:.2f} s', flush=True)
        results['floor'], results['full'] = floors, fulls
        baseline = work / f'full-{args.repeat}.sqlite'

        admin = server.client(DATABASE, 'admin', timeout=CALL_TIMEOUT)
        started = time.perf_counter()
        paid = pay_invoices(admin, args.changes)
        results['changes'] = {'paid': len(paid), 'seconds': time.perf_counter() - started,
            'how': 'account.invoice.pay wizard over JSON-RPC as admin, full amount, cash'}
        print(f'  paid {len(paid)} invoices in {results["changes"]["seconds"]:.1f} s', flush=True)

        incrementals = []
        for n in range(1, args.repeat + 1):
            target = work / f'incremental-{n}.sqlite'
            copy_store(baseline, target)
            incrementals.append(run_sync(config, target, full=False, phases=phases, meter=meter))
            print(f'  incremental {n}: {incrementals[-1]["seconds"]:.2f} s, read {incrementals[-1]["read"]}',
                flush=True)
        results['incremental'] = incrementals
        # right after, on the same store: what the 120 s overlap (connector/erp/tryton/reader.py OVERLAP) re-reads
        again = run_sync(config, work / f'incremental-{args.repeat}.sqlite', full=False, phases=phases,
            meter=meter)
        results['incremental_again'] = again
        print(f'  incremental again at once: {again["seconds"]:.2f} s, read {again["read"]}', flush=True)
        check = run_sync(config, work / 'full-after.sqlite', full=True, phases=phases, meter=meter)
        same = stored(work / f'incremental-{args.repeat}.sqlite', streams) == stored(work / 'full-after.sqlite',
            streams)
        results['check'] = {'incremental_equals_full': same, 'full_after_s': check['seconds']}
        print(f'  stored records after the incremental == after a new full sync: {same}', flush=True)

        floor_best, floor_median = best_median([f['seconds'] for f in floors])
        main_best, _ = best_median([f['main_s'] for f in floors])
        full_best, full_median = best_median([f['seconds'] for f in fulls])
        ratio = full_best / floor_best
        paired = [f['seconds'] / g['seconds'] for f, g in zip(fulls, floors)]     # same round, back to back
        results['ratio'] = {'full_over_floor': ratio, 'full_over_floor_median': full_median / floor_median,
            'full_over_main_floor': full_best / main_best, 'paired': paired,
            'paired_median': statistics.median(paired)}
        if ratio > TARGET or args.profile:
            seconds, text = profile_full_sync(config, work / 'profiled.sqlite', 'tryton_sync.prof')
            results['profile'] = {'seconds_under_profiler': seconds, 'file': str(OUT / 'tryton_sync.prof')}
            print(f'\nfull sync under cProfile: {seconds:.2f} s (bench/out/tryton_sync.prof)\n{text}')
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / 'tryton_sync.json').write_text(json.dumps(results, indent=2, default=str))
    print_table(results)
    return 0


def print_table(results):
    floors, fulls, incs = results['floor'], results['full'], results['incremental']
    ratio = results['ratio']
    first = floors[0]['streams']

    def cpu(runs):
        return (f"{statistics.median(r['cpu_client_s'] for r in runs):.2f} + "
            f"{statistics.median(r['cpu_server_s'] for r in runs):.2f}")
    rows = [
        ('floor: main models (search_read, pages of 1000)', [f['main_s'] for f in floors], '',
            f'{sum(s["records"] for s in first.values()):,}', ''),
        ('floor: + their related records', [f['seconds'] for f in floors], cpu(floors),
            f'{sum(s["records"] + s["related"] for s in first.values()):,}', '1.00×'),
        ('full sync (cycle.sync full=True, fresh store)', [f['seconds'] for f in fulls], cpu(fulls),
            f'{sum(fulls[0]["read"].values()):,} (+ related)',
            f'{ratio["full_over_floor"]:.2f}× best, {ratio["full_over_floor_median"]:.2f}× median'),
        (f'incremental after {results["changes"]["paid"]} invoices paid', [i['seconds'] for i in incs], cpu(incs),
            ', '.join(f'{k} {v}' for k, v in incs[0]['read'].items() if v), ''),
    ]
    width = max(len(r[0]) for r in rows)
    print(f'\n{"":<{width}}  {"best s":>6}  {"median":>6}  {"CPU s client + server":>21}  records read; vs floor')
    for what, values, cpus, records, note in rows:
        best, median = best_median(values)
        print(f'{what:<{width}}  {best:6.2f}  {median:6.2f}  {cpus:>21}  {records}{"; " + note if note else ""}')
    print(f'full/floor per round (back to back): {", ".join(f"{r:.2f}" for r in ratio["paired"])}')
    print('per stream (floor, round 1): ' + ', '.join(f'{k} {v["records"]}+{v["related"]} '
        f'{v["main_s"] + v["related_s"]:.2f} s' for k, v in first.items()))
    best = min(fulls, key=lambda f: f['seconds'])
    print(f'full sync phases (best round): {best["phases"]}, {best["calls"]} RPC calls taking {best["rpc_s"]} s')
    print(f'incremental phases (round 1): {incs[0]["phases"]}, {incs[0]["calls"]} RPC calls taking '
        f'{incs[0]["rpc_s"]} s')
    print(f'incremental again at once: read {results["incremental_again"]["read"]}; '
        f'stored records equal a new full sync: {results["check"]["incremental_equals_full"]}')
    m = results['machine']
    print(f'machine: {m["cores"]} cores {m["cpu"]}, Python {m["python"]}, '
        f'load at start {", ".join(f"{x:.2f}" for x in m["load_at_start"])}; commit {m["commit"] or "?"}')


if __name__ == '__main__':
    sys.exit(main())
