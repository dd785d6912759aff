"""One writer per machine format, and :func:`write_records`, the one place that picks it.

``json``: one document ``{"schema_version", "command", "<items>": [...], "skipped": [...]}``
written as the items are produced; ``jsonl``: one item a line; ``csv`` (RFC 4180, CRLF line
ends, formula-safe) and ``tsv`` (tab, newline, CR and backslash escaped): a header row and one
row per item.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO

from ..errors import UsageError
from ..ingest import real_path
from ..model import Skipped
from . import SCHEMA_VERSION
from .safe import csv_safe, tsv_safe

#: a record of any command's schema (see :mod:`.records`)
Record = Mapping[str, object]


def write_json_document(
    out: IO[str], command: str, key: str, items: Iterable[Record], skipped: Sequence[Skipped]
) -> None:
    """One JSON document, written as the items are produced (no list held in memory twice)."""
    out.write("{")
    out.write(f'"schema_version": {SCHEMA_VERSION}, "command": {json.dumps(command)}')
    out.write(f", {json.dumps(key)}: [")
    for i, item in enumerate(items):
        out.write(",\n  " if i else "\n  ")
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
    out.write('\n], "skipped": ')
    out.write(json.dumps([s.to_dict() for s in skipped], ensure_ascii=False))
    out.write("}\n")


def write_jsonl(out: IO[str], items: Iterable[Record]) -> None:
    for item in items:
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
        out.write("\n")


def write_csv(out: IO[str], columns: Sequence[str], rows: Iterable[Record]) -> None:
    """RFC 4180, CRLF line ends so that a CR or LF in a cell is quoted; formula-safe."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([csv_safe(r.get(c)) for c in columns])


def write_tsv(out: IO[str], columns: Sequence[str], rows: Iterable[Record]) -> None:
    """Tab-separated; tab, newline, CR and backslash in cells escaped; formula-safe."""
    out.write("\t".join(columns) + "\n")
    for r in rows:
        out.write("\t".join(tsv_safe(r.get(c)) for c in columns) + "\n")


def write_table(out: IO[str], columns: Sequence[str], rows: Iterable[Record], sep: str) -> None:
    """CSV (``sep=','``) or TSV (any other ``sep``)."""
    (write_csv if sep == "," else write_tsv)(out, columns, rows)


#: the machine formats this module writes
MACHINE_FORMATS = ("json", "jsonl", "csv", "tsv")


def write_records(
    out: IO[str],
    fmt: str,
    command: str,
    key: str,
    records: Iterable[Record],
    skipped: Sequence[Skipped],
    columns: Sequence[str] = (),
    rows: Callable[[], Iterable[Record]] | None = None,
) -> None:
    """Write a command's records in a machine format. ``key`` names the list in the JSON
    document; ``columns`` are the table's (a command with none has no csv/tsv); ``rows``, if
    given, makes the table's rows when they differ from the records (timeline: one per source)."""
    records = (with_real_paths(r) for r in records)
    skipped = [Skipped(real_path(s.path), s.reason) for s in skipped]
    if fmt == "json":
        write_json_document(out, command, key, records, skipped)
    elif fmt == "jsonl":
        write_jsonl(out, records)
    elif fmt in ("csv", "tsv") and columns:
        table = (with_real_paths(r) for r in rows()) if rows else records
        write_table(out, columns, table, "," if fmt == "csv" else "\t")
    else:
        raise UsageError(f"{command} writes no {fmt!r} format")


#: the fields of the records that hold a path
PATH_FIELDS = frozenset({"path", "base", "path_a", "path_b"})


def with_real_paths(record: Record) -> Record:
    """The record with its paths as the files are really named: the machine formats hold any
    text (JSON escapes a newline, CSV quotes it, TSV escapes it), so a name with a newline or a
    tab is written as it is, not in the escaped form the text formats print."""
    out = dict(record)
    for name, value in record.items():
        if name in PATH_FIELDS and isinstance(value, str):
            out[name] = real_path(value)
        elif name == "sources" and isinstance(value, list):
            out[name] = [with_real_paths(v) if isinstance(v, dict) else v for v in value]
    return out
