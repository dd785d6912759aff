"""Wire rules: links that wire copy's conventions make, whatever the text says. Pages,
substitutes and follow-ups of one story share its slug; a flash (a headline with a placeholder
body) is followed within hours by the full story."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import cast

import numpy as np

from ..model import Article, LinkKind
from ..settings import Settings
from ..sketch import Features, FeatureTable, is_term, tokens
from ..sketch.csr import pointers
from ..tuning import TUNING
from .link import Link
from .rules import rare


def flash_links(
    articles: list[Article],
    feats: list[Features],
    sources: list[str | None],
    clock: list[float | None],
    table: FeatureTable,
) -> dict[tuple[int, int], Link]:
    """A flash (a headline with a placeholder body) joins the full story its source sent
    within hours: the one whose text covers most of the flash's headline, names and figures
    included. Bodies that say nothing cannot link any other way. The articles of a flash's
    window are looked up in the run's term postings, all at once."""
    # each source's articles with a time, in time order: a flash looks only at its window
    by_source: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for i, f in enumerate(feats):
        src, when = sources[i], clock[i]
        if src is not None and when is not None and f.tokens > TUNING.flash_max_tokens:
            by_source[src].append((when, i))
    windows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for src, timeline in by_source.items():
        timeline.sort()
        windows[src] = (
            np.array([at for at, _ in timeline], dtype=np.float64),
            np.array([j for _, j in timeline], dtype=np.int64),
        )
    out: dict[tuple[int, int], Link] = {}
    postings: _Postings | None = None  # made when the first flash looks
    for i, f in enumerate(feats):
        src, when = sources[i], clock[i]
        if f.tokens > TUNING.flash_max_tokens or src is None or when is None:
            continue
        words = [t for t in dict.fromkeys(tokens(articles[i].headline.value or "")) if is_term(t)]
        slots = rare(words, f.language)
        if len(words) < TUNING.flash_min_words or src not in windows:
            continue
        times, members = windows[src]
        lo = int(np.searchsorted(times, when - TUNING.flash_hours, side="left"))
        hi = int(np.searchsorted(times, when + TUNING.flash_hours, side="right"))
        if lo >= hi:
            continue
        if postings is None:
            postings = _Postings(table)
        near = members[lo:hi]
        # a name or figure of the flash missing: out (an unknown word is in no article)
        ok = np.ones(len(near), dtype=bool)
        for t in slots:
            ok &= postings.has(t, near)
        found = np.zeros(len(near), dtype=np.int64)
        for t in words:
            found += postings.has(t, near)
        cover_all = found / len(words)  # as sum(...) / len(words) divides: the same values
        keep = np.flatnonzero(ok & (cover_all >= TUNING.flash_cover))
        best: tuple[float, float, int] | None = None
        for k in keep.tolist():
            j, cover = int(near[k]), float(cover_all[k])
            gap = abs(float(times[lo + k]) - when)
            if best is None or (-cover, gap, j) < (-best[0], best[1], best[2]):
                best = (cover, gap, j)
        if best is not None:
            a, b = sorted((i, best[2]))
            out[(a, b)] = Link(a, b, LinkKind.FLASH, round(best[0], 4), 0.0, 0.0, 0, 0.0)
    return out


class _Postings:
    """The articles each term of the run occurs in (sorted), from the table's word rows."""

    def __init__(self, table: FeatureTable) -> None:
        ids = table.w_ids.astype(np.int64)
        owner = np.repeat(np.arange(len(table), dtype=np.int64), np.diff(table.w_ptr))
        order = np.lexsort((owner, ids))
        self.articles = owner[order]
        self.ptr = pointers(np.bincount(ids, minlength=len(table.vocab)))
        self.index = {t: k for k, t in enumerate(table.vocab)}

    def has(self, term: str, which: np.ndarray) -> np.ndarray:
        """Whether each article of ``which`` has ``term`` among its words."""
        k = self.index.get(term)
        if k is None:
            return np.zeros(len(which), dtype=bool)
        post = self.articles[self.ptr[k] : self.ptr[k + 1]]
        if not len(post):
            return np.zeros(len(which), dtype=bool)
        at = np.minimum(np.searchsorted(post, which), len(post) - 1)
        hit: np.ndarray = post[at] == which
        return hit


_SLUG_VERSIONS = frozenset(
    [
        "substitute",
        "sub",
        "correction",
        "correct",
        "corrected",
        "corrects",
        "update",
        "updated",
        "updates",
        "urgent",
        "advisory",
        "nightlead",
        "lead",
        "newlead",
        "writethru",
        "background",
        "bgd",
        "q",
        "adds",
        "add",
        "insert",
        "repeat",
        "repeats",
        "refile",
        "recasts",
        "wrap",
        "glance",
    ]
)


def slug_key(slug: str) -> str | None:
    """The story part of a wire slug: desk and keyword, without version words
    (``COURTS Care Substitute`` → ``courts care``)."""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", slug.lower()) if w not in _SLUG_VERSIONS]
    if not words:
        return None
    return " ".join(words[:2])


def slug_links(
    articles: list[Article], days: list[int | None], settings: Settings
) -> dict[tuple[int, int], Link]:
    """Pages, substitutes and follow-ups of one wire story share its slug on the same day."""
    groups: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for i, art in enumerate(articles):
        if art.slug.value and days[i] is not None:
            key = slug_key(art.slug.value)
            source = art.publisher() or ""
            if key:
                day = cast(int, days[i])  # not None: tested above
                groups[(source, key, day // max(1, settings.window_days + 1))].append(i)
    out: dict[tuple[int, int], Link] = {}
    for members in groups.values():
        if len(members) > TUNING.slug_max_group:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                out[(a, b)] = Link(a, b, LinkKind.SAME_SLUG, TUNING.slug_score, 0.0, 0.0, 0, 0.0)
    return out
