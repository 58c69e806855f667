"""Read YAML (policies, mappings) into plain data and keep the line of every value, for messages that say where."""
from __future__ import annotations

from pathlib import Path

import yaml


class YamlSourceError(Exception):
    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


class Located:
    """Plain data from a YAML document, and the line (1-based) of each value by its path."""

    def __init__(self, data, lines: dict):
        self.data = data
        self.lines = lines

    def line(self, path) -> int | None:
        """The line of the value at `path`, or of its nearest parent that has one."""
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


def load_yaml(path) -> Located:
    text = Path(path).read_text(encoding="utf-8")
    return parse_yaml(text)


def parse_yaml(text: str) -> Located:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise YamlSourceError(f"not valid YAML: {exc.problem}", line) from None
    lines: dict = {}
    data = _convert(node, (), lines) if node is not None else None
    return Located(data, lines)


def _convert(node, path, lines):
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path + ("<key>",), {})
            if not isinstance(key, (str, int)):
                raise YamlSourceError("a mapping key must be a plain word", key_node.start_mark.line + 1)
            if key in result:
                raise YamlSourceError(f"key {key!r} appears twice", key_node.start_mark.line + 1)
            result[key] = _convert(value_node, path + (key,), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), lines) for i, item in enumerate(node.value)]
    return yaml.SafeLoader(" ").construct_object(node, deep=True) if node.tag != "tag:yaml.org,2002:str" \
        else node.value
