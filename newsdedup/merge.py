"""Stage 6: one timeline entry per story: date, headline, sources, and a merged text.

The merged text is built by progressive alignment. The base article's sentences come first, in
order; each other article's sentences are matched against the passages so far (word 3-shingles,
found through an index of shingles, never by comparing everything). A matched sentence adds its
source to the passage (and its wording as a variant when it differs); a run of unmatched ones
becomes new passages placed just before that source's next matched passage (at the end if none),
so each source's reading order is kept. Boilerplate never reaches this stage (normalisation removed it).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .cluster import Story
from .match import Link, day_number
from .model import Article, Field, FieldSource
from .sketch import TokenHasher, sentences, tokens
from .sketch.build import segment_shingles
from .sketch.tokens import CUT, sentence_tokens
from .tuning import TUNING

if TYPE_CHECKING:
    from .pipeline import Result

#: stories merged together: their sentences are tokenised and shingled in one pass (the
#: per-call cost of numpy spread over a few thousand sentences), and the bar moves once a
#: block, a few times a second, while a block's arrays stay a few MB
MERGE_BLOCK = 256
# Two sentences are one passage by the matcher's rule (TUNING.passage_threshold over word
# TUNING.passage_shingle-shingles), or when they keep a long stretch verbatim
# (TUNING.merge_min_shared, TUNING.merge_containment).


@dataclass
class Source:
    tag: str  # "A", "B", …
    index: int  # article index in the corpus
    name: str  # outlet, else agency, else path
    article: Article
    date: Field  # own date, or inferred from the story
    relation: Link | None  # link to the base (None for the base)


@dataclass
class Passage:
    text: str  # as the first source to carry it wrote it
    sources: list[str] = field(default_factory=list)  # tags, in source order
    variants: dict[str, str] = field(default_factory=dict)  # tag → wording, where it differs


@dataclass
class Entry:
    story: Story
    date: str | None  # earliest calendar date, or "first/last" for a range
    first_day: str | None
    last_day: str | None
    dates: list[str]  # distinct own dates (calendar days) of the members
    headline: str
    headline_source: str
    sources: list[Source]
    passages: list[Passage]

    @property
    def conflicting_dates(self) -> bool:
        return len(self.dates) > 1


_WEEKDAY = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_YESTERDAY = re.compile(r"\b(?:yesterday|last night)\b", re.I)


def _tags(n: int) -> list[str]:
    out = []
    for i in range(n):
        tag = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            tag = chr(65 + r) + tag
        out.append(tag)
    return out


def infer_date(art: Article, story_days: list[int]) -> Field:
    """A date for an undated article from its story's dated members.

    A weekday the article names ("said Tuesday") picks the story day that falls on it; a
    newspaper's "yesterday" means it ran the day after the story's day; otherwise the story's
    first day. Always marked ``inferred`` with the reasoning as evidence."""
    first = min(story_days)
    text = " ".join(art.body[:6])
    for m in _WEEKDAY.finditer(text):
        name = m.group(1)
        for d in sorted(set(story_days)):
            day = dt.date.fromordinal(d)
            if day.strftime("%A") == name:
                return Field(
                    day.isoformat(),
                    FieldSource.INFERRED,
                    f"says '{name}'; the story's {name} is {day.isoformat()}",
                )
    base = dt.date.fromordinal(first)
    if _YESTERDAY.search(text):
        nxt = base + dt.timedelta(days=1)
        return Field(
            nxt.isoformat(),
            FieldSource.INFERRED,
            f"says 'yesterday' of a story dated {base.isoformat()}",
        )
    return Field(base.isoformat(), FieldSource.INFERRED, f"the story's date ({base.isoformat()})")


def _known_days(story: Story, articles: list[Article]) -> list[int]:
    """The distinct days (ordinals) of a story's dated members, in order."""
    return sorted({d for m in story.members if (d := day_number(articles[m])) is not None})


def member_date(art: Article, known: list[int]) -> Field:
    """An article's date in its story: its own, else inferred from the story's dated days."""
    if art.date.value is None and known:
        return infer_date(art, known)
    return art.date


def article_days(stories: list[Story], articles: list[Article]) -> dict[int, str]:
    """Each dated article's day (YYYY-MM-DD) as the timeline dates it: its own date, else the
    date inferred from its story; articles the timeline leaves undated are not in it. What
    ``index prune`` and ``index stats`` count an article's age by."""
    out: dict[int, str] = {}
    for story in stories:
        known = _known_days(story, articles)
        for m in story.members:
            value = member_date(articles[m], known).value
            if value:
                out[m] = value[:10]
    return out


