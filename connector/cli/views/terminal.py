"""Text for a terminal: safe (no control characters from ERP data), measured in columns (wide CJK characters
count two, via wcwidth), fitted and wrapped to the terminal's width, coloured only where that is welcome."""
from __future__ import annotations

import os
import shutil
import unicodedata

from wcwidth import wcswidth, wcwidth

__all__ = ["clean", "width", "fit", "wrap", "columns", "colour_wanted", "paint", "count"]

_UNSAFE = {"Cc", "Cf", "Zl", "Zp"}          # controls, format (bidi overrides), line and paragraph separators
_COLOURS = {"red": "31", "yellow": "33", "bold": "1"}


def clean(text) -> str:
    """`text` with every control or format character written as an escape (\\x1b, \\u202e): a customer name
    can neither split a table row nor send colour codes to the terminal."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch == " " or unicodedata.category(ch) not in _UNSAFE else _escape(ch) for ch in text)


def _escape(ch) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def width(text: str) -> int:
    """Columns `text` takes on a terminal (after clean())."""
    found = wcswidth(text)
    return found if found >= 0 else sum(max(wcwidth(ch), 0) for ch in text)


def fit(text: str, columns: int) -> str:
    """`text` cut to `columns` (ending in …) and padded with spaces to exactly `columns`."""
    if width(text) <= columns:
        return text + " " * (columns - width(text))
    out, used = [], 0
    for ch in text:
        w = max(wcwidth(ch), 0)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (columns - 1 - used)


def wrap(text: str, columns: int) -> list[str]:
    """`text` in lines of at most `columns`, broken at spaces where it can be (a long word is cut)."""
    columns = max(columns, 10)
    lines, line, used = [], [], 0
    for word in text.split(" "):
        w = width(word)
        if line and used + 1 + w > columns:
            lines.append(" ".join(line))
            line, used = [], 0
        while w > columns:                               # a word longer than a line
            head = fit(word, columns).rstrip()[:-1]
            lines.append(head)
            word = word[len(head):]
            w = width(word)
        line.append(word)
        used += w + (1 if len(line) > 1 else 0)
    if line:
        lines.append(" ".join(line))
    return lines or [""]


def columns(stream) -> int | None:
    """The width to draw for: $COLUMNS, else the terminal's own when `stream` is one, else None (a file or a
    pipe: no wrapping, one line per reason)."""
    if os.environ.get("COLUMNS", "").isdigit() or getattr(stream, "isatty", lambda: False)():
        return max(40, shutil.get_terminal_size((100, 24)).columns)
    return None


def colour_wanted(stream) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"\033[{_COLOURS[colour]}m{text}\033[0m" if enabled else text


def count(n: int, what: str) -> str:
    """'1 customer', '12,345 customers'."""
    return f"{n:,} {what}{'' if n == 1 else 's'}"
