"""`creditguard serve`: one long-running process — the scheduled cycle of `run --every`, and an HTTP endpoint
the ERP calls on a change, which re-checks the customers that change touches within a second.

    POST /webhook   a change in the ERP, signed: header X-Creditguard-Signature: sha256=<hex HMAC-SHA256 of
                    the body with the shared secret>; body {"event": "sale.order.confirm", "model": "sale.order",
                    "ids": [42], "customers": ["7"]} ("customers", the canonical ids, is optional: the
                    incremental read finds what changed). 202 queued; 401 bad or missing signature (nothing
                    done); 400 malformed body, naming the field; 413 body too large.
    GET  /health    200 {"status": "ok", ...} while cycles succeed; 503 with the last error otherwise
    GET  /metrics   Prometheus text: cycles, changes received, decisions, write latency, ERP and insurer errors

A burst of changes is coalesced: the worker waits `coalesce` seconds after the first, then runs one re-check
for everything that came; changes that come during a cycle wait for the next. A re-check that fails because
the ERP is unreachable keeps its customers and is retried with backoff (0.5 s, 1 s, 2 s ... up to 60 s); the
scheduled cycle runs every `every` seconds over every customer and catches up with anything missed. If the
service is down, the ERP add-on keeps enforcing the last allowance written (docs/allowance.md).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from creditguard.mappings.errors import BadInput, TransientError

from creditguard.connector.cycle import run as cycle

__all__ = ["Service", "Metrics", "parse_change", "sign", "SIGNATURE_HEADER"]

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Creditguard-Signature"
MAX_BODY = 1 << 20           # bytes: a change notice is small
RETRY_FIRST, RETRY_MAX = 0.5, 60.0


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`: "sha256=" + hex HMAC-SHA256 with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class BadChange(ValueError):
    """A webhook body that is not a change notice; the message names the field."""


def parse_change(body: bytes) -> dict:
    """The change notice in `body`, checked: event and model texts, ids a list of record ids, customers an
    optional list of customer ids (as strings)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadChange(f"body: not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise BadChange("body: must be a JSON object with event, model and ids")
    for name in ("event", "model"):
        if not isinstance(doc.get(name), str) or not doc[name].strip():
            raise BadChange(f"body.{name}: must be a non-empty text")
    for name in ("ids", "customers"):
        value = doc.get(name, [] if name == "customers" else None)
        if not isinstance(value, list) or not all(_is_id(v) for v in value):
            raise BadChange(f"body.{name}: must be a list of record ids (whole numbers or texts)")
    return {"event": doc["event"], "model": doc["model"], "ids": [str(v) for v in doc["ids"]],
            "customers": {str(v) for v in doc.get("customers", [])}}


def _is_id(value) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and bool(value.strip()))


@dataclass(kw_only=True)
class Metrics:
    """What the service counts, shown at /metrics in Prometheus' text format."""
    cycles: Counter = field(default_factory=Counter)             # (kind, outcome) -> count
    changes: int = 0                                             # change notices accepted
    rejected: Counter = field(default_factory=Counter)           # reason -> webhooks refused
    decisions: Counter = field(default_factory=Counter)          # action -> count
    writes: Counter = field(default_factory=Counter)             # operation -> ERP writes done
    write_seconds: float = 0.0
    write_count: int = 0
    erp_errors: int = 0
    insurer_errors: int = 0
    reaction_seconds: float = 0.0                                # change received -> its re-check done
    reaction_count: int = 0
    last_cycle: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def text(self) -> str:
        with self.lock:
            lines = ["# TYPE creditguard_cycles_total counter"]
            lines += [f'creditguard_cycles_total{{kind="{k}",outcome="{o}"}} {n}' for (k, o), n in
                      sorted(self.cycles.items())]
            lines += ["# TYPE creditguard_changes_received_total counter",
                      f"creditguard_changes_received_total {self.changes}",
                      "# TYPE creditguard_webhooks_rejected_total counter"]
            lines += [f'creditguard_webhooks_rejected_total{{reason="{r}"}} {n}' for r, n in
                      sorted(self.rejected.items())]
            lines += ["# TYPE creditguard_decisions_total counter"]
            lines += [f'creditguard_decisions_total{{action="{a}"}} {n}' for a, n in sorted(self.decisions.items())]
            lines += ["# TYPE creditguard_erp_writes_total counter"]
            lines += [f'creditguard_erp_writes_total{{operation="{o}"}} {n}' for o, n in sorted(self.writes.items())]
            lines += ["# TYPE creditguard_erp_write_seconds summary",
                      f"creditguard_erp_write_seconds_sum {self.write_seconds:.6f}",
                      f"creditguard_erp_write_seconds_count {self.write_count}",
                      "# TYPE creditguard_reaction_seconds summary",
                      f"creditguard_reaction_seconds_sum {self.reaction_seconds:.6f}",
                      f"creditguard_reaction_seconds_count {self.reaction_count}",
                      "# TYPE creditguard_erp_errors_total counter", f"creditguard_erp_errors_total {self.erp_errors}",
                      "# TYPE creditguard_insurer_errors_total counter",
                      f"creditguard_insurer_errors_total {self.insurer_errors}",
                      "# TYPE creditguard_last_cycle_timestamp_seconds gauge",
                      f"creditguard_last_cycle_timestamp_seconds {self.last_cycle:.3f}"]
            return "\n".join(lines) + "\n"


