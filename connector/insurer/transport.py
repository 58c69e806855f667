"""HTTP to an insurer: timeouts, bounded retries with backoff and jitter, Retry-After, bearer tokens, no secrets out.

    5xx, timeouts, dropped connections, 2xx answers that are not JSON -> retried with backoff and jitter, at
        most `attempts` tries, and no new try once tries plus waits would pass `total_seconds`; then
        TransientError. A retry re-sends the same
        Idempotency-Key, so a request the insurer did receive is answered from its record, never filed twice.
    429 -> waits `Retry-After` seconds when that is at most `max_retry_after`, else TransientError at once.
    401 on a call -> the token expired (tokens cannot be renewed): exactly one new token, the call repeated once;
        a second 401 is a ConfigError. 401/403 when getting the token -> ConfigError (the API key is refused).

The API key and the token live in `SecretStr`; logs name the method, path and status, never headers or bodies.
`sleep` and `random` are injectable so tests see the waits without waiting.
"""
from __future__ import annotations

import dataclasses
import email.utils
import json
import logging
import random as _random
import time
import uuid
from decimal import Decimal
from typing import Any, Callable, Mapping, Optional

from pydantic import SecretStr

from creditguard.mappings.errors import ConfigError, TransientError

from creditguard.connector import http

__all__ = ["RetryPolicy", "Answer", "Transport", "to_json"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    attempts: int = 4               # tries per call, the first included
    backoff: float = 0.5            # seconds before the 2nd try; doubles each try, with jitter
    backoff_max: float = 8.0
    total_seconds: float = 90.0     # no new try once tries and waits would take longer than this
    max_retry_after: float = 60.0   # a longer Retry-After is not waited for: TransientError at once


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    body: Any                       # parsed JSON (floats as Decimal); None for an empty body
    headers: Mapping[str, str]      # case-insensitive (httpx.Headers) when it comes from the client


def to_json(value) -> str:
    """JSON for the insurer: a whole Decimal goes as a number, any other Decimal as its exact string."""
    def default(obj):
        if isinstance(obj, Decimal):
            return int(obj) if obj == obj.to_integral_value() else str(obj)
        raise TypeError(f"cannot send {type(obj).__name__} to the insurer")
    return json.dumps(value, default=default)


class _Retry(Exception):
    def __init__(self, reason, wait=None):
        super().__init__(reason)
        self.reason, self.wait = reason, wait


class Transport:
    """One insurer's HTTP endpoint; `authorize` turns the API key into a bearer token (path and body are the
    adapter's: it returns the token and its lifetime from the answer)."""

    def __init__(self, base_url: str, api_key: SecretStr, authorize: Callable[["Transport"], str], *,
                 timeout: float = 30.0, connect_timeout: float = 5.0, retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep, random: Callable[[], float] = _random.random,
                 name: str = "the insurer"):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._authorize = authorize
        self.timeout = (connect_timeout, timeout)
        self.retry = retry
        self.sleep, self.random = sleep, random
        self.http = http.client(timeout=timeout, connect_timeout=connect_timeout)
        self.name = name
        self._token: Optional[SecretStr] = None

    def __repr__(self):
        return f"Transport({self.base_url!r})"

    # -- calls --------------------------------------------------------------------------------

    def call(self, method: str, path: str, *, body=None, params=None, idempotency_key: Optional[str] = None,
             auth: bool = True) -> Answer:
        """Send with retries; returns the answer (2xx, or a 4xx other than 429 for the adapter to translate)."""
        key = idempotency_key or str(uuid.uuid4())
        renewed = False
        while True:
            token = self.token() if auth else None
            answer = self._with_retries(method, path, body, params, key, token)
            if answer.status == 401 and auth and not renewed:
                log.info("%s: token refused on %s %s, getting a new one", self.name, method, path)
                self._token, renewed = None, True
                continue
            if answer.status == 401 and auth:
                raise ConfigError(f"{self.name} refused a fresh token on {method} {path} (HTTP 401)",
                                  where=self.base_url, hint="check the API key and that it may use this policy")
            return answer

    def token(self) -> str:
        if self._token is None:
            self._token = SecretStr(self._authorize(self))
            log.info("%s: new access token", self.name)
        return self._token.get_secret_value()

    # -- one call, retried ---------------------------------------------------------------------

    def _with_retries(self, method, path, body, params, key, token) -> Answer:
        spent, tries = 0.0, 0                   # seconds waited between tries plus seconds spent on tries
        while True:
            tries += 1
            started = time.monotonic()
            try:
                return self._once(method, path, body, params, key, token)
            except _Retry as retry:
                spent += time.monotonic() - started
                wait = retry.wait if retry.wait is not None else self._backoff(tries)
                if retry.wait is not None and retry.wait > self.retry.max_retry_after:
                    raise TransientError(f"{self.name} is busy on {method} {path} and asks to wait "
                                         f"{retry.wait:g} s (more than {self.retry.max_retry_after:g} s)") from None
                if tries >= self.retry.attempts or spent + wait > self.retry.total_seconds:
                    raise TransientError(f"{self.name} failed on {method} {path} after {tries} tries: "
                                         f"{retry.reason}") from None
                log.info("%s: %s on %s %s, try %d in %.2f s", self.name, retry.reason, method, path,
                         tries + 1, wait)
                self.sleep(wait)
                spent += wait

    def _backoff(self, tries) -> float:
        ceiling = min(self.retry.backoff_max, self.retry.backoff * 2 ** (tries - 1))
        return ceiling / 2 + self.random() * ceiling / 2          # "equal jitter": never 0, never above ceiling

    def _once(self, method, path, body, params, key, token) -> Answer:
        headers = {"Accept": "application/json", "Idempotency-Key": key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.http.request(method, self.base_url + path, params=params, headers=headers,
                                         content=None if body is None else to_json(body))
        except http.Timeout:
            raise _Retry(f"no answer within {self.timeout[1]:g} s") from None
        except http.Unreachable as error:
            log.debug("%s: %s %s: %s", self.name, method, path, type(error).__name__)
            raise _Retry("connection failed or dropped") from None
        log.debug("%s: %s %s -> %d", self.name, method, path, response.status_code)
        status = response.status_code
        if status == 429:
            raise _Retry("rate limited (HTTP 429)", wait=_retry_after(response.headers.get("Retry-After")))
        if status >= 500:
            wait = _retry_after(response.headers.get("Retry-After"), None)
            raise _Retry(f"HTTP {status}", wait=wait)
        text = response.text
        try:
            parsed = json.loads(text, parse_float=Decimal) if text.strip() else None
        except ValueError:
            if status < 300:
                raise _Retry(f"an answer that is not JSON (HTTP {status})") from None
            parsed = {"text": text[:500]}
        return Answer(status, parsed, response.headers)       # httpx.Headers: names in any case


def _retry_after(value, default=1.0) -> Optional[float]:
    """Seconds of a Retry-After header (delta-seconds or HTTP date); `default` when absent or unreadable."""
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())
