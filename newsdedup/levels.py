"""Story levels: copies ⊂ events ⊂ storylines, from one run's candidate pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .arrays import unique
from .cluster import Story, cluster
from .evidence import PairEvidence, Scorer, article_vectors, gather
from .match import (
    UNDATED,
    Link,
    MatchRun,
    headline_slots,
    headlines_agree,
    headlines_agree_bulk,
    pair_cosines,
    prepare,
    rule_links,
    set_jaccard_csr,
    with_specifics,
)
from .match.indexes import DuplicateIndex
from .model import Article, LinkKind
from .settings import LEVELS, Settings
from .sketch import Features, FeatureTable
from .tuning import TUNING


def candidate_evidence(run: MatchRun, codes: np.ndarray | None = None) -> PairEvidence:
    """The evidence of the run's candidate pairs (or of ``codes``)."""
    codes = run.candidates if codes is None else codes
    n, table = run.n, run.table
    firsts, seconds = codes // n, codes % n
    vectors = article_vectors(run.articles, table, run.counts)
    # pairs a step: their two shingle sets (~200 hashes each side) stay near 25 MB
    inter, jaccard = set_jaccard_csr(table.sh, table.sh_ptr, firsts, seconds, chunk=8_192)
    small = np.maximum(1, np.minimum(run.sizes[firsts], run.sizes[seconds]))
    shared = run.shares(codes)
    ev = gather(
        run.articles, table, vectors, firsts, seconds,
        matcher_cosine=pair_cosines(table, firsts, seconds),
        shared=shared,
        containment=inter / small,
        days=run.day_arr,
        undated=UNDATED,
        slots=_slot_rows(run),
    )  # fmt: skip
    # what a link of the pair reports besides the columns (not evidence for the scorers)
    ev.columns["jaccard"], ev.columns["shared"] = jaccard, shared
    return ev


def evidence_codes(run: MatchRun, rules: list[Link]) -> np.ndarray:
    """The pairs whose evidence is gathered, as sorted codes: every candidate and every pair the
    rules linked (two hops, slugs, flashes); the candidates hold the identical texts. The
    fitting script gathers the same pairs, so the ranks the scorers were fitted on are those
    they score."""
    ruled = np.array([ln.a * run.n + ln.b for ln in rules], dtype=np.int64)
    return unique(np.concatenate([run.candidates, ruled]))


def _slot_rows(run: MatchRun) -> tuple[np.ndarray, np.ndarray]:
    """Each article's headline slots as CSR rows of term ids."""
    index = {t: i for i, t in enumerate(run.table.vocab)}
    rows = [sorted({index[t] for t in headline_slots(f) if t in index}) for f in run.feats]
    lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(lens.sum()))
    return np.r_[0, np.cumsum(lens)].astype(np.int64), flat


#: link kinds of each level: copies are text reuse (reprints, re-edits, re-sends under one slug,
#: shared passages); an event adds the flash and the event scorer's links; a storyline adds the
#: rules' same-facts links and the storyline scorer's
LEVEL_KINDS: dict[str, frozenset[LinkKind]] = {
    "copy": frozenset({LinkKind.REPRINT, LinkKind.SHARED_PASSAGES, LinkKind.SAME_SLUG}),
}
LEVEL_KINDS["event"] = LEVEL_KINDS["copy"] | {LinkKind.FLASH, LinkKind.SAME_EVENT}
LEVEL_KINDS["storyline"] = LEVEL_KINDS["event"] | {
    LinkKind.SAME_FACTS,
    LinkKind.SHARED_BACKGROUND,
    LinkKind.SAME_STORYLINE,
}


def slots_apart(
    fa: Features, fb: Features, words: Callable[[Features], frozenset[str]] | None = None
) -> bool:
    """Each headline has slots of its own (names, tickers, figures: see
    :func:`match.headline_slots`; words both headlines have are their template) and none of
    them turns up in the other article: two items about different subjects, however alike
    their wording (two companies' dividend notices, two funds' payouts). ``words``: an
    article's word set, when kept for many pairs (:attr:`Features.words` makes one each time)."""
    ha, hb = set(fa.headline), set(fb.headline)
    sa = [t for t in headline_slots(fa) if t not in hb]
    sb = [t for t in headline_slots(fb) if t not in ha]
    if not sa or not sb:
        return False
    wa, wb = (fa.words, fb.words) if words is None else (words(fa), words(fb))
    return not any(t in wb for t in sa) and not any(t in wa for t in sb)


