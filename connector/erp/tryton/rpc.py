"""Thin JSON-RPC adapter for Tryton 8.2: calls, tagged values, the context argument, error translation.

Conventions: POST /<db>/rpc/ with {"id", "method", "params"}; the
session travels as `Authorization: Session base64(login:user_id:token)`; Decimal, date, datetime, time,
timedelta and bytes are tagged objects both ways; model calls take the context as their LAST argument
(the user's preferences, so `company` is always set); booleans read from SQLite come back as 0/1.

Errors (mappings/errors.py):
    connection refused, timeout, HTTP 5xx or 429, ConcurrencyException  -> TransientError (retry later)
    401 on login                                                    -> ErpRefused naming the user
    404 (no such database)                                          -> ConfigError naming the database
    Tryton UserError, 401/403 on a call, other refusals              -> ErpRefused (.message, .model, .ids)
    Tryton UserWarning                                              -> ErpWarning (its `name` to skip)
"""
import base64
import datetime as dt
import itertools
import json
import logging
from decimal import Decimal

from creditguard.mappings.errors import ConfigError, ErpRefused, ErpWarning, TransientError

from creditguard.connector import http

__all__ = ['TrytonClient', 'TrytonWizard', 'encode', 'decode']

log = logging.getLogger(__name__)


def encode(value):
    """json.dumps `default=`: Tryton's tagged form of the non-JSON types."""
    if isinstance(value, Decimal):
        return {'__class__': 'Decimal', 'decimal': str(value)}
    if isinstance(value, dt.datetime):
        return {'__class__': 'datetime', 'year': value.year, 'month': value.month, 'day': value.day,
            'hour': value.hour, 'minute': value.minute, 'second': value.second,
            'microsecond': value.microsecond}
    if isinstance(value, dt.date):
        return {'__class__': 'date', 'year': value.year, 'month': value.month, 'day': value.day}
    if isinstance(value, dt.time):
        return {'__class__': 'time', 'hour': value.hour, 'minute': value.minute,
            'second': value.second, 'microsecond': value.microsecond}
    if isinstance(value, dt.timedelta):
        return {'__class__': 'timedelta', 'seconds': value.total_seconds()}
    if isinstance(value, (bytes, bytearray)):
        return {'__class__': 'bytes', 'base64': base64.b64encode(value).decode()}
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f'cannot send {type(value).__name__} to Tryton')


_DECODERS = {
    'Decimal': lambda d: Decimal(d['decimal']),
    'date': lambda d: dt.date(d['year'], d['month'], d['day']),
    'datetime': lambda d: dt.datetime(d['year'], d['month'], d['day'], d['hour'], d['minute'],
        d['second'], d['microsecond']),
    'time': lambda d: dt.time(d['hour'], d['minute'], d['second'], d['microsecond']),
    'timedelta': lambda d: dt.timedelta(seconds=d['seconds']),
    'bytes': lambda d: base64.b64decode(d['base64']),
}


def decode(obj):
    """json.loads `object_hook=`: tagged objects back to Python values."""
    decoder = _DECODERS.get(obj.get('__class__'))
    return decoder(obj) if decoder else obj


