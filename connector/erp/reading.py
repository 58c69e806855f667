"""What every ERP reader does alike: the session's company in a stream's domain, the related records of a
page (read by id, in chunks), and the bookmark after a page."""
from __future__ import annotations

import datetime as dt

__all__ = ["domain_for", "read_related", "bookmark_after", "CHUNK"]

CHUNK = 1000


def domain_for(stream, company) -> list:
    """The stream's domain with "$company" replaced by the session's company id."""
    return [_substitute(clause, company) for clause in stream.domain]


def _substitute(clause, company):
    if isinstance(clause, list):
        return [_substitute(part, company) for part in clause]
    return company if clause == "$company" else clause


def read_related(stream, records, read_by_ids) -> dict:
    """{related name: {ERP id: record}} for a page; `read_by_ids(model, ids, fields)` reads a chunk."""
    found: dict = {}
    for related in stream.related:
        head, _, field = related.source.partition(".")
        rows = found[head].values() if field else records
        ids = sorted({i for row in rows for i in _ids(row.get(field or head))})
        found[related.name] = {}
        for start in range(0, len(ids), CHUNK):
            for row in read_by_ids(related.model, ids[start:start + CHUNK], list(related.read)):
                found[related.name][row["id"]] = row
    return found


def _ids(value) -> list[int]:
    """The record ids in a relation value: an id, a list of ids, or a many2one [id, name]."""
    if value is None or value is False:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def bookmark_after(stream, records, parse=lambda v: v) -> str | None:
    """The bookmark after these records: their latest replication value (`parse`d to a datetime), ISO text."""
    if not stream.replication_key:
        return None
    values = [parse(r.get(stream.replication_key)) for r in records if r.get(stream.replication_key)]
    latest = max(values, default=None)
    return latest.isoformat() if isinstance(latest, (dt.date, dt.datetime)) else latest