def vetoed(run: MatchRun, firsts: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Which pairs the rules that no score overrides veto (they hold at every level), in
    bulk: headlines whose slots disagree are template items of different companies or hours;
    dated articles further apart than the window, and one source's items on different days,
    are different items unless near-identical (which the reprint rule finds)."""
    agree = headlines_agree_bulk(run.heads, firsts, seconds)
    da, db = run.day_arr[firsts], run.day_arr[seconds]
    apart_days = (da != UNDATED) & (db != UNDATED) & (da != db)
    far = apart_days & (np.abs(da - db) > run.settings.window_days)
    # one source's items on two days with their times known to be a day apart: a recurring
    # item (a daily notice), not a version (a day's date alone may be hours apart across
    # midnight: reuters-2017's next-day S pairs are dated by day only)
    src, clock = _source_codes(run), _clock(run)
    ha, hb = clock[firsts], clock[seconds]
    same_source = (src[firsts] >= 0) & (src[firsts] == src[seconds])
    with np.errstate(invalid="ignore"):  # an unknown time (NaN) is never hours apart
        hours_apart = np.abs(ha - hb) >= TUNING.same_source_hours
    recurring = apart_days & same_source & hours_apart
    out: np.ndarray = ~agree | far | recurring
    # the last rule, per pair, for the pairs the others let through
    feats, kept = run.feats, _words_kept()
    rest = np.flatnonzero(~out)
    pairs = zip(firsts[rest].tolist(), seconds[rest].tolist(), strict=True)
    out[rest] = [slots_apart(feats[a], feats[b], kept) for a, b in pairs]
    return out


def _source_codes(run: MatchRun) -> np.ndarray:
    """Each article's source as a number (-1: none)."""
    codes: dict[str, int] = {}
    return np.fromiter(
        (-1 if s is None else codes.setdefault(s, len(codes)) for s in run.sources),
        dtype=np.int64,
        count=len(run.sources),
    )


def _clock(run: MatchRun) -> np.ndarray:
    """Each article's time in hours (NaN: none)."""
    return np.array([np.nan if h is None else h for h in run.clock], dtype=np.float64)


def _words_kept() -> Callable[[Features], frozenset[str]]:
    """:attr:`Features.words`, each article's made once."""
    kept: dict[int, frozenset[str]] = {}

    def words(f: Features) -> frozenset[str]:
        key = id(f)
        got = kept.get(key)
        if got is None:
            got = kept[key] = f.words
        return got

    return words


def _allowed(
    run: MatchRun, firsts: np.ndarray, seconds: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """Pairs that no rule vetoes (see :func:`vetoed`), checked only where ``wanted``."""
    ok = np.zeros(len(firsts), dtype=bool)
    rows = np.flatnonzero(wanted)
    ok[rows] = ~vetoed(run, firsts[rows], seconds[rows])
    return ok


def _scored_links(
    run: MatchRun,
    ev: PairEvidence,
    p: np.ndarray,
    keep: np.ndarray,
    kind: LinkKind,
    rules: dict[tuple[int, int], Link],
) -> list[Link]:
    """The links of kind ``kind`` of the pairs ``keep``, scored by their probability ``p``,
    with the evidence a reader can check: a rule's link of the pair keeps its figures and
    specifics, a pair only the scorer found gets them from its evidence."""
    rows = np.flatnonzero(keep)
    col = ev.columns
    out = []
    for k, a, b in zip(
        rows.tolist(), ev.firsts[rows].tolist(), ev.seconds[rows].tolist(), strict=True
    ):
        score = round(float(p[k]), 4)
        rule = rules.get((a, b))
        if rule is not None:
            out.append(replace(rule, kind=kind, score=score))
            continue
        link = Link(
            a, b, kind, score, float(col["jaccard"][k]), float(col["containment"][k]),
            int(col["shared"][k]), float(col["matcher_cosine"][k]),
        )  # fmt: skip
        out.append(with_specifics(link, run.table))
    return out


def level_links(run: MatchRun, rules: list[Link], event: Scorer, storyline: Scorer) -> list[Link]:
    """Every link of every level, sorted by (a, b): a pair keeps its finest kind (a copy link
    over an event link over a storyline link), so a level's links are those of its kinds. Every
    link carries both scorers' probabilities."""
    n = run.n
    codes = evidence_codes(run, rules)
    ev = candidate_evidence(run, codes)
    p_event = event.probability(ev)
    p_storyline = storyline.probability(ev)
    at = {
        (ln.a, ln.b): k
        for ln, k in zip(
            rules, np.searchsorted(codes, [ln.a * n + ln.b for ln in rules]).tolist(), strict=True
        )
    }
    # sentences in common are a copy only of the same event: a follow-up that repeats the
    # background paragraphs of an earlier piece, or an item about another subject (the
    # headlines' own slots apart), is another event of its storyline
    feats, kept = run.feats, _words_kept()
    rules = [
        replace(ln, kind=LinkKind.SHARED_BACKGROUND)
        if ln.kind == LinkKind.SHARED_PASSAGES
        and (
            p_event[at[(ln.a, ln.b)]] < event.threshold
            or slots_apart(feats[ln.a], feats[ln.b], kept)
        )
        else ln
        for ln in rules
    ]
    by_pair = {(ln.a, ln.b): ln for ln in rules}
    # identical texts too short for shingle containment (a headline alone) are reprints
    dup = DuplicateIndex(run.table).pairs()
    for a, b in zip((dup // n).tolist(), (dup % n).tolist(), strict=True):
        old = by_pair.get((a, b))
        fa, fb = feats[a], feats[b]
        differ = not headlines_agree(fa, fb) or slots_apart(fa, fb, kept)  # two companies' notices
        if not differ and (old is None or old.kind not in LEVEL_KINDS["copy"]):
            by_pair[(a, b)] = Link(a, b, LinkKind.REPRINT, 1.0, 1.0, 1.0, 0, 0.0)
    rules = list(by_pair.values())
    is_event, is_line = p_event >= event.threshold, p_storyline >= storyline.threshold
    ok = _allowed(run, ev.firsts, ev.seconds, is_event | is_line)  # each pair checked once
    scored = [
        *_scored_links(run, ev, p_event, is_event & ok, LinkKind.SAME_EVENT, by_pair),
        *_scored_links(run, ev, p_storyline, is_line & ok, LinkKind.SAME_STORYLINE, by_pair),
    ]
    rank = {kind: 0 for kind in LEVEL_KINDS["copy"]}
    rank.update({kind: 1 for kind in LEVEL_KINDS["event"] - LEVEL_KINDS["copy"]})
    found: dict[tuple[int, int], Link] = {}
    for ln in [*rules, *scored]:
        key = (ln.a, ln.b)
        old = found.get(key)
        if old is None or rank.get(ln.kind, 2) < rank.get(old.kind, 2):
            found[key] = ln
    keys = sorted(found)
    where = np.searchsorted(codes, np.array([a * n + b for a, b in keys], dtype=np.int64))
    return [
        replace(
            found[key],
            p_event=round(float(p_event[k]), 4),
            p_storyline=round(float(p_storyline[k]), 4),
        )
        for key, k in zip(keys, where.tolist(), strict=True)
    ]


def stories_at(
    articles: list[Article], links: list[Link], settings: Settings, level: str
) -> tuple[list[Link], list[Story]]:
    """The links and stories of one level. Stories are built from the finest level up (each
    level merges the stories of the one below), so copies nest in events and events in
    storylines; every story carries the id of its storyline."""
    found: dict[str, list[Story]] = {}
    within: list[list[int]] | None = None
    for name in LEVELS:
        kinds = LEVEL_KINDS[name]
        found[name] = cluster(articles, [ln for ln in links if ln.kind in kinds], settings, within)
        within = [s.members for s in found[name]]
    line_of = {m: s.id for s in found["storyline"] for m in s.members}
    for s in found[level]:
        s.storyline = line_of[s.base]
    return [ln for ln in links if ln.kind in LEVEL_KINDS[level]], found[level]


def find_links(
    articles: list[Article],
    settings: Settings,
    progress: Callable[[str, int, int], None] | None = None,
    table: FeatureTable | None = None,
) -> list[Link]:
    """Every link of every level between the articles (see :func:`level_links`); ``table``:
    their features, when built elsewhere (on a Dask cluster)."""
    from .levels_weights import EVENT, STORYLINE

    run = prepare(articles, settings, progress, table)
    return level_links(run, rule_links(run, progress), EVENT, STORYLINE)
