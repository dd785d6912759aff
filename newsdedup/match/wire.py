"""Wire rules: links that wire copy's conventions make, whatever the text says. Pages,
substitutes and follow-ups of one story share its slug; a flash (a headline with a placeholder
body) is followed within hours by the full story."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from typing import cast

from ..model import Article, LinkKind
from ..settings import Settings
from ..sketch import Features, is_term, tokens
from ..tuning import TUNING
from .link import Link
from .rules import rare


def flash_links(
    articles: list[Article],
    feats: list[Features],
    sources: list[str | None],
    clock: list[float | None],
) -> dict[tuple[int, int], Link]:
    """A flash (a headline with a placeholder body) joins the full story its source sent
    within hours: the one whose text covers most of the flash's headline, names and figures
    included. Bodies that say nothing cannot link any other way."""
    # each source's articles with a time, in time order: a flash looks only at its window
    by_source: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for i, f in enumerate(feats):
        src, when = sources[i], clock[i]
        if src is not None and when is not None and f.tokens > TUNING.flash_max_tokens:
            by_source[src].append((when, i))
    for timeline in by_source.values():
        timeline.sort()
    out: dict[tuple[int, int], Link] = {}
    words_of: dict[int, frozenset[str]] = {}  # made when a flash first looks at an article
    for i, f in enumerate(feats):
        src, when = sources[i], clock[i]
        if f.tokens > TUNING.flash_max_tokens or src is None or when is None:
            continue
        words = [t for t in dict.fromkeys(tokens(articles[i].headline.value or "")) if is_term(t)]
        slots = rare(words, f.language)
        if len(words) < TUNING.flash_min_words:
            continue
        best: tuple[float, float, int] | None = None
        timeline = by_source.get(src, [])
        lo = bisect_left(timeline, (when - TUNING.flash_hours, -1))
        hi = bisect_right(timeline, (when + TUNING.flash_hours, len(feats)))
        for at, j in timeline[lo:hi]:
            gap = abs(at - when)
            have = words_of.get(j)
            if have is None:
                have = words_of[j] = feats[j].words
            if any(t not in have for t in slots):
                continue  # a name or figure of the flash is missing: cheapest test first
            cover = sum(t in have for t in words) / len(words)
            if cover < TUNING.flash_cover:
                continue
            if best is None or (-cover, gap, j) < (-best[0], best[1], best[2]):
                best = (cover, gap, j)
        if best is not None:
            a, b = sorted((i, best[2]))
            out[(a, b)] = Link(a, b, LinkKind.FLASH, round(best[0], 4), 0.0, 0.0, 0, 0.0)
    return out


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
