"""Stage 4: one run of the matcher, a short composition: features and term weights, the
candidate pairs of every index, the rules over them (in bulk, then pair by pair), the wire
rules, and two-hop candidates checked too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ..arrays import unique
from ..model import Article
from ..settings import Settings
from ..sketch import Features, FeatureTable, Permutations, build_features, weigh_terms, with_weights
from ..tuning import TUNING
from .indexes import DocumentIndex, DuplicateIndex, PassageIndex, TermIndex
from .link import Link, day_number, hours
from .lsh import UNDATED, group_rows, pair_codes
from .measures import approx_jaccard, pair_cosines, shared_sentences
from .rules import (
    HeadlineRows,
    Pair,
    could_link,
    headline_rows,
    headlines_agree_bulk,
    shares_distinctive_bulk,
    verify,
    with_specifics,
)
from .wire import flash_links, slug_links

Progress = Callable[[str, int, int], None]


@dataclass
class MatchRun:
    """One run's matching state: the feature columns, the dates and sources of the articles,
    the MinHash signatures and the candidate pairs every index offered."""

    articles: list[Article]
    settings: Settings
    table: FeatureTable
    counts: np.ndarray  # raw term counts of table.w_ids (kept before weighing)
    feats: list[Features]
    days: list[int | None]
    day_arr: np.ndarray
    sources: list[str | None]
    clock: list[float | None]
    doc_sigs: np.ndarray
    sizes: np.ndarray
    passages: PassageIndex
    candidates: np.ndarray

    @property
    def n(self) -> int:
        return len(self.table)

    @cached_property
    def heads(self) -> HeadlineRows:
        """Each article's headline slots and template words as rows of term ids."""
        return headline_rows(self.table, self.feats)

    def shares(self, codes: np.ndarray) -> np.ndarray:
        """Sentences each pair shares (0 for pairs the passage index did not offer)."""
        return self.passages.shares(codes)


def prepare(
    articles: list[Article],
    settings: Settings,
    progress: Progress | None = None,
    table: FeatureTable | None = None,
) -> MatchRun:
    """Features, term weights and the candidate pairs of every index (``table``: the features
    of ``articles`` when they were built elsewhere, on a Dask cluster)."""
    if table is None:
        table = build_features(articles, settings.shingle_size, progress, settings.jobs)
    counts = table.w_counts  # raw counts, kept: the weighed table drops them
    days = [day_number(a) for a in articles]
    table = with_weights(table, weigh_terms(table, days))
    n = len(table)
    # date-window blocking: dated articles further apart than the window link only when
    # near-identical, which the document LSH finds; the term and passage indexes, whose buckets
    # grow with the archive, offer only pairs within the window
    day_arr = np.fromiter((UNDATED if d is None else d for d in days), dtype=np.int64, count=n)
    near = (day_arr, settings.window_days)
    doc = DocumentIndex(table, Permutations(settings.num_perm, settings.seed))
    passages = PassageIndex(table, settings.seed, near)
    indexes = (DuplicateIndex(table), doc, TermIndex(table, settings.seed, near), passages)
    candidates = unique(np.concatenate([index.pairs() for index in indexes]))
    return MatchRun(
        articles, settings, table, counts, [table.row(i) for i in range(n)], days, day_arr,
        [art.publisher() for art in articles], [hours(art) for art in articles],
        doc.sigs, np.diff(table.sh_ptr), passages, candidates,
    )  # fmt: skip


def find_links(
    articles: list[Article], settings: Settings, progress: Progress | None = None
) -> list[Link]:
    """All verified links between the articles, sorted by (a, b)."""
    return rule_links(prepare(articles, settings, progress), progress)


def rule_links(run: MatchRun, progress: Progress | None = None) -> list[Link]:
    """The links of the rules (reprint, shared passages, same facts, slug, flash), with
    two-hop candidates checked too, sorted by (a, b)."""
    found: dict[tuple[int, int], Link] = {}
    check_pairs(run, run.candidates, found, progress)
    for extra in (
        slug_links(run.articles, run.days, run.settings),
        flash_links(run.articles, run.feats, run.sources, run.clock, run.table),
    ):
        for key, link in extra.items():
            if key not in found or found[key].score < link.score:
                found[key] = link
    hops = two_hops(found, run.n)
    check_pairs(run, hops[~np.isin(hops, run.candidates, assume_unique=True)], found, progress)
    return [found[k] for k in sorted(found)]


