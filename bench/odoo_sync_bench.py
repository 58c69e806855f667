"""Sync from a real Odoo 18: 2,000 customers, 20,000 posted invoices and 1,800 open sale orders; full sync
against the raw `search_read` floor, a full cycle, and an incremental cycle after 100 payments (issue 8 item 8).

    .venv/bin/python bench/odoo_sync_bench.py [--repeat 3] [--changes 100] [--profile] [--floor-only]

1. The bench database (`cgbench`, made once; see bench/README.md "Odoo sync"): a copy of the development
   database filled by bench/odoo_bulk.py inside Odoo (`odoo-bin shell`). `--build` makes it: it copies
   --template with the database manager (master password: --master-password / ODOO_MASTER_PASSWORD) and pipes
   odoo_bulk.py into `--odoo-python --odoo-bin shell -c --odoo-conf`. The service user must have an email
   address (the connector checks it); the bench gives it one (as admin) when it has none.
2. Every figure in one run against one server, the connector's user (ODOO_USER) over JSON-RPC:
   - floor: for each stream of mappings/odoo/*.yaml (mappings.mapper.load_mappings('odoo')), the same model,
     domain (connector.reading.domain_for, the user's company), fields (the stream's, less optional ones the
     server lacks, plus the replication key), context, page size and id-keyset paging (`id > last`, `order id
     asc`) as connector/erp/odoo/reader.py, with the server's own search_read; then the same related records with
     search_read [('id', 'in', <1000 ids>)]. Plain JSON-RPC over one keep-alive connection (http.client, json),
     logged in and the field lists fetched beforehand: no mapping, no store, no checks;
   - full sync: cycle.run.sync(config, full=True) on a fresh store (what `creditguard sync --config F
     --full` runs: login, access and fields check, read, map, store); floor and full sync alternate;
   - full cycle: cycle.run.run_cycle(config, full=True) on a fresh store (read + evaluate + plan +
     write). The first one on a new bench database writes every hold, flag and note; later ones find them in
     Odoo and write (almost) nothing: both are reported;
   - incremental cycle: --changes (100) open invoices paid with account.payment.register over JSON-RPC as the
     admin (one wizard, one payment per invoice), then run_cycle(config) on copies of the store of the last
     full cycle (each repetition sees the same payments): time and records read per stream; its stored
     records are compared with those of a new full sync.
3. A table on stdout; every figure as JSON in bench/out/odoo_sync.json. Besides wall time, the CPU seconds of
   this process and, with --server-pid (ODOO_SERVER_PID), of the Odoo server process (/proc). With --profile
   (or when the full sync is above 1.3x the floor) one more full sync runs under cProfile:
   bench/out/odoo_sync.prof and the top functions on stdout.

Connection: --url/ODOO_URL (http://127.0.0.1:8069), --db/ODOO_DB (cgbench), --user/ODOO_USER (creditguard),
--password/ODOO_PASSWORD, --admin/ODOO_ADMIN_USER (admin) and --admin-password/ODOO_ADMIN_PASSWORD for the
payments. Loopback only; every ERP call has a 120 s timeout.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import http.client
import json
import os
import shutil
import statistics
from collections import Counter
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from creditguard.connector.cycle import run as cycle_module  # noqa: E402
from syncbench import (CYCLE_PHASES, PhaseTimer, best_median, copy_store, ids_in, machine,  # noqa: E402
                        profile_full_sync, stored)
from creditguard.connector.erp import contract as erp_module  # noqa: E402
from creditguard.connector.config import load_config  # noqa: E402
from creditguard.connector.erp.reading import CHUNK, domain_for  # noqa: E402
from creditguard.mappings.mapper import load_mappings  # noqa: E402

BUILDER = REPO / 'bench' / 'odoo_bulk.py'
OUT = REPO / 'bench' / 'out'
CALL_TIMEOUT = 120.0
BUILD_TIMEOUT = 3600
TARGET = 1.3
INCREMENTAL_TARGET = 1.0


# -- a plain JSON-RPC client (the floor's) ------------------------------------------------------

class RawRpc:
    """JSON-RPC to /jsonrpc over one keep-alive HTTP connection: what a programmer writes in one sitting."""

    def __init__(self, url, timeout=CALL_TIMEOUT):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        self.calls, self.seconds, self.next_id = 0, 0.0, 0

    def call(self, service, method, *args):
        self.next_id += 1
        body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'id': self.next_id,
                           'params': {'service': service, 'method': method, 'args': args}})
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request('POST', '/jsonrpc', body, {'Content-Type': 'application/json'})
                answer = json.loads(self.connection.getresponse().read())
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()                 # the server closed an idle keep-alive connection
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        self.calls += 1
        self.seconds += time.perf_counter() - started
        if answer.get('error'):
            error = answer['error']
            raise RuntimeError(f"{service}.{method}: {(error.get('data') or {}).get('message') or error}")
        return answer['result']

    def close(self):
        self.connection.close()


class Session:
    """One user's session: `execute(model, method, *args, **kwargs)` with the user's context."""

    def __init__(self, rpc, database, login, password):
        self.rpc, self.database, self.password = rpc, database, password
        self.uid = rpc.call('common', 'login', database, login, password)
        if not self.uid:
            sys.exit(f'Odoo refused the login of {login!r} on database {database!r}')
        self.context = self.execute('res.users', 'context_get')

    def execute(self, model, method, *args, **kwargs):
        return self.rpc.call('object', 'execute_kw', self.database, self.uid, self.password, model, method,
                             list(args), kwargs)


# -- measuring helpers ----------------------------------------------------------------------------

class RpcMeter:
    """Counts the connector's RPC round trips and their time (wraps connector/erp/odoo/client.py `_post`),
    and the CPU time of this process and of the Odoo server process."""

    def __init__(self, server_pid=None):
        from creditguard.connector.erp.odoo import client as odoo_client
        self.server_pid = server_pid
        self.calls, self.seconds = 0, 0.0
        self._cpu = (0.0, 0.0)
        original = odoo_client._post
        meter = self

        def _post(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                meter.calls += 1
                meter.seconds += time.perf_counter() - started
        odoo_client._post = _post

    def reset(self, raw=None):
        self.calls, self.seconds = 0, 0.0
        if raw:
            raw.calls, raw.seconds = 0, 0.0
        self._cpu = (time.process_time(), self._server_cpu())

    def snapshot(self, raw=None):
        client, server = self._cpu
        calls, seconds = (raw.calls, raw.seconds) if raw else (self.calls, self.seconds)
        return {'calls': calls, 'rpc_s': round(seconds, 3),
                'cpu_client_s': round(time.process_time() - client, 3),
                'cpu_server_s': round(self._server_cpu() - server, 3)}

    def _server_cpu(self):
        """utime + stime of the server process (all its threads), from /proc; 0 without a pid."""
        try:
            fields = Path(f'/proc/{self.server_pid}/stat').read_text().rsplit(')', 1)[1].split()
        except (OSError, TypeError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


# -- the measurements -----------------------------------------------------------------------------

def floor_plan(session, streams, company):
    """Per stream: (model, domain, fields, context, page size, related [(name, model, head, field, fields)]),
    as connector/erp/odoo/reader.py asks for them. Fetched before the timing (fields_get for optional fields)."""
    plan = {}
    for name, stream in streams.items():
        known = {}

        def fields_of(model):
            if model not in known:
                known[model] = session.execute(model, 'fields_get', attributes=['type'])
            return known[model]
        fields = stream.fields_to_read(fields_of)
        if stream.replication_key and stream.replication_key not in fields:
            fields.append(stream.replication_key)
        context = {**session.context, 'allowed_company_ids': [company], 'active_test': False,
                   **(stream.context or {})}
        related = [(r.name, r.model, *r.source.partition('.')[::2], list(r.read)) for r in stream.related]
        plan[name] = (stream.model, domain_for(stream, company), fields, context, stream.page_size, related)
    return plan


def floor(session, plan):
    """The same records and fields as the sync, with plain paginated search_read; per stream
    {main_s, related_s, records, related}."""
    out = {}
    for name, (model, domain, fields, context, page_size, related) in plan.items():
        started = time.perf_counter()
        records, last = [], 0
        while True:
            page = session.execute(model, 'search_read', domain + [['id', '>', last]], fields=fields,
                                   limit=page_size, order='id asc', context=context)
            records += page
            if len(page) < page_size:
                break
            last = page[-1]['id']
        main = time.perf_counter() - started
        started = time.perf_counter()
        found, count = {}, 0
        for rel_name, rel_model, head, field, rel_fields in related:
            rows = found[head] if field else records
            ids = sorted({i for row in rows for i in ids_in(row.get(field or head))})
            found[rel_name] = []
            for start in range(0, len(ids), CHUNK):
                found[rel_name] += session.execute(rel_model, 'search_read', [['id', 'in', ids[start:start + CHUNK]]],
                                                   fields=rel_fields, context=session.context)
            count += len(found[rel_name])
        out[name] = {'main_s': main, 'related_s': time.perf_counter() - started, 'records': len(records),
                     'related': count}
    return out


def run(what, config, store_path, *, full, phases, meter, **kwargs):
    meter.reset()
    phases.take()
    started = time.perf_counter()
    report = what(dataclasses.replace(config, store_path=store_path), full=full, **kwargs)
    seconds = time.perf_counter() - started
    out = {'seconds': seconds, 'read': dict(report.read), 'mode': report.mode, 'phases': phases.take(),
           **meter.snapshot()}
    if what is cycle_module.run_cycle:
        out.update({'customers': report.customers, 'statuses': dict(report.statuses),
                    'decisions': dict(report.decisions), 'planned': len(report.planned),
                    'done': len(report.done), 'unchanged': report.unchanged, 'skipped': report.skipped,
                    'failed': len(report.failed),
                    'outcomes': dict(sorted(Counter(f'{w.operation.value} {o.value}' for w, o in report.done).items()))})
    return out


def pay_invoices(admin, count):
    """Register `count` payments for open customer invoices spread over the id range, with Odoo's
    account.payment.register (one wizard, one payment per invoice, every instalment paid)."""
    open_ids = admin.execute('account.move', 'search', [['move_type', '=', 'out_invoice'], ['state', '=', 'posted'],
                                                        ['payment_state', '=', 'not_paid']], order='id asc')
    if len(open_ids) < count:
        sys.exit(f'only {len(open_ids)} open invoices left to pay; rebuild the bench database')
    step = max(1, len(open_ids) // count)
    chosen = open_ids[::step][:count]
    lines = admin.execute('account.move.line', 'search', [['move_id', 'in', chosen],
                                                          ['account_type', '=', 'asset_receivable'],
                                                          ['reconciled', '=', False]])
    bank = admin.execute('account.journal', 'search', [['type', '=', 'bank']], limit=1)
    context = {**admin.context, 'active_model': 'account.move.line', 'active_ids': lines}
    wizard = admin.execute('account.payment.register', 'create',
                           {'journal_id': bank[0], 'group_payment': False, 'installments_mode': 'full'},
                           context=context)
    admin.execute('account.payment.register', 'action_create_payments', [wizard], context=context)
    states = {r['payment_state'] for r in admin.execute('account.move', 'read', chosen, ['payment_state'])}
    if not states <= {'paid', 'in_payment'}:
        sys.exit(f'paying {len(chosen)} invoices left them in states {sorted(states)}')
    return chosen, len(lines)


# -- the bench database ---------------------------------------------------------------------------

def build(args):
    """Copy the template database and fill it with odoo_bulk.py inside Odoo; returns the build seconds."""
    if not (args.master_password and args.odoo_bin and args.odoo_conf):
        sys.exit('--build needs --master-password, --odoo-bin and --odoo-conf (or ODOO_MASTER_PASSWORD, '
                 'ODOO_BIN, ODOO_CONF)')
    rpc = RawRpc(args.url, timeout=BUILD_TIMEOUT)
    if args.db in rpc.call('db', 'list'):
        sys.exit(f'database {args.db!r} exists already; drop it first or bench it as it is')
    started = time.perf_counter()
    rpc.call('db', 'duplicate_database', args.master_password, args.template, args.db)
    print(f'copied {args.template!r} to {args.db!r} in {time.perf_counter() - started:.1f} s; filling it '
          f'(log: bench/out/odoo_bulk.log)', flush=True)
    env = {**os.environ, 'BENCH_CUSTOMERS': str(args.customers), 'BENCH_INVOICES': str(args.invoices),
           'BENCH_ORDERS': str(args.orders)}
    OUT.mkdir(parents=True, exist_ok=True)
    with open(BUILDER) as script, open(OUT / 'odoo_bulk.log', 'w') as log:
        subprocess.run([args.odoo_python or sys.executable, args.odoo_bin, 'shell', '-c', args.odoo_conf,
                        '-d', args.db, '--no-http', '--logfile=', '--log-level=warn'], stdin=script, stdout=log,
                       stderr=subprocess.STDOUT, env=env, check=True, timeout=BUILD_TIMEOUT)
    return time.perf_counter() - started


def counts(session):
    def count(model, domain):
        return session.execute(model, 'search_count', domain)
    return {'customers': count('res.partner', [['parent_id', '=', False], ['customer_rank', '>', 0]]),
            'posted invoices': count('account.move', [['move_type', 'in', ['out_invoice', 'out_refund']],
                                                      ['state', '=', 'posted']]),
            'open orders': count('sale.order', [['state', '=', 'sale'], ['invoice_status', '=', 'to invoice']]),
            'quotations': count('sale.order', [['state', 'in', ['draft', 'sent']]])}


# -- report ---------------------------------------------------------------------------------------

def main(argv=None):
    environ = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--url', default=environ.get('ODOO_URL', 'http://127.0.0.1:8069'))
    parser.add_argument('--db', default=environ.get('ODOO_DB', 'cgbench'))
    parser.add_argument('--user', default=environ.get('ODOO_USER', 'creditguard'))
    parser.add_argument('--password', default=environ.get('ODOO_PASSWORD'))
    parser.add_argument('--admin', default=environ.get('ODOO_ADMIN_USER', 'admin'))
    parser.add_argument('--admin-password', default=environ.get('ODOO_ADMIN_PASSWORD'))
    parser.add_argument('--server-pid', type=int, default=int(environ.get('ODOO_SERVER_PID') or 0) or None,
                        help='the Odoo server process, for its CPU time')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--changes', type=int, default=100, help='invoices paid before the incremental cycle')
    parser.add_argument('--profile', action='store_true', help='profile a full sync even when on target')
    parser.add_argument('--floor-only', action='store_true', help='the floor alone (no connector)')
    parser.add_argument('--build', action='store_true', help='make the bench database first (see above)')
    parser.add_argument('--template', default='cg18')
    parser.add_argument('--master-password', default=environ.get('ODOO_MASTER_PASSWORD'))
    parser.add_argument('--odoo-python', default=environ.get('ODOO_PYTHON'))
    parser.add_argument('--odoo-bin', default=environ.get('ODOO_BIN'))
    parser.add_argument('--odoo-conf', default=environ.get('ODOO_CONF'))
    parser.add_argument('--customers', type=int, default=2000)
    parser.add_argument('--invoices', type=int, default=20000)
    parser.add_argument('--orders', type=int, default=1800)
    args = parser.parse_args(argv)
    if not args.password:
        sys.exit('no password for the connector user: --password or ODOO_PASSWORD')

    results = {'machine': machine(), 'date': dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds'),
               'args': {k: v for k, v in vars(args).items() if 'password' not in k}}
    if args.build:
        results['built_s'] = build(args)
        print(f'bench database built in {results["built_s"]:.0f} s', flush=True)

    rpc = RawRpc(args.url)
    session = Session(rpc, args.db, args.user, args.password)
    [user] = session.execute('res.users', 'read', [session.uid], ['company_id', 'email'])
    company = user['company_id'][0]
    if not user['email'] and not args.floor_only:
        if not args.admin_password:
            sys.exit(f'the user {args.user!r} has no email address (the connector needs one): give it one, or '
                     f'pass --admin-password so that the bench does')
        Session(rpc, args.db, args.admin, args.admin_password).execute(
            'res.users', 'write', [session.uid], {'email': f'{args.user}@bench.example'})
    results['database'] = counts(session)
    print(f'database {args.db}: ' + ', '.join(f'{v:,} {k}' for k, v in results['database'].items()), flush=True)

    streams = load_mappings('odoo')
    plan = floor_plan(session, streams, company)
    meter, phases = RpcMeter(args.server_pid), PhaseTimer(CYCLE_PHASES)
    work = Path(tempfile.mkdtemp(prefix='cg-odoo-bench-'))
    try:
        config_file = work / 'creditguard.toml'
        config_file.write_text(f'[erp]\nkind = "odoo"\nurl = "{args.url}"\ndatabase = "{args.db}"\n'
                               f'user = "{args.user}"\ntimeout = {CALL_TIMEOUT}\n\n[store]\npath = "store.sqlite"\n')
        config = load_config(config_file, {'CREDITGUARD_ERP_PASSWORD': args.password})

        floors, fulls = [], []
        for n in range(1, args.repeat + 1):
            meter.reset(rpc)
            per_stream = floor(session, plan)
            floors.append({'main_s': sum(s['main_s'] for s in per_stream.values()),
                           'related_s': sum(s['related_s'] for s in per_stream.values()), 'streams': per_stream,
                           **meter.snapshot(rpc)})
            floors[-1]['seconds'] = floors[-1]['main_s'] + floors[-1]['related_s']
            line = (f'  round {n}: floor {floors[-1]["seconds"]:.2f} s (main {floors[-1]["main_s"]:.2f}, related '
                    f'{floors[-1]["related_s"]:.2f}; {floors[-1]["calls"]} calls; CPU {floors[-1]["cpu_client_s"]:.2f}'
                    f' + {floors[-1]["cpu_server_s"]:.2f} s)')
            if not args.floor_only:
                fulls.append(run(cycle_module.sync, config, work / f'sync-{n}.sqlite', full=True, phases=phases,
                                 meter=meter))
                line += (f', full sync {fulls[-1]["seconds"]:.2f} s {fulls[-1]["phases"]}, rpc '
                         f'{fulls[-1]["rpc_s"]:.2f} s in {fulls[-1]["calls"]} calls, CPU '
                         f'{fulls[-1]["cpu_client_s"]:.2f} + {fulls[-1]["cpu_server_s"]:.2f} s')
            print(line, flush=True)
        results['floor'], results['full'] = floors, fulls
        if args.floor_only:
            return finish(results)

        cycles = []
        for n in range(1, args.repeat + 1):
            cycles.append(run(cycle_module.run_cycle, config, work / f'cycle-{n}.sqlite', full=True,
                              phases=phases, meter=meter))
            c = cycles[-1]
            print(f'  full cycle {n}: {c["seconds"]:.2f} s {c["phases"]}, {c["calls"]} calls; statuses '
                  f'{c["statuses"]}; writes planned {c["planned"]}, done {c["done"]} {c["outcomes"]}, unchanged '
                  f'{c["unchanged"]}, failed {c["failed"]}', flush=True)
        results['cycle'] = cycles
        baseline = work / f'cycle-{args.repeat}.sqlite'

        admin = Session(rpc, args.db, args.admin, args.admin_password) if args.admin_password else None
        if admin is None:
            sys.exit('--admin-password (ODOO_ADMIN_PASSWORD) is needed to register the payments')
        started = time.perf_counter()
        paid, lines = pay_invoices(admin, args.changes)
        results['changes'] = {'paid': len(paid), 'receivable_lines': lines,
                              'seconds': time.perf_counter() - started,
                              'how': 'account.payment.register over JSON-RPC as admin, one wizard, one payment each'}
        print(f'  registered {len(paid)} payments ({lines} receivable lines) in {results["changes"]["seconds"]:.1f} s',
              flush=True)

        incrementals = []
        for n in range(1, args.repeat + 1):
            target = work / f'incremental-{n}.sqlite'
            copy_store(baseline, target)
            incrementals.append(run(cycle_module.run_cycle, config, target, full=False, phases=phases, meter=meter))
            i = incrementals[-1]
            print(f'  incremental cycle {n}: {i["seconds"]:.2f} s, read {i["read"]}, {i["phases"]}, {i["calls"]} '
                  f'calls; writes planned {i["planned"]}, done {i["done"]} {i["outcomes"]}, unchanged {i["unchanged"]}',
                  flush=True)
        results['incremental'] = incrementals
        services = []           # `run --every`: the service keeps its ERP session between cycles
        for n in range(1, args.repeat + 1):
            target = work / f'service-{n}.sqlite'
            copy_store(baseline, target)
            session = erp_module.connect(config.erp)
            try:
                services.append(run(cycle_module.run_cycle, config, target, full=False, phases=phases, meter=meter,
                                    session=session))
            finally:
                session.close()
            print(f'  incremental cycle {n} in the service (session kept): {services[-1]["seconds"]:.2f} s, '
                  f'{services[-1]["calls"]} calls', flush=True)
        results['incremental_service'] = services
        again = run(cycle_module.run_cycle, config, work / f'incremental-{args.repeat}.sqlite', full=False,
                    phases=phases, meter=meter)
        results['incremental_again'] = again
        print(f'  incremental again at once: {again["seconds"]:.2f} s, read {again["read"]}', flush=True)
        check = run(cycle_module.sync, config, work / 'full-after.sqlite', full=True, phases=phases, meter=meter)
        same = stored(work / f'incremental-{args.repeat}.sqlite', streams) == stored(work / 'full-after.sqlite',
                                                                                     streams)
        results['check'] = {'incremental_equals_full': same, 'full_after_s': check['seconds']}
        print(f'  stored records after the incremental == after a new full sync: {same}', flush=True)

        floor_best, floor_median = best_median([f['seconds'] for f in floors])
        main_best, _ = best_median([f['main_s'] for f in floors])
        full_best, full_median = best_median([f['seconds'] for f in fulls])
        paired = [f['seconds'] / g['seconds'] for f, g in zip(fulls, floors)]
        unconnected_best = min(f['seconds'] - f['phases'].get('connect', 0) for f in fulls)
        results['ratio'] = {'full_over_floor': full_best / floor_best,
                            'full_less_connect_over_floor': unconnected_best / floor_best,
                            'full_over_floor_median': full_median / floor_median,
                            'full_over_main_floor': full_best / main_best, 'paired': paired,
                            'paired_median': statistics.median(paired)}
        if results['ratio']['full_over_floor'] > TARGET or args.profile:
            seconds, text = profile_full_sync(config, work / 'profiled.sqlite', 'odoo_sync.prof')
            results['profile'] = {'seconds_under_profiler': seconds, 'file': str(OUT / 'odoo_sync.prof')}
            print(f'\nfull sync under cProfile: {seconds:.2f} s (bench/out/odoo_sync.prof)\n{text}')
    finally:
        rpc.close()
        shutil.rmtree(work, ignore_errors=True)
    return finish(results)


def finish(results):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / 'odoo_sync.json').write_text(json.dumps(results, indent=2, default=str))
    print_table(results)
    return 0


def print_table(results):
    floors, fulls = results['floor'], results['full']
    first = floors[0]['streams']

    def cpu(runs):
        return (f"{statistics.median(r['cpu_client_s'] for r in runs):.2f} + "
                f"{statistics.median(r['cpu_server_s'] for r in runs):.2f}")
    rows = [('floor: main models (search_read, id keyset pages)', [f['main_s'] for f in floors], '',
             f'{sum(s["records"] for s in first.values()):,}', ''),
            ('floor: + their related records', [f['seconds'] for f in floors], cpu(floors),
             f'{sum(s["records"] + s["related"] for s in first.values()):,}', '1.00×')]
    if fulls:
        ratio, cycles, incs = results['ratio'], results['cycle'], results['incremental']
        rows += [('full sync (cycle.sync full=True, fresh store)', [f['seconds'] for f in fulls], cpu(fulls),
                  f'{sum(fulls[0]["read"].values()):,} (+ related)',
                  f'{ratio["full_over_floor"]:.2f}× best, {ratio["full_over_floor_median"]:.2f}× median '
                  f'(target ≤ {TARGET})'),
                 ('  the same less connect (login, access and field checks)',
                  [f['seconds'] - f['phases'].get('connect', 0) for f in fulls], '', '',
                  f'{ratio["full_less_connect_over_floor"]:.2f}× best'),
                 ('full cycle 1 (run_cycle full=True, fresh store)', [cycles[0]['seconds']],
                  cpu(cycles[:1]), f'{cycles[0]["done"]:,} writes done', ''),
                 ('full cycles 2.. (the ERP has cycle 1\'s writes)', [c['seconds'] for c in cycles[1:]] or
                  [cycles[0]['seconds']], cpu(cycles[1:] or cycles), f'{cycles[-1]["done"]:,} writes done', ''),
                 (f'incremental cycle after {results["changes"]["paid"]} payments', [i['seconds'] for i in incs],
                  cpu(incs), ', '.join(f'{k} {v}' for k, v in incs[0]['read'].items() if v),
                  f'target < {INCREMENTAL_TARGET:.0f} s'),
                 ('  the same less connect (login, access and field checks)',
                  [i['seconds'] - i['phases'].get('connect', 0) for i in incs], '', '', ''),
                 ('  the same in the service (run --every keeps its session)',
                  [i['seconds'] for i in results['incremental_service']], cpu(results['incremental_service']), '',
                  f'target < {INCREMENTAL_TARGET:.0f} s')]
    width = max(len(r[0]) for r in rows)
    print(f'\n{"":<{width}}  {"best s":>6}  {"median":>6}  {"CPU s client + server":>21}  records read; vs floor')
    for what, values, cpus, records, note in rows:
        best, median = best_median(values)
        print(f'{what:<{width}}  {best:6.2f}  {median:6.2f}  {cpus:>21}  '
              + '; '.join(part for part in (records, note) if part))
    print('per stream (floor, round 1): ' + ', '.join(f'{k} {v["records"]}+{v["related"]} '
                                                      f'{v["main_s"] + v["related_s"]:.2f} s' for k, v in first.items()))
    if fulls:
        print(f'full/floor per round (back to back): {", ".join(f"{r:.2f}" for r in ratio["paired"])}')
        best = min(fulls, key=lambda f: f['seconds'])
        print(f'full sync phases (best round): {best["phases"]}, {best["calls"]} RPC calls taking {best["rpc_s"]} s')
        print(f'full cycle phases (last round): {cycles[-1]["phases"]}, {cycles[-1]["calls"]} RPC calls; statuses '
              f'{cycles[-1]["statuses"]}')
        print(f'incremental phases (round 1): {incs[0]["phases"]}, {incs[0]["calls"]} RPC calls taking '
              f'{incs[0]["rpc_s"]} s; writes done {incs[0]["done"]}')
        print(f'incremental again at once: {results["incremental_again"]["seconds"]:.2f} s, read '
              f'{results["incremental_again"]["read"]}; stored records equal a new full sync: '
              f'{results["check"]["incremental_equals_full"]}')
    m = results['machine']
    print(f'machine: {m["cores"]} cores {m["cpu"]}, Python {m["python"]}, '
          f'load at start {", ".join(f"{x:.2f}" for x in m["load_at_start"])}; commit {m["commit"] or "?"}')


if __name__ == '__main__':
    sys.exit(main())
