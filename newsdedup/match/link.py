"""A link between two articles, and the times the matcher reads of an article."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model import Article, LinkKind


@dataclass(frozen=True)
class Link:
    """Evidence that articles ``a`` and ``b`` (indices, a < b) tell the same story."""

    a: int
    b: int
    kind: LinkKind
    score: float
    jaccard: float
    containment: float
    passages: int
    cosine: float
    # the evidence a reader can check: names, figures and rare words both articles have
    specifics: tuple[str, ...] = ()
    # the fitted scorers' probabilities that the two report one event, one storyline (see
    # newsdedup.evidence); None where not scored
    p_event: float | None = None
    p_storyline: float | None = None


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