class TrytonClient:
    """One Tryton user's session on one database."""

    def __init__(self, url, database, *, timeout=60.0, connect_timeout=5.0, language='en'):
        self.url = url.rstrip('/')
        self.database = database
        self.timeout = (connect_timeout, timeout)
        self.language = language
        self.login_name = None
        self.user_id = None
        self.context = {}
        self._password = None
        self._ids = itertools.count(1)
        self._booleans = {}
        # Tryton labels long answers gzip whatever was asked: the client accepts and decodes gzip
        self.http = http.client(timeout=timeout, connect_timeout=connect_timeout,
            headers={'Content-Type': 'application/json', 'Accept-Encoding': 'gzip'})

    def __repr__(self):
        return f'<TrytonClient {self.login_name or "-"}@{self.url}/{self.database}>'

    # -- session ------------------------------------------------------------------------------

    def login(self, login, password):
        """Open a session and load the user's context (company, language, ...)."""
        self.http.headers.pop('Authorization', None)
        self._load_database()
        try:
            user_id, token, _bus = self.call('common.db.login', login, {'password': password},
                self.language)
        except ErpRefused as error:
            if getattr(error, 'status', None) != 401:
                raise
            raise ErpRefused(f'Tryton refused the login of user {login!r}: wrong user name or password',
                where=f'{self.url}/{self.database}', hint='check the user and password settings') from None
        credentials = base64.b64encode(f'{login}:{user_id}:{token}'.encode()).decode()
        self.http.headers['Authorization'] = f'Session {credentials}'
        self.login_name, self.user_id, self._password = login, user_id, password
        self.context = self.call('model.res.user.get_preferences', True, {})
        return user_id

    def _load_database(self):
        """Tryton 8.2 breaks a database whose first request is a login (until it restarts): any request to
        the database first loads it. The answer (404) does not matter; an unreachable server shows at login."""
        try:
            self.http.get(f'{self.url}/{self.database}/r/creditguard-warmup')
        except http.Unreachable:
            pass

    def logout(self):
        if 'Authorization' in self.http.headers:
            self.call('common.db.logout')
        self.http.headers.pop('Authorization', None)
        self.login_name = self.user_id = self._password = None
        self.context = {}

    # -- calls --------------------------------------------------------------------------------

    def call(self, method, *params):
        """Call a Tryton RPC method with exactly these parameters; return its result."""
        try:
            return self._post(method, params)
        except ErpRefused as error:
            if getattr(error, 'status', None) != 401 or not self._password or method.startswith('common.'):
                raise
        log.info('Tryton session of %s expired: logging in again', self.login_name)
        self.login(self.login_name, self._password)
        return self._post(method, params)

    def model(self, model, method, *args, context=None):
        """Call `model.<model>.<method>(*args, context)` with the user's context (plus `context`)."""
        return self.call(f'model.{model}.{method}', *args, dict(self.context, **(context or {})))

    def search(self, model, domain, offset=0, limit=None, order=None, *, context=None):
        return self.model(model, 'search', domain, offset, limit, order, context=context)

    def search_count(self, model, domain, *, context=None):
        return self.model(model, 'search_count', domain, context=context)

    def pages(self, model, domain, fields, *, page_size=1000, context=None):
        """The matching records a page at a time, in id order (keyset paging: no row skipped or repeated).
        Booleans come as Tryton sends them (0/1 from SQLite)."""
        fields = list(dict.fromkeys(['id', *fields]))
        last_id = 0
        while True:
            page = self.model(model, 'search_read', [*domain, ('id', '>', last_id)], 0, page_size,
                [('id', 'ASC')], fields, context=context)
            if page:
                yield page
            if len(page) < page_size:
                return
            last_id = page[-1]['id']

    def search_read(self, model, domain, fields, *, page_size=1000, context=None):
        """Every matching record, booleans as bool."""
        return [record for page in self.pages(model, [domain], fields, page_size=page_size, context=context)
            for record in self._booleans_to_bool(model, page)]

    def read(self, model, ids, fields, *, context=None):
        return self._booleans_to_bool(model, self.model(model, 'read', list(ids), list(fields),
            context=context))

    def write(self, model, ids, values, *, context=None):
        self.model(model, 'write', list(ids), values, context=context)

    def create(self, model, vlist, *, context=None):
        """Create records from a list of value dicts; return their ids."""
        return self.model(model, 'create', list(vlist), context=context)

    def delete(self, model, ids, *, context=None):
        self.model(model, 'delete', list(ids), context=context)

    def button(self, model, name, ids, *, context=None):
        """Click a button (a workflow step such as sale.sale `quote` or `confirm`)."""
        return self.model(model, name, list(ids), context=context)

    def fields_get(self, model, fields=None, *, context=None):
        return self.model(model, 'fields_get', fields, context=context)

    def skip_warning(self, name, always=False):
        """Acknowledge a UserWarning so the next identical call goes through."""
        self.model('res.user.warning', 'skip', name, always)

    def wizard(self, name, **context):
        """Open a wizard session (context e.g. active_model/active_id/active_ids); use `with`."""
        return TrytonWizard(self, name, context)

    def server_version(self):
        return self._post('common.server.version', (), url=f'{self.url}/rpc/')

    def _booleans_to_bool(self, model, records):
        """SQLite answers booleans as 0/1: make them bool (field types from fields_get, cached)."""
        types = self._booleans.setdefault(model, {})
        names = {name for record in records for name in record if '.' not in name}
        if missing := sorted(names - types.keys()):
            found = self.fields_get(model, missing)
            types.update({name: found.get(name, {}).get('type') for name in missing})
        booleans = [name for name in names if types[name] == 'boolean']
        for record in records:
            for name in booleans:
                if record[name] is not None:
                    record[name] = bool(record[name])
        return records

    # -- transport ----------------------------------------------------------------------------

    def _post(self, method, params, url=None):
        url = url or f'{self.url}/{self.database}/rpc/'
        body = json.dumps({'id': next(self._ids), 'method': method, 'params': list(params)},
            default=encode)
        log.debug('Tryton %s %s', self.database, method)     # never the params: login has the password
        try:
            response = self.http.post(url, content=body)
        except http.Timeout:
            raise TransientError(f'Tryton at {self.url} did not answer {method} in time ({self.timeout[1]:g} s)') \
                from None
        except http.Unreachable as error:
            log.debug('Tryton at %s unreachable: %s', self.url, error)     # the detail is for the log
            raise TransientError(f'Tryton at {self.url} is unreachable ({http.reason(error)})') from None
        self._check_status(response, method)
        try:
            answer = response.json(object_hook=decode)
        except ValueError:
            raise TransientError(f'Tryton at {self.url} sent an answer that is not JSON '
                f'(HTTP {response.status_code}) to {method}') from None
        if 'error' in answer:
            raise self._translate(answer['error'], method, params)
        return answer['result']

    def _check_status(self, response, method):
        status = response.status_code
        if status < 400:
            return
        text = _body_text(response)
        if status == 429 or status >= 500:
            raise TransientError(f'Tryton at {self.url} is busy or failing (HTTP {status}) on {method}: {text}')
        if status == 404:
            raise ConfigError(f'Tryton at {self.url} has no database {self.database!r}',
                where=f'{self.url}/{self.database}', hint='check the database name in the config')
        if status == 401:
            error = ErpRefused('not logged in or the session expired (HTTP 401)', where=method)
        elif status == 403:
            error = ErpRefused(f'Tryton does not allow {method} for this user (HTTP 403)', where=method)
        else:
            error = ErpRefused(f'Tryton rejected {method} (HTTP {status}): {text}', where=method)
        error.status = status
        raise error

    def _translate(self, error, method, params):
        kind, detail = (error + [None])[:2] if isinstance(error, list) else (str(error), None)
        model, ids = _target(method, params)
        where = f'{model} {ids}' if model and ids else model or method
        if kind == 'UserError':
            message, description, _domain = (list(detail) + ['', None])[:3]
            translated = ErpRefused(message, where=where, hint=description or None)
        elif kind == 'UserWarning':
            name, message, description = (list(detail) + ['', ''])[:3]
            translated = ErpWarning(message, name=name, where=where, hint=description or None)
        elif kind == 'ConcurrencyException':
            return TransientError(f'{where}: {detail}')
        elif kind == 'LoginException':
            translated = ErpRefused(f'Tryton asks for more login information ({detail[1]})', where=where)
        else:
            log.debug('Tryton server error on %s: %s', method, detail)
            translated = ErpRefused(f'Tryton failed on {method}: {kind}', where=where,
                hint='the server log has the traceback')
        translated.model, translated.ids = model, ids
        return translated


