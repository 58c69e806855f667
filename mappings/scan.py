"""The light scan of a snapshot file's top level: where each small value and each record list lies.

It never parses a record: it finds the keys of the top-level object, the byte range of each small value,
and cuts each record list into pieces of about CHUNK_BYTES at record boundaries (`}` `,` `{`), so the
pieces can be validated apart, in any process. A separator inside a text can fool the cut; the piece
then is not valid JSON, and the reader falls back to reading the file whole (mappings/snapshot.py)."""
from __future__ import annotations

import functools
import json
import re

__all__ = ["scan", "Unscannable", "CHUNK_BYTES"]

CHUNK_BYTES = 4 << 20
_WS = re.compile(rb"\s*")
_KEY = re.compile(rb'"(?:[^"\\]|\\.)*"')
_SEPARATOR = re.compile(rb"\}\s*,\s*(?=\{)")


class Unscannable(Exception):
    """The light scan could not follow the file: let pydantic read it whole."""


@functools.lru_cache(maxsize=None)
def _array_end(top_keys: tuple):
    """A record list's end: "}]" followed by the next top-level key or the file's end (a "}]" inside a record,
    e.g. at the end of an invoice's payments, is followed by one of the record's own keys or its "}")."""
    keys = b"|".join(re.escape(k.encode()) for k in top_keys)
    return re.compile(rb'\}\s*\](?=\s*(?:,\s*"(?:' + keys + rb')"\s*:|\}\s*$))')


def scan(raw: bytes, record_lists, top_keys=()) -> dict:
    """{key: ("value", start, end)} for small values, {key: ("records", [(start, end), ...])} for lists."""
    layout = {}
    pos = _skip(raw, 0)
    if raw[pos:pos + 1] != b"{":
        raise Unscannable()
    pos = _skip(raw, pos + 1)
    while raw[pos:pos + 1] != b"}":
        m = _KEY.match(raw, pos)
        if not m:
            raise Unscannable()
        key = json.loads(m.group())
        if key in layout:
            raise Unscannable()
        pos = _skip(raw, m.end())
        if raw[pos:pos + 1] != b":":
            raise Unscannable()
        pos = _skip(raw, pos + 1)
        if key in record_lists and raw[pos:pos + 1] == b"[":
            chunks, pos = _record_chunks(raw, pos + 1, _array_end(tuple(top_keys) or tuple(record_lists)))
            layout[key] = ("records", chunks)
        else:
            end = _value_end(raw, pos)
            layout[key] = ("value", pos, end)
            pos = end
        pos = _skip(raw, pos)
        if raw[pos:pos + 1] == b",":
            pos = _skip(raw, pos + 1)
        elif raw[pos:pos + 1] != b"}":
            raise Unscannable()
    if _skip(raw, pos + 1) != len(raw):
        raise Unscannable()
    return layout


def _record_chunks(raw, pos, array_end):
    start = _skip(raw, pos)
    if raw[start:start + 1] == b"]":
        return [], start + 1
    end = array_end.search(raw, start)
    if not end:
        raise Unscannable()
    last = end.start() + 1                  # just after the last record's closing brace
    chunks = []
    while True:
        cut = _record_boundary(raw, start, min(start + CHUNK_BYTES, last), last)
        if cut is None:
            chunks.append((start, last))
            return chunks, end.end()
        chunks.append((start, cut.start() + 1))
        start = cut.end()


def _record_boundary(raw, start, search_from, last):
    """The first "}, {" after `search_from` that lies between records: a "}, {" inside a record (a list of
    objects, e.g. an invoice's payments) is not; the braces since the piece's `start` balance only between
    records (a brace inside a text can still mislead this: that piece is invalid JSON, and the file is then
    read whole)."""
    cut = _SEPARATOR.search(raw, search_from, last)
    counted, depth = start, 0
    while cut is not None:
        depth += raw.count(b"{", counted, cut.start() + 1) - raw.count(b"}", counted, cut.start() + 1)
        counted = cut.start() + 1
        if depth == 0:
            return cut
        cut = _SEPARATOR.search(raw, cut.end(), last)
    return None


def _value_end(raw, pos, window=4096):
    decoder = json.JSONDecoder()
    while True:
        text = raw[pos:pos + window].decode("utf-8", "ignore")
        try:
            _, end = decoder.raw_decode(text)
            return pos + len(text[:end].encode("utf-8"))
        except ValueError:
            if pos + window >= len(raw):
                raise Unscannable() from None
            window *= 4


def _skip(raw, pos):
    return _WS.match(raw, pos).end()
