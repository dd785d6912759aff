"""The times the matcher reads of an article (and :class:`Link`, the record it makes, which
lives with the other records in :mod:`newsdedup.model`)."""

from __future__ import annotations

import datetime as dt

from ..model import Article, Link

__all__ = ["Link", "day_number", "hours"]


def hours(art: Article) -> float | None:
    """The article's time as hours since 0001-01-01 if its date has a time, else None."""
    v = art.date.value
    if not v or len(v) < 16 or v[10] != "T":
        return None
    try:
        h, m = int(v[11:13]), int(v[14:16])
        return dt.date.fromisoformat(v[:10]).toordinal() * 24 + h + m / 60
    except ValueError:
        return None


def day_number(art: Article) -> int | None:
    v = art.date.value
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v[:10]).toordinal()
    except ValueError:
        return None
