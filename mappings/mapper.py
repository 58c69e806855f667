"""Declarative mappings: one YAML file per stream says which ERP records to read and how they become
canonical records. Loaded and checked at start (file:line errors), checked against the ERP's fields at
connect time, then applied to pages of ERP records.

    stream: invoices                     # name (the store's and the lookups' key)
    model: account.invoice               # the ERP model read
    target: invoice                      # customer | invoice | order | company | currency | payment_term
    domain: [[type, "=", out]]           # the ERP's search domain; "$company" is the session's company id
    replication_key: write_date          # incremental reads: records changed after the bookmark
    customer_field: party                # optional: the field naming the customer (a re-check reads only the
                                         # records of the customers it re-checks)
    page_size: 1000
    read: [lines_to_pay]                 # fields read besides those the map names
    related:                             # other records read with each page, for converters
      lines_to_pay: {model: account.move.line, from: lines_to_pay, read: [maturity_date, debit, credit]}
    split: instalments                   # optional named splitter: one ERP record -> several records
    context: {lang: en_US}               # optional: the ERP call context to read with
    map:                                 # source[, source...] -> target [| converter]
      - _id -> id
      - party -> customer_id | record_id
      - creditguard_hold? -> on_hold     # `?`: read when the ERP has the field (an add-on), else None
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from creditguard.mappings.converters import CONVERTERS, SPLITTERS, MapContext
from creditguard.mappings.odoo import converters as _odoo_converters      # noqa: F401  (they register by name)
from creditguard.mappings.tryton import converters as _tryton_converters  # noqa: F401
from creditguard.mappings.errors import MappingError, SnapshotError, did_you_mean, first_problem
from creditguard.mappings.ids import canonical_id
from creditguard.mappings.models import ROW_MODELS
from creditguard.mappings.yamlsrc import YamlSourceError, parse_yaml

__all__ = ["Stream", "MapLine", "load_stream", "load_mappings", "MAPPINGS_DIR", "TARGETS"]

MAPPINGS_DIR = Path(__file__).parent


TARGETS = ROW_MODELS
LOOKUP_TARGETS = ("company", "currency", "payment_term")
READ_ORDER = ("currency", "payment_term", "company", "customer", "invoice", "order")   # lookups first
_LINE = re.compile(r"^\s*(?P<sources>[\w.]+\??(?:\s*,\s*[\w.]+\??)*)\s*->\s*(?P<target>\w+)\s*"
                   r"(?:\|\s*(?P<converter>\w+))?\s*$")


class _Related(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    model: str
    from_: str = Field(alias="from")
    read: list[str]


class _StreamFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stream: str = Field(pattern=r"^[a-z][a-z_]*$")
    model: str
    target: Literal[tuple(ROW_MODELS)]
    domain: list = []
    replication_key: Optional[str] = None
    customer_field: Optional[str] = None
    page_size: int = Field(1000, ge=1, le=10000)
    read: list[str] = []
    related: dict[str, _Related] = {}
    split: Optional[str] = None
    context: dict = {}
    map: list[str]


@dataclass(frozen=True)
class MapLine:
    sources: tuple
    target: str
    converter: str | None
    line: int

    def value(self, record, ctx):
        values = [record.get(source) for source in self.sources]
        if self.converter is None:
            return values[0]
        return CONVERTERS[self.converter](*values, ctx=ctx)


@dataclass(frozen=True, kw_only=True)
class Related:
    name: str
    model: str
    source: str           # a field of the record, or "<earlier related>.<field>"
    read: tuple
    line: int


@dataclass(frozen=True, kw_only=True)
class Stream:
    """A validated mapping file."""
    name: str
    model: str
    target: str
    domain: list
    replication_key: str | None
    page_size: int
    read: tuple           # every field of `model` to read
    related: tuple        # Related, in reading order
    split: str | None
    lines: tuple          # MapLine
    source: str           # the file, for messages
    line_of: dict         # what -> line in the file
    optional: frozenset = frozenset()   # fields read when the ERP has them (`name? -> target`), else None
    context: dict = None                # the ERP call context to read with (e.g. a language)
    customer_field: str | None = None   # the ERP field (a dotted path allowed) that names the record's customer

    @property
    def is_lookup(self) -> bool:
        return self.target in LOOKUP_TARGETS

    def where(self, what=None) -> str:
        return f"{self.source}:{self.line_of.get(what, 1)}"

    @property
    def models(self) -> tuple[str, ...]:
        """Every ERP model the stream reads: its own, then its related records'."""
        return tuple(dict.fromkeys([self.model, *(r.model for r in self.related)]))

    def fields_to_read(self, fields_of) -> list[str]:
        """The fields of `model` to ask the ERP for: every field read, less optional ones it does not have."""
        known = fields_of(self.model) if self.optional else ()
        return [f for f in self.read if f not in self.optional or f in known]

    def missing_fields(self, fields_of) -> list[tuple[str, str, int]]:
        """(model, field, line in the file) of each required field read that `fields_of(model)` does not list."""
        wanted = [(self.model, f, self.line_of.get(("field", f), 1)) for f in self.read]
        if self.replication_key:
            wanted.append((self.model, self.replication_key, self.line_of.get("replication_key", 1)))
        if self.customer_field and self.customer_field != "id":
            wanted.append((self.model, self.customer_field.split(".")[0], self.line_of.get("customer_field", 1)))
        wanted += [(r.model, f, r.line) for r in self.related for f in r.read]
        known = {}
        for model, _name, _line in wanted:
            if model not in known:
                known[model] = set(fields_of(model))
        return [(model, name, line) for model, name, line in wanted
                if name not in known[model] and not (model == self.model and name in self.optional)]

    def no_such_field(self, model, name, line, known) -> MappingError:
        return MappingError(f"the ERP's model {model} has no field {name!r}", where=f"{self.source}:{line}",
                            hint=did_you_mean(name, known) or "is the ERP add-on installed and up to date?")

    def check_fields(self, fields_of) -> None:
        """Raise MappingError unless every field read exists; `fields_of(model)` gives the ERP's names."""
        for model, name, line in self.missing_fields(fields_of)[:1]:
            raise self.no_such_field(model, name, line, fields_of(model))

    def map_page(self, records, related=None, lookups=None) -> list[tuple[str, list[dict]]]:
        """Map a page of ERP records: [(ERP id, [canonical record dicts]), ...], each checked against the
        target model; a record that does not fit raises SnapshotError naming the ERP model, id and field."""
        related, lookups = related or {}, lookups or {}
        split = SPLITTERS[self.split] if self.split else None
        adapter = _adapter(self.target)
        out = []
        for record in records:
            ctx = MapContext(record, related, lookups, where=f"{self.model} {record.get('id')}")
            parts = split(record, ctx) if split else [record]
            mapped = []
            for part in parts:
                ctx.record = part
                row = {line.target: line.value(part, ctx) for line in self.lines}
                mapped.append(_validated(adapter, row, self, record))
            out.append((canonical_id(record["id"]), mapped))
        return out


