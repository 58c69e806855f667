"""Recorded ERP answers: record the JSON-RPC exchanges of a real server, replay them without one.

A cassette is a JSON document {"recorded_on": DATE, "exchanges": [{"request", "status", "body"}, ...]}: each
request as matched, the answer as received. Secrets never reach the file: a login's password and session token are replaced by
placeholders, and no header is kept. Replay matches a request by its URL and body, with the values that
change from run to run (a password, a token, the time of a write, the request id) masked on both sides;
a request the cassette does not have fails the test, naming it."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx

SCRUBBED = "<scrubbed>"
_DATETIME = re.compile(r'\{"__class__": "datetime"[^}]*\}')


_ODOO_DATETIME = re.compile(r'"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"')


def _masked(url: str, body: str | None) -> str:
    """The request as matched: passwords, request ids and the times of writes masked."""
    if not body:
        return url
    doc = json.loads(body)
    doc.pop("id", None)
    if doc.get("method") == "common.db.login":                                 # Tryton
        doc["params"][1] = {"password": SCRUBBED}
    params = doc.get("params")
    if isinstance(params, dict) and params.get("service") in ("object", "common") and \
            len(params.get("args") or ()) >= 3 and params.get("method") != "version":   # Odoo: db, uid/login, password
        params["args"] = [*params["args"][:2], SCRUBBED, *params["args"][3:]]
    text = _DATETIME.sub('"<datetime>"', json.dumps(doc, sort_keys=True))
    return url + " " + _ODOO_DATETIME.sub('"<datetime>"', text)


def _scrub_answer(request_body: str | None, body: str) -> str:
    if request_body and json.loads(request_body).get("method") == "common.db.login":
        doc = json.loads(body)
        if isinstance(doc.get("result"), list) and len(doc["result"]) >= 2:
            doc["result"][1] = SCRUBBED                   # the session token
        return json.dumps(doc)
    return body


def _content(request: httpx.Request) -> str | None:
    return request.content.decode() if request.content else None


class Recorder(httpx.HTTPTransport):
    """An httpx transport (connector/http.py `client(transport=...)`) that sends for real and keeps each
    exchange, scrubbed."""

    def __init__(self):
        super().__init__()
        self.exchanges = []

    def handle_request(self, request):
        response = super().handle_request(request)
        response.read()
        body = _content(request)
        self.exchanges.append({"request": _masked(str(request.url), body), "status": response.status_code,
                               "body": _scrub_answer(body, response.content.decode("utf-8", "replace"))})
        return response

    def save(self, path, recorded_on) -> None:
        document = {"recorded_on": recorded_on.isoformat(), "exchanges": self.exchanges}
        Path(path).write_text(json.dumps(document, indent=1) + "\n")


class Replayer(httpx.BaseTransport):
    """An httpx transport answering from a cassette, in the recorded order for repeated requests."""

    def __init__(self, path):
        self.answers: dict[str, list] = {}
        document = json.loads(Path(path).read_text())
        self.recorded_on = document["recorded_on"]
        for exchange in document["exchanges"]:
            self.answers.setdefault(exchange["request"], []).append(exchange)
        self.used = 0

    def handle_request(self, request):
        key = _masked(str(request.url), _content(request))
        queue = self.answers.get(key)
        if not queue:
            raise AssertionError(f"the cassette has no answer to {key[:300]}")
        exchange = queue.pop(0) if len(queue) > 1 else queue[0]
        self.used += 1
        return httpx.Response(exchange["status"], content=exchange["body"].encode(),
                              headers={"Content-Type": "application/json"})


def mount(client, transport) -> None:
    """Route an ERP client's (anything with `.http`, an httpx.Client) requests through `transport`, keeping
    its headers and timeouts."""
    http = client.http
    client.http = httpx.Client(transport=transport, headers=http.headers, timeout=http.timeout)
    http.close()


class NoBookmarks:
    """A store with no bookmark: every stream is read in full."""

    def bookmark(self, stream):
        return None


def replayed_snapshot(session, recorded_on: str):
    """Every stream of `session` read in full, as the snapshot of the day it was recorded: (snapshot, that day)."""
    from creditguard.connector.cycle.sync import build_snapshot, merged_records, read_changes
    as_of = dt.date.fromisoformat(recorded_on)
    changes = read_changes(session.reader, session.streams, NoBookmarks(), full=True)
    return build_snapshot(merged_records(None, changes), as_of=as_of), as_of
