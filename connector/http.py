"""The one HTTP client: every call Credit Guard makes (Odoo, Tryton, the insurer) goes through an httpx.Client
built here, with its timeouts, TLS checking and quiet logging.

httpx, not requests: odoo-client-lib, which the design card names, sends through httpx, so httpx is installed
whatever we choose; a second client would be a second set of timeouts, errors and TLS settings to keep in step.
httpx keeps connections alive per client, decodes gzip answers (Tryton labels long answers gzip) and lets a test
put a transport under the client (tests/contract/cassette.py records and replays through one).

Retries are not the client's: a call that fails for a passing reason raises `Timeout` or `Unreachable`; the
callers turn them into TransientError (the cycle retries the whole cycle) or, for the insurer, retry with
back-off (connector/insurer/transport.py).
"""
from __future__ import annotations

import logging

import httpx

__all__ = ["Timeout", "Unreachable", "client", "reason"]

Timeout = httpx.TimeoutException              # no answer in time (connect, read or write)
Unreachable = httpx.TransportError            # refused, reset, DNS...; Timeout is one of these: catch it first

# httpx logs every request line at INFO, with its URL (a query string may carry a token): never shown
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def client(*, timeout: float, connect_timeout: float = 5.0, headers: dict | None = None,
           transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A keep-alive client: `timeout` seconds to read an answer, `connect_timeout` to connect; TLS
    certificates checked; no redirects followed (an ERP URL that redirects is a configuration to fix)."""
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=connect_timeout), headers=headers,
                        transport=transport, verify=True, follow_redirects=False)


def reason(error: BaseException) -> str:
    """The innermost cause of a connection error, e.g. 'Connection refused', without the URL repeated."""
    cause = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    text = str(cause) or type(error).__name__
    return text.rsplit("] ", 1)[-1] if "] " in text else text.split(": ", 1)[-1]
