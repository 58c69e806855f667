"""The simulator's HTTP face: an Allianz Trade shaped API on 127.0.0.1, plus control endpoints for tests and demos.

    POST   /v1/idp/oauth2/authorize                 {"apiKey"} -> bearer token (expires; never renewed)
    POST   /search/v2/companies/advancedSearch      by companyName and countryCode
    POST   /search/v2/companies/matching            by companyIdentifiers[].idValue (the registration id)
    POST   /riskinfo/v3/covers                      a cover request -> 202 {"jobId"}; 409 while one is open
    GET    /riskinfo/v3/jobs/{jobId}                Pending -> Processed (resourceUrl) | Withdrawn
    DELETE /riskinfo/v3/jobs/{jobId}                withdraw an open request
    GET    /riskinfo/v3/covers/{coverId}            the decision behind a resourceUrl
    POST   /riskinfo/v3/covers/search               decisions from decisionDateFrom, paged (206 while more)
    GET    /riskinfo/v3/companies/{companyId}/grade the buyer's grade 1..10

Control (no token; answered only to loopback clients):
    POST /_sim/clock   {"advance_seconds": N} or {"advance_days": N}      -> {"now"}
    POST /_sim/faults  {"faults": [Fault, ...]}                           (connector/insurer/simulator/scenario.py)
    POST /_sim/events  Event, applied now (reduce, cancel, grade, decision)
    POST /_sim/expire-tokens
    GET  /_sim/state   {"now", "tokens_issued", "cover_requests", "jobs", "decisions", "open_requests"}

POST and DELETE honour the Idempotency-Key header (connector/insurer/simulator/engine.py).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pydantic import ValidationError

from creditguard.mappings.errors import BadInput

from creditguard.connector.insurer.transport import to_json
from creditguard.connector.insurer.simulator.engine import Engine
from creditguard.connector.insurer.simulator.scenario import Event, Fault

__all__ = ["SimulatorServer"]

log = logging.getLogger(__name__)

_JOB = re.compile(r"^/riskinfo/v3/jobs/([^/]+)$")
_COVER = re.compile(r"^/riskinfo/v3/covers/([^/]+)$")
_GRADE = re.compile(r"^/riskinfo/v3/companies/([^/]+)/grade$")
_CLAIM = re.compile(r"^/claims/v1/claims/([^/]+)$")
_OVERDUE = re.compile(r"^/payment-overdues/v1/overdues/([^/]+)(?:/(invoices|close))?$")


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, engine: Engine, port: int = 0, host: str = "127.0.0.1"):
        if not ipaddress.ip_address(host).is_loopback:
            raise BadInput(f"the simulator listens on loopback only, not {host}", where="--host")
        self.engine = engine
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # headers and body: no 40 ms stall

    def log_message(self, format, *args):          # no headers, no bodies: method, path and status only
        log.debug("simulator: %s", format % args)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    # -- dispatch --------------------------------------------------------------------------------

    def _handle(self, method):
        try:
            self._dispatch(method)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("simulator: the client went away before the answer (%s %s)", method, self.path)
            self.close_connection = True

    def _dispatch(self, method):
        path = self.path.split("?", 1)[0]
        engine = self.server.engine
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith("/_sim/"):
            return self._control(method, path, raw)
        wait = engine.over_rate_limit()
        if wait is not None:
            return self._send(429, {"errors": [{"code": "TooManyRequests", "detail": "slow down"}]},
                              {"Retry-After": str(int(wait + 0.999))})
        fault = engine.take_fault(method, path)
        if fault is not None and fault.kind in ("status", "drop", "malformed"):
            return self._fault(fault)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        try:
            body = json.loads(raw, parse_float=Decimal) if raw.strip() else None
        except ValueError:
            return self._send(400, {"errors": [{"code": "BadRequest", "detail": "the body is not JSON"}]})
        status, answer, headers = self._route(method, path, body)
        if fault is not None and fault.kind == "drop_after":
            return self._drop()
        self._send(status, answer, headers)

    def _route(self, method, path, body):
        engine = self.server.engine
        if method == "POST" and path == "/v1/idp/oauth2/authorize":
            return (*engine.authorize(body), {})
        refused = engine.check_token(self.headers.get("Authorization"))
        if refused:
            return (*refused, {})
        key = self.headers.get("Idempotency-Key")
        if method == "POST" and path == "/search/v2/companies/advancedSearch":
            return (*engine.search_companies(body, by_identifier=False), {})
        if method == "POST" and path == "/search/v2/companies/matching":
            return (*engine.search_companies(body, by_identifier=True), {})
        if method == "POST" and path == "/riskinfo/v3/covers":
            return (*engine.idempotent(key, method, path, body, lambda: engine.request_cover(body)), {})
        if method == "POST" and path == "/riskinfo/v3/covers/search":
            return engine.search_covers(body)
        if method == "POST" and path == "/claims/v1/claims":
            return (*engine.idempotent(key, method, path, body, lambda: engine.file_claim(body)), {})
        match = _CLAIM.match(path)
        if match and method == "GET":
            return (*engine.claim(match[1]), {})
        if method == "POST" and path == "/payment-overdues/v1/overdues":
            return (*engine.idempotent(key, method, path, body, lambda: engine.declare_overdue(body)), {})
        match = _OVERDUE.match(path)
        if match and method == "GET" and not match[2]:
            return (*engine.overdue(match[1]), {})
        if match and method == "POST" and match[2]:
            return (*engine.idempotent(key, method, path, body,
                                       lambda: engine.change_overdue(match[1], match[2], body)), {})
        match = _JOB.match(path)
        if match and method == "GET":
            return (*engine.job(match[1]), {})
        if match and method == "DELETE":
            return (*engine.idempotent(key, method, path, body, lambda: engine.withdraw(match[1])), {})
        match = _COVER.match(path)
        if match and method == "GET":
            return (*engine.cover(match[1]), {})
        match = _GRADE.match(path)
        if match and method == "GET":
            return (*engine.grade(match[1]), {})
        return 404, {"errors": [{"code": "NotFound", "detail": f"no route {method} {path}"}]}, {}

    def _control(self, method, path, raw):
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            return self._send(403, {"errors": [{"code": "Forbidden", "detail": "control is for loopback"}]})
        engine = self.server.engine
        try:
            body = json.loads(raw, parse_float=Decimal) if raw.strip() else {}
            if method == "GET" and path == "/_sim/state":
                return self._send(200, engine.stats())
            if method == "POST" and path == "/_sim/clock":
                now = engine.advance(float(body.get("advance_seconds", 0)), days=float(body.get("advance_days", 0)))
                return self._send(200, {"now": now.isoformat()})
            if method == "POST" and path == "/_sim/faults":
                engine.add_faults([Fault.model_validate(f) for f in body.get("faults", [])])
                return self._send(200, {"ok": True})
            if method == "POST" and path == "/_sim/events":
                return self._send(200, engine.event(Event.model_validate(body)))
            if method == "POST" and path == "/_sim/expire-tokens":
                engine.expire_tokens()
                return self._send(200, {"ok": True})
        except (ValueError, ValidationError, BadInput, AttributeError) as exc:
            detail = exc.render() if isinstance(exc, BadInput) else str(exc).splitlines()[0]
            return self._send(400, {"errors": [{"code": "BadControl", "detail": detail}]})
        return self._send(404, {"errors": [{"code": "NotFound", "detail": f"no control {method} {path}"}]})

    # -- answers ---------------------------------------------------------------------------------

    def _fault(self, fault: Fault):
        if fault.kind == "drop":
            return self._drop()
        if fault.kind == "malformed":
            return self._send_text(200, "<html><body>Service temporarily degraded</body></html>", "text/html")
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        body = fault.body if fault.body is not None else to_json(
            {"errors": [{"code": "Injected", "detail": f"injected HTTP {fault.status or 500}"}]})
        self._send_text(fault.status or 500, body, "application/json", headers)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, status, body, headers=None):
        self._send_text(status, to_json(body), "application/json", headers)

    def _send_text(self, status, text, content_type, headers=None):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