def two_hops(found: dict[tuple[int, int], Link], n: int) -> np.ndarray:
    """Articles that both link to a third are candidates too (bounded by degree²)."""
    adj: dict[int, list[int]] = defaultdict(list)
    for a, b in found:
        adj[a].append(b)
        adj[b].append(a)
    return pair_codes(
        group_rows([nb for nb in adj.values() if len(nb) <= TUNING.hop_max_degree]), n
    )


@dataclass(frozen=True)
class PairColumns:
    """The bulk measures of pairs ``codes`` (sorted) that the rules read."""

    codes: np.ndarray
    firsts: np.ndarray
    seconds: np.ndarray
    approx: np.ndarray  # float32: MinHash estimate of the shingle Jaccard
    cos: np.ndarray  # the term cosine verify is given (0 where either has no weighed term)
    weighed: np.ndarray  # both articles have weighed terms
    shares: np.ndarray
    agree: np.ndarray  # headlines_agree
    distinctive: np.ndarray  # shares_distinctive

    def possible(self, run: MatchRun) -> np.ndarray:
        """Positions of the pairs some rule could link (:func:`could_link`) and whose
        headlines agree (:func:`verify` links no other)."""
        sizes = run.sizes
        la, lb = sizes[self.firsts], sizes[self.seconds]
        small, large = np.minimum(la, lb), np.maximum(la, lb)
        could = could_link(small, large, self.approx, self.cos, run.settings.threshold)
        return np.flatnonzero(could & self.agree)


def pair_columns(run: MatchRun, codes: np.ndarray) -> PairColumns:
    firsts, seconds = codes // run.n, codes % run.n
    weighed = np.diff(run.table.t_ptr) > 0
    both = weighed[firsts] & weighed[seconds]
    cos = np.where(both, pair_cosines(run.table, firsts, seconds), 0.0)
    return PairColumns(
        codes, firsts, seconds, approx_jaccard(run.doc_sigs, firsts, seconds), cos, both,
        run.shares(codes), headlines_agree_bulk(run.heads, firsts, seconds),
        shares_distinctive_bulk(run.table, firsts, seconds),
    )  # fmt: skip


def pair_facts(run: MatchRun, cols: PairColumns, k: int) -> Pair:
    """What :func:`verify` needs of pair ``k`` of ``cols``."""
    a, b = int(cols.firsts[k]), int(cols.seconds[k])
    da, db = run.days[a], run.days[b]
    gap = None if da is None or db is None else abs(da - db)
    sources = run.sources
    same_source = sources[a] is not None and sources[a] == sources[b]
    if same_source and gap:
        # one source on two days: a new item, unless hours apart across midnight
        ha, hb = run.clock[a], run.clock[b]
        same_source = ha is None or hb is None or abs(ha - hb) >= TUNING.same_source_hours
    cos = float(cols.cos[k]) if cols.weighed[k] else 0  # cosine()'s int 0
    shared = int(cols.shares[k])
    return Pair(
        a, b, run.feats[a], run.feats[b], shared, gap, same_source, float(cols.approx[k]), cos,
        bool(cols.agree[k]), bool(cols.distinctive[k]),
    )  # fmt: skip


def check_pairs(
    run: MatchRun,
    codes: np.ndarray,
    found: dict[tuple[int, int], Link],
    progress: Progress | None = None,
) -> None:
    """Verify the pairs ``codes`` (sorted: links are found in (a, b) order) into ``found``;
    the pairs no rule could link are dropped in bulk first."""
    cols = pair_columns(run, codes)
    for step, k in enumerate(cols.possible(run).tolist()):
        if progress is not None and step % 1024 == 0:
            progress("verify", k, len(codes))
        p = pair_facts(run, cols, k)
        link = verify(p, run.settings)
        if link is None:
            continue
        if p.gap_days is not None and p.gap_days > run.settings.window_days:
            # outside the window the passage index was not asked: count them here
            link = replace(link, passages=shared_sentences(p.fa, p.fb))
        found[(p.a, p.b)] = with_specifics(link, run.table)