def load_mappings(erp: str, directory=None) -> dict[str, Stream]:
    """Every stream of one ERP (`mappings/<erp>/*.yaml`), by name, lookups first."""
    directory = Path(directory) if directory else MAPPINGS_DIR / erp
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise MappingError("no mapping files", where=str(directory))
    streams = {}
    for path in files:
        stream = load_stream(path)
        if stream.name in streams:
            raise MappingError(f"stream {stream.name!r} is also defined in {streams[stream.name].source}",
                               where=stream.where("stream"))
        streams[stream.name] = stream
    return dict(sorted(streams.items(), key=lambda item: READ_ORDER.index(item[1].target)))


def load_stream(path) -> Stream:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"cannot read the mapping: {exc.strerror}", where=source) from None
    data, lines = _parse(text, source)
    try:
        spec = _StreamFile.model_validate(data)
    except ValidationError as exc:
        problem = first_problem(exc)
        return _fail(problem.message + (f" ({problem.path})" if problem.loc else ""), source, lines, problem.loc)
    return _build(spec, source, lines)


def _build(spec, source, lines) -> Stream:
    """The checked Stream of a parsed mapping file: its map lines, the fields it reads, its related records."""
    line_of = {"stream": lines.get(("stream",), 1), "replication_key": lines.get(("replication_key",), 1),
               "customer_field": lines.get(("customer_field",), 1)}
    map_lines, optional = _map_lines(spec, source, lines)
    read = _fields_read(spec, map_lines, lines, line_of)
    related = _related(spec, read, source, lines, line_of)
    return Stream(name=spec.stream, model=spec.model, target=spec.target, domain=spec.domain,
                  replication_key=spec.replication_key, page_size=spec.page_size,
                  read=tuple(read), related=related, split=spec.split, lines=map_lines, source=source, line_of=line_of,
                  optional=optional, context=spec.context,
                  customer_field=spec.customer_field)


