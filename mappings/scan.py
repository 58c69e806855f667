"""The light scan of a snapshot file's top level: where each small value and each record list lies.

It never parses a record: it finds the keys of the top-level object, the byte range of each small value,
and cuts each record list into pieces of about CHUNK_BYTES at record boundaries (`}` `,` `{`), so the
pieces can be validated apart, in any process. A separator inside a text can fool the cut; the piece
then is not valid JSON, and the reader falls back to reading the file whole (mappings/snapshot.py)."""
from __future__ import annotations

import json
import re

__all__ = ["scan", "Unscannable", "CHUNK_BYTES"]

CHUNK_BYTES = 4 << 20
_WS = re.compile(rb"\s*")
_KEY = re.compile(rb'"(?:[^"\\]|\\.)*"')
_ARRAY_END = re.compile(rb"\}\s*\]")
_SEPARATOR = re.compile(rb"\}\s*,\s*(?=\{)")


class Unscannable(Exception):
    """The light scan could not follow the file: let pydantic read it whole."""


def scan(raw: bytes, record_lists) -> dict:
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
            chunks, pos = _record_chunks(raw, pos + 1)
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


def _record_chunks(raw, pos):
    start = _skip(raw, pos)
    if raw[start:start + 1] == b"]":
        return [], start + 1
    end = _ARRAY_END.search(raw, start)
    if not end:
        raise Unscannable()
    last = end.start() + 1                  # just after the last record's closing brace
    chunks = []
    while True:
        cut = _SEPARATOR.search(raw, min(start + CHUNK_BYTES, last), last)
        if cut is None:
            chunks.append((start, last))
            return chunks, end.end()
        chunks.append((start, cut.start() + 1))
        start = cut.end()


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
