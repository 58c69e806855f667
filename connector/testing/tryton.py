"""An embedded real Tryton 8.2 on SQLite: own virtualenv, cached template database, one local server.

    tryton = EmbeddedTryton()                  # work dir: $CREDITGUARD_TRYTON_HOME or <repo>/.tryton
    with tryton.start(['demo']) as server:     # venv + template when missing, copies, server, warm-up
        client = server.client('demo', 'sales')

Work directory layout:
    venv/                      Tryton's own virtualenv (addons/tryton/requirements.txt + the add-on)
    templates/<key>.sqlite     base setup, keyed by requirements + add-on source + seed script + users
    runs/run-<pid>-<n>/        one server: trytond.conf, db/*.sqlite copies, server.log (removed on stop)
    venv.log pip.log admin.log seed.log   output of the setup steps
Setup steps hold an exclusive lock (work dir `lock` file), so concurrent test runs share one venv/template.
"""
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from creditguard.mappings.errors import ConfigError

__all__ = ['EmbeddedTryton', 'TrytonServer', 'USERS', 'MODULES', 'DEFAULT_HOME']

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_HOME = REPO / '.tryton'
ADDON = REPO / 'addons' / 'tryton'
REQUIREMENTS = ADDON / 'requirements.txt'
SEED = REPO / 'examples' / 'tryton' / 'seed.py'     # runs inside the embedded Tryton's venv (proteus)

MODULES = ['party', 'company', 'currency', 'account', 'account_invoice', 'sale',
    'account_credit_limit', 'sale_credit_limit', 'account_dunning', 'creditguard']
COMPANY = {'company': 'Example Exports Ltd', 'currency': 'EUR'}
ADMIN_EMAIL = 'admin@example.com'
# The one place for the embedded server's logins (Tryton's policy: >= 8 chars, not the login).
USERS = {
    'admin': 'Admin-Pa55word!',
    'sales': 'Sales-Pa55word!',
    'connector': 'Connector-Pa55word!',
}
USER_SPECS = [
    {'login': 'sales', 'name': 'Sales Person', 'groups': [['sale', 'group_sale']]},
    {'login': 'connector', 'name': 'Credit Guard Connector', 'groups': [
        ['sale', 'group_sale'], ['account', 'group_account'],
        ['creditguard', 'group_creditguard_connector']]},
]
ADDON_IGNORED = {'build', 'dist', '__pycache__'}

TIMEOUTS = {  # seconds, per step
    'lock': 900, 'venv': 120, 'pip': 600, 'admin': 300, 'seed': 300, 'ready': 60, 'warm': 60, 'stop': 10,
}