class Service:
    """The scheduler, the change queue and the HTTP endpoint over one config; `run_cycle` is cycle.run_cycle
    (tests and benches pass the same function with an insurer client)."""

    def __init__(self, config, *, secret: str, host: str = "127.0.0.1", port: int = 8765, every: float = 300.0,
                 coalesce: float = 0.05, run_cycle=cycle.run_cycle, connect=cycle.connect):
        self.config = config
        self.secret = secret
        self.every = every
        self.coalesce = coalesce
        self._run_cycle = run_cycle
        self._connect = connect
        self.metrics = Metrics()
        self._wake = threading.Condition()
        self._pending: dict[str, float] = {}      # customer id -> when its first unhandled change came
        self._anonymous: float | None = None      # a change naming no customer came at this time
        self._inflight = 0                        # changes taken by the re-check now running, until recorded
        self._stop = threading.Event()
        self._session = None
        self._opened = 0.0
        self.last_error: str | None = None
        self.last_ok: float | None = None
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.address = self.server.server_address
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> "Service":
        for target, name in ((self.server.serve_forever, "creditguard-http"), (self._work, "creditguard-worker")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=30)
        self._close_session()

    # -- changes ----------------------------------------------------------------------------------------

    def receive(self, change: dict) -> None:
        """Queue a checked change notice for the next re-check."""
        now = time.monotonic()
        with self._wake:
            self.metrics.changes += 1
            if change["customers"]:
                for customer in change["customers"]:
                    self._pending.setdefault(customer, now)
            elif self._anonymous is None:
                self._anonymous = now
            self._wake.notify_all()

    def _take(self, timeout: float):
        """Wait up to `timeout` for changes; then (after the coalescing window) take all that came."""
        with self._wake:
            if not self._pending and self._anonymous is None:
                self._wake.wait(timeout)
            if self._stop.is_set() or (not self._pending and self._anonymous is None):
                return None
        time.sleep(self.coalesce)                                # let the rest of a burst arrive
        with self._wake:
            taken, self._pending = self._pending, {}
            anonymous, self._anonymous = self._anonymous, None
            self._inflight = len(taken) + (anonymous is not None)
        return taken, anonymous

    def _requeue(self, taken, anonymous) -> None:
        with self._wake:
            for customer, since in taken.items():
                self._pending[customer] = min(since, self._pending.get(customer, since))
            self._inflight = 0
            if anonymous is not None:
                self._anonymous = anonymous if self._anonymous is None else min(anonymous, self._anonymous)

    # -- the worker -------------------------------------------------------------------------------------

    def _work(self) -> None:
        next_full = time.monotonic()          # a full cycle at start
        retry = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_full:
                ok = self._cycle("scheduled", None)
                retry = 0.0 if ok else min(RETRY_MAX, max(RETRY_FIRST, retry * 2))
                next_full = time.monotonic() + (self.every if ok else retry)
                continue
            got = self._take(max(0.0, min(next_full - now, 1.0)))
            if got is None:
                continue
            taken, anonymous = got
            if self._cycle("re-check", set(taken), narrow=anonymous is None):   # unnamed changes: read them all
                done = time.monotonic()
                with self.metrics.lock:
                    for since in [*taken.values(), *([anonymous] if anonymous is not None else [])]:
                        self.metrics.reaction_seconds += done - since
                        self.metrics.reaction_count += 1
                with self._wake:
                    self._inflight = 0              # recorded: /health no longer counts them as pending
                retry = 0.0
            else:
                self._requeue(taken, anonymous)      # not lost: retried after a pause, longer each time
                retry = min(RETRY_MAX, max(RETRY_FIRST, retry * 2))
                self._stop.wait(retry)

    def _cycle(self, kind: str, only, narrow=True) -> bool:
        try:
            session = self._session_now()
            report = self._run_cycle(self.config, session=session, only=only, narrow=narrow)
        except TransientError as exc:
            self._failed(kind, exc.render() if hasattr(exc, "render") else str(exc))
            return False
        except BadInput as exc:
            self._failed(kind, exc.render())
            return False
        except Exception as exc:        # a defect must not stop the service; it is logged with its traceback
            log.exception("cycle failed")
            self._failed(kind, f"{type(exc).__name__}: {exc}")
            return False
        self._record(kind, report)
        return True

    def _session_now(self):
        if self._session is None or time.monotonic() - self._opened > 3600:
            self._close_session()
            self._session = self._connect(self.config.erp)
            self._opened = time.monotonic()
        return self._session

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _failed(self, kind: str, message: str) -> None:
        self._close_session()                     # a new session next time
        with self.metrics.lock:
            self.metrics.cycles[(kind, "error")] += 1
            self.metrics.erp_errors += 1
        self.last_error = message
        log.warning("%s cycle failed: %s", kind, message)

    def _record(self, kind: str, report) -> None:
        with self.metrics.lock:
            self.metrics.cycles[(kind, "ok")] += 1
            self.metrics.decisions.update(report.decisions)
            for write, _ in report.done:
                self.metrics.writes[write.operation.value] += 1
            self.metrics.write_seconds += getattr(report, "write_seconds", 0.0)
            self.metrics.write_count += len(report.done)
            if report.insurer is not None:
                self.metrics.insurer_errors += len(getattr(report.insurer, "errors", []) or [])
            self.metrics.last_cycle = time.time()
        self.last_error = None
        self.last_ok = time.time()
        log.info("%s cycle: %d customers, %d writes", kind, report.customers, len(report.done))

    def health(self) -> tuple[int, dict]:
        body = {"status": "ok" if self.last_error is None else "error", "last_cycle_ok": self.last_ok,
                "error": self.last_error,
                "pending_changes": len(self._pending) + (self._anonymous is not None) + self._inflight}
        return (200 if self.last_error is None and self.last_ok is not None else 503), body


