"""Text made safe for where it is printed: a terminal, a spreadsheet cell, a TSV cell, markdown.

No control character from an article reaches a terminal; no cell starts a spreadsheet formula;
no article text becomes markdown markup."""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def term_safe(text: str) -> str:
    """Text with every control character (ESC, bidi overrides, …) shown as an escape."""
    return _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def cell_text(value: object) -> str:
    """A table cell's text: None is empty, a list its items separated by spaces."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def csv_safe(value: object) -> str:
    """A cell value that a spreadsheet will not run as a formula (a list: its items by spaces)."""
    text = cell_text(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def tsv_safe(value: object) -> str:
    """A TSV cell: tab, newline, CR and backslash escaped, formula-safe."""
    text = cell_text(value)
    return csv_safe(
        text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def md_safe(text: str) -> str:
    """Markdown-safe text: article text never becomes markup, links or HTML."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", term_safe(text))