class EmbeddedTryton:
    """A Tryton 8.2 that this machine sets up and runs by itself."""

    def __init__(self, home=None, *, python=None, progress=None):
        """`progress(text)`, when given, is told each set-up step as it starts and ends."""
        home = home or os.environ.get('CREDITGUARD_TRYTON_HOME') or DEFAULT_HOME
        self.home = Path(home).resolve()
        self.python = python or sys.executable
        self.venv = self.home / 'venv'
        self.progress = progress
        self._runs = 0

    def is_set_up(self):
        """True when setup() has nothing to do: the venv, its packages, the module and the template."""
        return ((self.bin / 'python').exists()
                and _stamp(self.venv / '.requirements') == _digest(REQUIREMENTS.read_bytes())
                and _stamp(self.venv / '.addon') == _digest(*_addon_files())
                and (self.home / 'templates' / f'{self.template_key()}.sqlite').exists())

    @property
    def bin(self):
        return self.venv / 'bin'

    def setup(self):
        """Make the venv and the template database exist; return the template's path."""
        self.home.mkdir(parents=True, exist_ok=True)
        with self._lock():
            self._ensure_venv()
            return self._ensure_template()

    def start(self, databases=(), *, warm=True):
        """Copy the template to each named database, start a server on a free port, warm the databases."""
        template = self.setup()
        run = self._new_run_dir()
        for name in databases:
            shutil.copyfile(template, run / 'db' / f'{name}.sqlite')
        server = TrytonServer(self, run, template)
        server.start()
        if warm:
            for name in databases:
                server.warm(name)
        return server

    # -- virtualenv ---------------------------------------------------------------------------

    def _ensure_venv(self):
        python = self.bin / 'python'
        if not python.exists():
            shutil.rmtree(self.venv, ignore_errors=True)
            self._step('venv', [self.python, '-m', 'venv', str(self.venv)], self.home / 'venv.log',
                label='creating a virtualenv')
        pins = _digest(REQUIREMENTS.read_bytes())
        if _stamp(self.venv / '.requirements') != pins:
            self._step('pip', [python, '-m', 'pip', 'install', '--disable-pip-version-check', '-q',
                '-r', str(REQUIREMENTS)], self.home / 'pip.log', label='installing Tryton 8.2 from PyPI')
            (self.venv / '.requirements').write_text(pins)
            (self.venv / '.addon').unlink(missing_ok=True)
        addon = _digest(*_addon_files())
        if _stamp(self.venv / '.addon') != addon:
            # build from a copy: setuptools writes build/ and *.egg-info next to the sources
            with tempfile.TemporaryDirectory(dir=self.home) as tmp:
                source = Path(tmp) / 'addon'
                shutil.copytree(ADDON, source, ignore=_ignore_build_files)
                self._step('pip', [python, '-m', 'pip', 'install', '--disable-pip-version-check', '-q',
                    '--no-deps', '--force-reinstall', str(source)], self.home / 'pip.log',
                    label='installing the creditguard Tryton module')
            (self.venv / '.addon').write_text(addon)

    # -- template database --------------------------------------------------------------------

    def template_key(self):
        spec = json.dumps([MODULES, COMPANY, ADMIN_EMAIL, USERS, USER_SPECS], sort_keys=True).encode()
        return _digest(REQUIREMENTS.read_bytes(), *_addon_files(), SEED.read_bytes(), spec)[:16]

    def _ensure_template(self):
        templates = self.home / 'templates'
        template = templates / f'{self.template_key()}.sqlite'
        if template.exists():
            return template
        templates.mkdir(exist_ok=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=self.home, prefix='build-') as tmp:
            build = Path(tmp)
            (build / 'db').mkdir()
            (build / 'db' / 'template.sqlite').touch()        # trytond-admin needs the file to exist
            _write_conf(build)
            (build / 'passfile').write_text(USERS['admin'] + '\n')
            env = _env(TRYTONPASSFILE=str(build / 'passfile'))
            self._step('admin', [self.bin / 'trytond-admin', '-c', build / 'trytond.conf', '-d', 'template',
                '--all', '--activate-dependencies', '--email', ADMIN_EMAIL, '-u', *MODULES],
                self.home / 'admin.log', env=env, label='creating the template database (modules, company)')
            spec = dict(COMPANY, users=[dict(u, password=USERS[u['login']]) for u in USER_SPECS])
            self._step('seed', [self.bin / 'python', SEED, 'template', build / 'trytond.conf'],
                self.home / 'seed.log', env=env, stdin=json.dumps(spec), label='seeding its users')
            _checkpoint(build / 'db' / 'template.sqlite')
            os.replace(build / 'db' / 'template.sqlite', template)
            # keep a few: a concurrent run may still copy an older one
            for old in sorted(templates.glob('*.sqlite'), key=lambda p: p.stat().st_mtime)[:-3]:
                old.unlink()
        log.info('Tryton template %s built in %.1f s', template.name, time.monotonic() - started)
        return template

    # -- helpers ------------------------------------------------------------------------------

    def _step(self, name, args, logfile, *, env=None, stdin=None, label=None):
        """Run one setup step with a timeout; on failure raise ConfigError with the log's tail."""
        started = time.monotonic()
        if self.progress and label:
            self.progress(f'  {label} ...')
        args = [str(a) for a in args]
        with open(logfile, 'a') as out:
            out.write(f'\n$ {" ".join(args)}\n')
            out.flush()
            failure = _run(args, out, env or _env(), stdin, TIMEOUTS[name])
        if failure:
            raise ConfigError(f'setting up the embedded Tryton failed at step {name!r} ({failure})',
                where=str(self.home), hint=f'last lines of {logfile}:\n{_tail(logfile)}')
        log.info('Tryton %s: %.1f s', name, time.monotonic() - started)
        if self.progress and label:
            self.progress(f'    done in {time.monotonic() - started:.1f} s')

    def _lock(self):
        return _FileLock(self.home / 'lock', TIMEOUTS['lock'])

    def _new_run_dir(self):
        runs = self.home / 'runs'
        runs.mkdir(parents=True, exist_ok=True)
        for old in runs.glob('run-*'):           # left behind by a process that died
            if not _alive(int(old.name.split('-')[1])):
                shutil.rmtree(old, ignore_errors=True)
        self._runs += 1
        run = runs / f'run-{os.getpid()}-{self._runs}'
        shutil.rmtree(run, ignore_errors=True)
        (run / 'db').mkdir(parents=True)
        _write_conf(run)
        return run