def _handler(service: Service):
    class Handler(BaseHTTPRequestHandler):
        server_version = "creditguard"
        sys_version = ""

        def log_message(self, fmt, *args):          # requests are counted in /metrics, not printed
            log.debug("%s " + fmt, self.address_string(), *args)

        def do_GET(self):
            if self.path == "/health":
                status, body = service.health()
                return self._send(status, json.dumps(body), "application/json")
            if self.path == "/metrics":
                return self._send(200, service.metrics.text(), "text/plain; version=0.0.4")
            return self._send(404, json.dumps({"error": "no such endpoint: GET /health, /metrics; POST /webhook"}),
                              "application/json")

        def do_POST(self):
            if self.path != "/webhook":
                return self._send(404, json.dumps({"error": "no such endpoint: POST /webhook"}), "application/json")
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                return self._refuse(413 if length > MAX_BODY else 400, "length", "body too large or no length")
            body = self.rfile.read(length)
            given = self.headers.get(SIGNATURE_HEADER) or ""
            if not given or not hmac.compare_digest(given.strip(), sign(service.secret, body)):
                return self._refuse(401, "signature", f"missing or wrong {SIGNATURE_HEADER} (HMAC-SHA256 of the "
                                                      f"body with the shared secret)")
            try:
                change = parse_change(body)
            except BadChange as exc:
                return self._refuse(400, "malformed", str(exc))
            service.receive(change)
            return self._send(202, json.dumps({"queued": True}), "application/json")

        def _refuse(self, status, reason, message):
            with service.metrics.lock:
                service.metrics.rejected[reason] += 1
            return self._send(status, json.dumps({"error": message}), "application/json")

        def _send(self, status, text, kind):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