class TrytonWizard:
    """A wizard session: `execute(state, data)` runs one step; closed on leaving the `with` block."""

    def __init__(self, client, name, context):
        self.client, self.name = client, name
        self.context = dict(client.context, **context)
        self.session = None

    def __enter__(self):
        self.session, _start, _end = self.client.call(f'wizard.{self.name}.create', self.context)
        return self

    def execute(self, state, data):
        return self.client.call(f'wizard.{self.name}.execute', self.session, data, state, self.context)

    def __exit__(self, *exc_info):
        self.client.call(f'wizard.{self.name}.delete', self.session, self.context)


def _target(method, params):
    """('sale.sale', [12]) for model.sale.sale.confirm([12], ctx); (None, None) for other methods."""
    parts = method.split('.')
    if parts[0] != 'model' or len(parts) < 3:
        return None, None
    ids = params[0] if params and isinstance(params[0], list) else None
    if not (ids and all(isinstance(i, int) for i in ids)):
        ids = None
    return '.'.join(parts[1:-1]), ids


def _body_text(response) -> str:
    """An error answer's text for a message: a short plain text, never a page of HTML."""
    if 'html' in response.headers.get('Content-Type', '') or response.text.lstrip().startswith('<'):
        return 'an HTML page (is the URL the Tryton server itself, without a path?)'
    return response.text.strip()[:300]