def build_entry(
    story: Story, articles: list[Article], units: list[list[Unit]] | None = None
) -> Entry:
    """The story's entry; ``units``: its members' :func:`sentence_units`, in member order,
    when worked out in bulk beforehand."""
    known = _known_days(story, articles)
    tags = _tags(len(story.members))
    sources: list[Source] = []
    for tag, m in zip(tags, story.members, strict=True):
        art = articles[m]
        own = member_date(art, known)
        sources.append(Source(tag, m, art.source_name(), art, own, story.relation.get(m)))
    first = dt.date.fromordinal(known[0]).isoformat() if known else None
    last = dt.date.fromordinal(known[-1]).isoformat() if known else None
    if first is None:
        inferred = sorted(s.date.value[:10] for s in sources if s.date.value)
        first = last = inferred[0] if inferred else None
    date = first if first == last else f"{first}/{last}"
    headline, hsource = _headline(story, articles)
    return Entry(
        story, date, first, last, [dt.date.fromordinal(d).isoformat() for d in known],
        headline, hsource, sources, merge_text(sources, units),
    )  # fmt: skip


def _headline(story: Story, articles: list[Article]) -> tuple[str, str]:
    """The base's own headline, else the first member headline given in a header, else the
    base's lead sentence."""
    ordered = [story.base, *[m for m in story.members if m != story.base]]
    for m in ordered:
        h = articles[m].headline
        if h.value and h.source == FieldSource.HEADER:
            return h.value, FieldSource.HEADER
    h = articles[story.base].headline
    return (h.value or articles[story.base].path), (h.source or FieldSource.PATH)


#: a sentence, its tokens' hashes' word shingles (TUNING.passage_shingle-shingles, empty for a
#: sentence without words)
Unit = tuple[str, np.ndarray]


def sentence_units(articles: Sequence[Article], hasher: TokenHasher) -> list[list[Unit]]:
    """Each article's sentences (a paragraph without one: the paragraph) with their word
    shingles, the shingles of every sentence of every article at once: one pass of the token
    pattern and one vectorised shingling instead of a few numpy calls a sentence."""
    texts: list[str] = []
    per_art: list[int] = []
    for art in articles:
        sents = [sent for para in art.body for sent in (sentences(para) or [para])]
        per_art.append(len(sents))
        texts.extend(sents)
    words = sentence_tokens(texts)
    index = {t: i for i, t in enumerate(dict.fromkeys(words))}
    stream = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
    cut = stream == index.get(CUT, -1)
    lengths = np.diff(np.r_[-1, np.flatnonzero(cut)]) - 1  # tokens of each sentence
    hashes = hasher(list(index))[stream[~cut]]
    shingles = segment_shingles(hashes, lengths, TUNING.passage_shingle)
    out: list[list[Unit]] = []
    first = 0
    for count in per_art:
        out.append(
            list(zip(texts[first : first + count], shingles[first : first + count], strict=True))
        )
        first += count
    return out


def merge_text(sources: list[Source], units: list[list[Unit]] | None = None) -> list[Passage]:
    """The story's passages in reading order (see the module's notes). ``units``: each
    source's :func:`sentence_units`, when worked out in bulk beforehand."""
    if units is None:
        units = sentence_units([s.article for s in sources], TokenHasher())
    passages: list[Passage] = []
    shingles: list[np.ndarray] = []
    index: dict[int, set[int]] = defaultdict(set)
    order: list[int] = []  # passage ids in reading order
    last = len(sources) - 1

    def add(text: str, sh: np.ndarray, tag: str, indexed: bool) -> int:
        pid = len(passages)
        passages.append(Passage(text, [tag]))
        shingles.append(sh)
        if indexed:  # the last source's passages are never looked up
            for h in sh.tolist():
                index[h].add(pid)
        return pid

    for n, (src, own_units) in enumerate(zip(sources, units, strict=True)):
        # 1. match every sentence of this source against the passages so far (the first
        #    source has none to match)
        matched: list[tuple[str, np.ndarray, int]] = []  # (sentence, shingles, pid or -1)
        taken: set[int] = set()
        own: set[bytes] = set()
        for sent, sh in own_units:
            key = sh.tobytes() if len(sh) else sent.encode()
            if key in own:
                continue  # a sentence repeated within one source is shown once
            own.add(key)
            best = _best_match(sh, index, shingles, taken) if n and len(sh) else -1
            if best >= 0:
                taken.add(best)
            matched.append((sent, sh, best))
        # 2. matched sentences join their passage. Only matches in the same order in both texts
        #    (the longest increasing run of positions) anchor placement: each run of unmatched
        #    sentences goes right before the source's next anchor (a trailing run at the end)
        if n == 0:  # nothing to match: every sentence is a new passage, in order
            order = [add(sent, sh, src.tag, n < last) for sent, sh, _ in matched]
            continue
        pos = {pid: i for i, pid in enumerate(order)}
        anchors = _monotone([pos[b] for _, _, b in matched if b >= 0])
        before: dict[int, list[int]] = {}
        pending: list[int] = []
        k = -1
        for sent, sh, best in matched:
            if best < 0:
                pending.append(add(sent, sh, src.tag, n < last))
                continue
            k += 1
            p = passages[best]
            p.sources.append(src.tag)
            if _norm(sent) != _norm(p.text):
                p.variants[src.tag] = sent
            if pending and k in anchors:
                before[best] = pending
                pending = []
        if before:
            order = [x for pid in order for x in (*before.get(pid, ()), pid)]
        order.extend(pending)
    return [passages[i] for i in order]