def _map_lines(spec, source, lines) -> tuple:
    """Each `source -> target | converter` line, checked against the target model, the converters and the
    splitter's fields; every required target field must be mapped."""
    target_fields = _target_fields(spec.target)
    provides = _splitter(spec, source, lines).provides if spec.split else frozenset()
    map_lines, seen, optional = [], {}, set()
    for i, text in enumerate(spec.map):
        at = ("map", i)
        match = _LINE.match(text)
        if not match:
            _fail(f"{text!r} is not `source -> target` or `source -> target | converter`", source, lines, at)
        sources = tuple(s.strip().rstrip("?") for s in match["sources"].split(","))
        optional.update(s.strip().rstrip("?") for s in match["sources"].split(",") if s.strip().endswith("?"))
        target, name = match["target"], match["converter"]
        if target not in target_fields:
            _fail(f"{spec.target} has no field {target!r}", source, lines, at, did_you_mean(target, target_fields))
        if target in seen:
            _fail(f"{target!r} is already mapped on line {seen[target]}", source, lines, at)
        seen[target] = lines.get(at, 1)
        for s in sources:
            if s.startswith("_") and s not in provides:
                _fail(f"{s!r} is not a field the splitter provides"
                      + (f" ({', '.join(sorted(provides))})" if provides else " (no `split` is set)"),
                      source, lines, at)
        _check_converter(name, sources, source, lines, at)
        map_lines.append(MapLine(sources, target, name, lines.get(at, 1)))
    missing = [f for f, required in target_fields.items() if required and f not in seen]
    if missing:
        _fail(f"the map leaves required {spec.target} field(s) unset: {', '.join(missing)}", source, lines, ("map",))
    return tuple(map_lines), frozenset(optional)


def _splitter(spec, source, lines):
    if spec.split not in SPLITTERS:
        _fail(f"unknown splitter {spec.split!r}", source, lines, ("split",), did_you_mean(spec.split, SPLITTERS))
    return SPLITTERS[spec.split]


def _fields_read(spec, map_lines, lines, line_of) -> list:
    """The model's fields to read: the map's sources, then `read:`; notes each field's line in `line_of`."""
    read = list(dict.fromkeys(s for line in map_lines for s in line.sources if not s.startswith("_")))
    for i, name in enumerate(spec.read):
        line_of.setdefault(("field", name), lines.get(("read", i), 1))
        if name not in read:
            read.append(name)
    for line in map_lines:
        for s in line.sources:
            line_of.setdefault(("field", s), line.line)
    return read


def _related(spec, read, source, lines, line_of) -> tuple:
    """The related records to read with each page, in order; a `from` field of the record is added to `read`."""
    related = []
    for name, rel in spec.related.items():
        at = ("related", name)
        head, _, field = rel.from_.partition(".")
        known = {r.name for r in related}
        if field and head not in known:
            _fail(f"`from: {rel.from_}` names {head!r}, which is not a related entry above this one", source,
                  lines, at + ("from",))
        if not field and head not in read:
            read.append(head)
            line_of.setdefault(("field", head), lines.get(at + ("from",), 1))
        if field and field not in (r for x in related if x.name == head for r in x.read):
            _fail(f"`from: {rel.from_}`: {head} does not read {field!r}", source, lines, at + ("from",))
        related.append(Related(name=name, model=rel.model, source=rel.from_, read=tuple(rel.read),
                               line=lines.get(at, 1)))
    return tuple(related)


def _check_converter(name, sources, source, lines, at):
    if name is None:
        if len(sources) > 1:
            _fail("several sources need a converter to combine them (`a, b -> target | converter`)",
                  source, lines, at)
        return
    if name not in CONVERTERS:
        _fail(f"unknown converter {name!r}", source, lines, at, did_you_mean(name, CONVERTERS))
    wants = [p for p in inspect.signature(CONVERTERS[name]).parameters if p != "ctx"]
    if len(wants) != len(sources):
        _fail(f"converter {name!r} takes {len(wants)} source field(s) ({', '.join(wants)}), "
              f"not {len(sources)}", source, lines, at)


def _target_fields(target) -> dict[str, bool]:
    """Field name -> required, for a target model (pydantic model or pydantic dataclass)."""
    model = TARGETS[target]
    fields = model.model_fields if hasattr(model, "model_fields") else model.__pydantic_fields__
    return {name: info.is_required() for name, info in fields.items()}


_ADAPTERS = {}


def _adapter(target):
    if target not in _ADAPTERS:
        _ADAPTERS[target] = TypeAdapter(TARGETS[target])
    return _ADAPTERS[target]


def _validated(adapter, row, stream, record) -> dict:
    try:
        value = adapter.validate_python(row)
    except ValidationError as exc:
        problem = first_problem(exc)
        raise SnapshotError(f"{problem.message} (got {problem.value!r})",
                            where=f"{stream.model} {record.get('id')}: {problem.path}",
                            hint=f"mapped by {stream.source}") from None
    return adapter.dump_python(value, mode="json")


def _parse(text, source):
    """YAML -> plain data, and the line (1-based) of every value by its path."""
    try:
        doc = parse_yaml(text)
    except YamlSourceError as exc:
        raise MappingError(exc.message, where=f"{source}:{exc.line or 1}") from None
    if doc.data is None:
        raise MappingError("the mapping file is empty", where=f"{source}:1")
    return doc.data, doc.lines


def _fail(message, source, lines, path, hint=None):
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    raise MappingError(message, where=f"{source}:{lines.get(path, 1)}", hint=hint)