class TrytonServer:
    """One running trytond process serving the databases of one run directory."""

    def __init__(self, tryton, run, template):
        self.tryton = tryton
        self.run = run
        self.template = template
        self.url = None
        self.process = None
        self._spare = []
        self._used = []
        self._copies = 0

    @property
    def databases(self):
        return sorted(path.stem for path in (self.run / 'db').glob('*.sqlite'))

    def start(self):
        started = time.monotonic()
        for _attempt in range(3):                 # a free port can be taken between probe and bind
            port = _free_port()
            self.url = f'http://127.0.0.1:{port}'
            # listen only via the environment: a value in the conf file would override it
            env = _env(TRYTOND_WEB__LISTEN=f'127.0.0.1:{port}')
            with open(self.run / 'server.log', 'a') as out:
                self.process = subprocess.Popen([str(self.tryton.bin / 'trytond'), '-c',
                    str(self.run / 'trytond.conf')], env=env, stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL)
            if self._wait_ready(started + TIMEOUTS['ready']):
                log.info('Tryton server %s up in %.1f s', self.url, time.monotonic() - started)
                return self
        self.stop(keep_files=True)
        raise ConfigError('the embedded Tryton server did not start', where=str(self.run),
            hint=f'last lines of server.log:\n{_tail(self.run / "server.log")}')

    def _wait_ready(self, deadline):
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                httpx.post(f'{self.url}/rpc/', json={'id': 0, 'method': 'common.server.version',
                    'params': []}, timeout=2).raise_for_status()
                return True
            except httpx.HTTPError:
                time.sleep(0.05)
        self.process.kill()
        self.process.wait()
        return False

    def fresh_database(self, batch=10):
        """A new, warmed copy of the template. Tryton lists databases once (for 300 s) and keeps the pool
        of every database it served, so copies are made `batch` at a time, with a restart that also
        drops the used ones: memory stays at about `batch` pools (~17 MB each)."""
        if not self._spare:
            self.stop(keep_files=True)
            for name in self._used:
                for suffix in ('', '-wal', '-shm'):
                    (self.run / 'db' / f'{name}.sqlite{suffix}').unlink(missing_ok=True)
            self._used.clear()
            for _ in range(batch):
                self._copies += 1
                self._spare.append(f'fresh{self._copies}')
                shutil.copyfile(self.template, self.run / 'db' / f'{self._spare[-1]}.sqlite')
            self.start()
        name = self._spare.pop(0)
        self._used.append(name)
        self.warm(name)
        return name

    def warm(self, database):
        """Load the database's pool before the first login (Tryton 8.2 fails that login otherwise)."""
        try:
            httpx.get(f'{self.url}/{database}/r/warmup', timeout=TIMEOUTS['warm'])   # answers 404
        except httpx.HTTPError as error:
            raise ConfigError(f'the embedded Tryton server did not load database {database!r}: {error}',
                where=str(self.run), hint=f'last lines of server.log:\n{_tail(self.run / "server.log")}') \
                from None

    def client(self, database, login='admin', **options):
        """A JSON-RPC client logged in as one of the seeded users."""
        from creditguard.connector.erp.tryton.rpc import TrytonClient
        client = TrytonClient(self.url, database, **options)
        client.login(login, USERS[login])
        return client

    def stop(self, *, keep_files=False):
        """Terminate the server (kill after a timeout); remove the run directory unless `keep_files`."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(TIMEOUTS['stop'])
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not keep_files:
            shutil.rmtree(self.run, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


class _FileLock:
    def __init__(self, path, timeout):
        self.path, self.timeout = path, timeout

    def __enter__(self):
        self.file = open(self.path, 'w')
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.file.close()
                    raise ConfigError('another process is still setting up the embedded Tryton',
                        where=str(self.path)) from None
                time.sleep(0.2)

    def __exit__(self, *exc_info):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def _run(args, out, env, stdin, timeout):
    """Run a command with its output into `out`; return why it failed, or None."""
    try:
        subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, env=env, input=stdin, text=True,
            stdin=None if stdin else subprocess.DEVNULL, timeout=timeout, check=True)
    except subprocess.CalledProcessError as error:
        return f'exit status {error.returncode}'
    except subprocess.TimeoutExpired:
        return f'still running after {timeout} s'
    except OSError as error:
        return str(error)
    return None


def _write_conf(directory):
    # no [web] listen here: see TrytonServer.start
    (directory / 'trytond.conf').write_text(f'[database]\nuri = sqlite://\npath = {directory / "db"}\n')


def _env(**extra):
    """Our environment without Tryton, venv and Python settings that would leak into Tryton's venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('TRYTON', 'VIRTUAL_ENV', 'PYTHON'))}
    env.update(extra)
    return env


def _checkpoint(database):
    """Fold the WAL into the file so a plain copy holds every committed change."""
    with sqlite3.connect(database) as connection:
        connection.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    connection.close()


def _addon_files():
    """Path and content of each add-on source file, in a stable order (build output excluded)."""
    out = []
    for path in sorted(ADDON.rglob('*')):
        relative = path.relative_to(ADDON)
        if path.is_file() and not any(_ignored(part) for part in relative.parts):
            out += [str(relative).encode(), path.read_bytes()]
    return out


def _ignored(name):
    return name in ADDON_IGNORED or name.endswith(('.egg-info', '.pyc', '.md'))


def _ignore_build_files(_directory, names):
    return [name for name in names if _ignored(name)]


def _digest(*parts):
    sha = hashlib.sha256()
    for part in parts:
        sha.update(len(part).to_bytes(8, 'big'))
        sha.update(part)
    return sha.hexdigest()


def _stamp(path):
    return path.read_text() if path.exists() else None


def _tail(path, lines=25):
    try:
        return '\n'.join(Path(path).read_text(errors='replace').splitlines()[-lines:])
    except OSError:
        return '(no log)'


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