def _monotone(positions: list[int]) -> set[int]:
    """Indices of a longest strictly increasing subsequence of ``positions`` (patience sort)."""
    tails: list[int] = []  # smallest tail value of an increasing run of each length
    tail_idx: list[int] = []
    prev = [-1] * len(positions)
    for i, pos in enumerate(positions):
        j = bisect.bisect_left(tails, pos)
        if j == len(tails):
            tails.append(pos)
            tail_idx.append(i)
        else:
            tails[j] = pos
            tail_idx[j] = i
        prev[i] = tail_idx[j - 1] if j else -1
    out: set[int] = set()
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.add(i)
        i = prev[i]
    return out


def _best_match(
    sh: np.ndarray, index: dict[int, set[int]], shingles: list[np.ndarray], taken: set[int]
) -> int:
    """The passage most like this sentence, not already taken by the same source; -1 if none.
    A match has Jaccard ≥ 0.5, or keeps a long stretch verbatim (≥ 8 shared shingles covering
    half of the shorter sentence)."""
    counts: dict[int, int] = defaultdict(int)
    for h in sh.tolist():
        for pid in index.get(h, ()):
            counts[pid] += 1
    best, best_j = -1, 0.0
    for pid in sorted(counts):
        if pid in taken:
            continue
        inter = counts[pid]
        j = inter / (len(sh) + len(shingles[pid]) - inter)
        near = inter >= TUNING.merge_min_shared and inter >= TUNING.merge_containment * min(
            len(sh), len(shingles[pid])
        )
        if (j >= TUNING.passage_threshold or near) and j > best_j:
            best, best_j = pid, j
    return best


def _norm(text: str) -> str:
    return " ".join(tokens(text))


def timeline(
    result: Result,
    since: str | None = None,
    until: str | None = None,
    dups_only: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Entry]:
    """Entries in date order (undated stories last), the stories of one storyline together in
    the place of its first, filtered as asked.

    ``since``/``until`` (ISO dates, inclusive) keep stories whose span overlaps them; undated
    stories are left out when either is given. ``dups_only`` keeps stories of several articles."""
    articles = result.corpus.articles
    entries = []
    wanted = [s for s in result.stories if not dups_only or len(s.members) >= 2]
    total, done = len(result.stories), len(result.stories) - len(wanted)
    hasher = TokenHasher()  # one cache of token hashes for the whole timeline
    for lo in range(0, len(wanted), MERGE_BLOCK):
        block = wanted[lo : lo + MERGE_BLOCK]
        units = sentence_units([articles[m] for s in block for m in s.members], hasher)
        first = 0
        for story in block:
            own = units[first : first + len(story.members)]
            first += len(story.members)
            entry = build_entry(story, articles, own)
            if since or until:
                if entry.first_day is None:
                    continue
                if since and (entry.last_day or "") < since:
                    continue
                if until and entry.first_day > until:
                    continue
            entries.append(entry)
        if progress is not None:
            progress("merge", done + lo + len(block), total)
    if progress is not None and not wanted:
        progress("merge", total, total)
    entries.sort(key=lambda e: (e.first_day is None, e.first_day or "", e.story.id))
    # the events of one storyline together, in the place of its first (at the storyline level
    # each story is its own storyline: date order as above)
    place: dict[str, int] = {}
    for n, e in enumerate(entries):
        place.setdefault(e.story.storyline or e.story.id, n)
    entries.sort(key=lambda e: place[e.story.storyline or e.story.id])  # stable: dates within
    return entries
