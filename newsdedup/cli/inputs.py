"""The input paths of a run (given, listed with ``--files-from``, or ``-``: an article on
standard input) and the values options give as text (dates, ages)."""

from __future__ import annotations

import os
import re
import sys

import typer

from ..errors import UsageError
from ..ingest import STDIN, display_path


def inputs(
    ctx: typer.Context, paths: list[str] | None, files_from: str | None, null: bool, stored: bool
) -> tuple[list[str], bytes | None]:
    """The input paths: those given, then those listed in --files-from (one a line, or NUL-ended
    with -0); and for a path ``-``, the article read from standard input. Reading from a
    terminal would hang: that is a usage error instead. A path given that does not exist is a
    usage error too (a listed one that vanished is skipped, as a file deleted while running)."""
    out = list(paths or [])
    for p in out:
        if p != STDIN and not os.path.lexists(p):
            raise UsageError(f"{display_path(p)}: No such file or directory")
    if null and files_from is None:
        files_from = "-"
    stdin: bytes | None = None
    if STDIN in out:
        if files_from == "-":
            raise UsageError(
                "standard input can hold a list of paths (--files-from -, -0) or an article"
                " (-), not both"
            )
        if sys.stdin.isatty():
            raise UsageError(
                "standard input is a terminal; pipe an article into it (newsdedup inspect - < FILE)"
            )
        stdin = sys.stdin.buffer.read()
    if files_from is not None:
        if files_from == "-":
            if sys.stdin.isatty():
                raise typer.BadParameter(
                    "standard input is a terminal; pipe a list of paths into it "
                    "(find DIR -type f -print0 | newsdedup … -0)",
                    ctx=ctx,
                    param_hint="--files-from -" if not null else "-0",
                )
            data = sys.stdin.buffer.read()
        else:
            try:
                with open(files_from, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise UsageError(f"--files-from {files_from}: {exc.strerror}") from exc
        sep = b"\0" if null else b"\n"
        for raw in data.split(sep):
            if not null:
                raw = raw.rstrip(b"\r")
            if raw:
                out.append(os.fsdecode(raw))
    if not out and not stored:
        raise typer.BadParameter(
            "no input: give PATHs, --files-from FILE (or -), or --state with a stored corpus",
            ctx=ctx,
            param_hint="PATHS",
        )
    return out, stdin


def iso_date(value: str | None, option: str) -> str | None:
    """``--since``, ``--until``, ``--as-of``: a date as YYYY-MM-DD (None if not given)."""
    if value is None:
        return None
    from ..dates import parse_date

    hit = parse_date(value, dayfirst=None)
    if hit is None or hit.iso is None:
        raise UsageError(f"{option}: not a date: {value!r} (use YYYY-MM-DD)")
    return hit.iso[:10]


def parse_age(text: str) -> int:
    """``--older-than``: an age in days (90d, 12w, 6m of 30 days, 1y)."""
    m = re.fullmatch(r"\s*(\d+)\s*([dwmy]?)\s*", text.lower())
    if not m:
        raise UsageError(f"--older-than: not an age: {text!r} (use e.g. 90d, 12w, 6m, 1y)")
    return int(m.group(1)) * {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}[m.group(2)]
