"""Stage 5: group linked articles into stories without chaining unrelated ones.

Links are merged strongest first (ties broken by article ids, so the result never depends on
input order). Two groups merge only if

* their dated articles stay within ``window_days`` of each other, unless the link is a
  near-identical reprint; and
* the link is *supported*: at least half of the smaller group's articles link to the other
  group. A single bridge article therefore cannot join two stories (A~B and B~C does not make
  A~C on its own).

A story's id is derived from the content of its base article (the member most strongly linked
to the rest), so it is the same on every run and does not change when unrelated files are added.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from .match import Link, day_number
from .model import Article
from .settings import Settings
from .tuning import TUNING


@dataclass
class Story:
    id: str
    members: list[int]  # article indices, base first, then by date and path
    base: int
    relation: dict[int, Link | None] = field(
        default_factory=dict
    )  # member → link to base (or best)
    # how tightly the members hang together: the mean link score over all pairs of members,
    # a missing link counting 0 (1.0 for a single article). A chain A~B~C with no A~C scores
    # low; a story of reprints near 1.
    cohesion: float = 1.0
    storyline: str = ""  # id of the storyline the story belongs to (its own at that level)


def cluster(
    articles: list[Article],
    links: list[Link],
    settings: Settings,
    within: list[list[int]] | None = None,
) -> list[Story]:
    """Stories of the articles; ``within`` (the groups of a finer level) are taken as they
    are and only merged, so every group of ``within`` lies inside one story."""
    n = len(articles)
    parent = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    days = [day_number(a) for a in articles]
    lo = {i: d for i, d in enumerate(days) if d is not None}
    hi = dict(lo)
    for group in within or []:
        root = group[0]
        for m in group[1:]:
            parent[m] = root
            members[root].extend(members.pop(m))
        known = [d for d in (days[m] for m in group) if d is not None]
        for m in group[1:]:
            lo.pop(m, None)
            hi.pop(m, None)
        if known:
            lo[root], hi[root] = min(known), max(known)
    adj: dict[int, dict[int, float]] = defaultdict(dict)
    for ln in links:
        adj[ln.a][ln.b] = ln.score
        adj[ln.b][ln.a] = ln.score

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ids = [a.id for a in articles]
    order = sorted(links, key=lambda ln: (-ln.score, ids[ln.a], ids[ln.b], ln.a, ln.b))
    for ln in order:
        ra, rb = find(ln.a), find(ln.b)
        if ra == rb:
            continue
        near = ln.jaccard >= TUNING.near_identical  # near-identical texts link at any gap
        if not near and not _within_window(ra, rb, lo, hi, settings.window_days):
            continue
        small, large = (ra, rb) if len(members[ra]) <= len(members[rb]) else (rb, ra)
        if not _supported(members[small], members[large], adj):
            continue
        parent[small] = large
        members[large].extend(members.pop(small))
        for table, pick in ((lo, min), (hi, max)):
            vals = [table[r] for r in (small, large) if r in table]
            if vals:
                table[large] = pick(vals)
    by_pair = {(ln.a, ln.b): ln for ln in links}
    stories = [_story(group, articles, by_pair, adj) for group in members.values()]
    stories.sort(key=lambda s: (_first_day(s, days), s.id))
    return stories


def _supported(small: list[int], large: list[int], adj: dict[int, dict[int, float]]) -> bool:
    """Whether two groups (two single articles always) link enough to be one story: most of
    the smaller links into the larger, enough of the larger links back, and the links between
    them are not too weak on average."""
    if len(small) == 1 and len(large) == 1:
        return True
    big, little = set(large), set(small)
    support = sum(1 for m in small if adj[m].keys() & big)
    if support < TUNING.support * len(small):
        return False
    back = sum(1 for m in large if adj[m].keys() & little)
    if back < TUNING.support * min(len(large), TUNING.back_span * len(small)):
        return False
    total = sum(w for m in small for o, w in adj[m].items() if o in big)
    return total >= TUNING.linkage * len(big) * len(little)


def _within_window(ra: int, rb: int, lo: dict[int, int], hi: dict[int, int], window: int) -> bool:
    if ra not in lo or rb not in lo:
        return True
    return max(hi[ra], hi[rb]) - min(lo[ra], lo[rb]) <= window


def _first_day(story: Story, days: list[int | None]) -> tuple[bool, int]:
    """Sort key of a story by its first dated day; stories without a date come last."""
    known = [d for d in (days[m] for m in story.members) if d is not None]
    return (not known, min(known, default=0))


def _story(
    group: list[int],
    articles: list[Article],
    by_pair: dict[tuple[int, int], Link],
    adj: dict[int, dict[int, float]],
) -> Story:
    def link(x: int, y: int) -> Link:
        return by_pair[(x, y) if x < y else (y, x)]

    # each member's linked members, in the group's order (sums added in that order): its
    # links, not every other member (a storyline of hundreds of members was quadratic)
    pos = {m: i for i, m in enumerate(group)}
    linked: dict[int, list[int]] = (
        {group[0]: []}
        if len(group) == 1
        else {
            m: sorted(
                (
                    o
                    for o in adj.get(m, ())
                    if o in pos and ((m, o) if m < o else (o, m)) in by_pair
                ),
                key=pos.__getitem__,
            )
            for m in group
        }
    )
    strength = {m: sum(link(m, o).score for o in linked[m]) for m in group}
    base = min(group, key=lambda m: (-round(strength[m], 9), articles[m].doc.sha256))
    rest = sorted(
        (m for m in group if m != base),
        key=lambda m: (
            articles[m].date.value is None,
            articles[m].date.value or "",
            articles[m].path,
        ),
    )
    relation: dict[int, Link | None] = {base: None}
    for m in rest:
        direct = by_pair.get((base, m) if base < m else (m, base))
        if direct is None:
            options = [link(m, o) for o in linked[m]]
            direct = max(options, key=lambda ln: ln.score) if options else None
        relation[m] = direct
    sid = "s" + hashlib.sha256(articles[base].doc.sha256.encode()).hexdigest()[:10]
    pairs = len(group) * (len(group) - 1) // 2
    total = sum(strength.values()) / 2  # each link counted from both ends
    cohesion = round(total / pairs, 4) if pairs else 1.0
    return Story(sid, [base, *rest], base, relation, cohesion)
