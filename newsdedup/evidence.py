"""Pair evidence: what is known about a candidate pair of articles, as columns, and the fitted
scorers that turn it into the probability that the two report one event, or one storyline.

Every candidate pair the LSH indexes offer gets the same evidence, computed in bulk with numpy:
text similarity at three grains (the whole text, the lead, the headline), the names and figures
both have, the sentences both carry, how much of one text's shingles the other has, the dates
(and whether each is known), the lengths, whether one source ran both, and how the pair ranks
among each article's own candidates (a story's write-ups are each other's nearest neighbours; a
topic's articles are merely near).

The scorers are logistic regressions over these columns. Their weights are fitted by
``scripts/fit_levels.py`` on hand-judged pairs (reuters-2017, bbc-2005) and METER's story labels,
and shipped here as numbers: scoring needs numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .arrays import unique_first_counts
from .match.measures import csr_cosines, csr_overlaps
from .model import Article
from .sketch import FeatureTable, is_term, tokens
from .sketch.csr import owners, pointers
from .tuning import TUNING


@dataclass(frozen=True)
class Vectors:
    """A CSR matrix of L2-normalised TF-IDF rows (one per article)."""

    ptr: np.ndarray
    ids: np.ndarray
    w: np.ndarray

    def cosines(self, firsts: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return csr_cosines(self.ptr, self.ids, self.w, firsts, seconds)


def _weigh(ptr: np.ndarray, ids: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> Vectors:
    """Sublinear tf times idf, each row L2-normalised."""
    owner = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    weight = (1.0 + np.log(np.maximum(counts, 1).astype(np.float64))) * idf[ids]
    norms = np.sqrt(np.bincount(owner, weights=weight * weight, minlength=len(ptr) - 1))
    norms[norms == 0.0] = 1.0
    return Vectors(ptr, ids.astype(np.int32), weight / norms[owner])


def _count_rows(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR (pointers, unique ids in first-seen order, counts) of lists of ids."""
    lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(lens.sum()))
    if not len(flat):
        return pointers(np.zeros(len(rows), np.int64)), flat, flat
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
    span = int(flat.max()) + 1
    keys, first, counts = np.unique(owner * span + flat, return_index=True, return_counts=True)
    order = np.lexsort((first, keys // span))
    keys, counts = keys[order], counts[order]
    ptr = np.searchsorted(keys // span, np.arange(len(rows) + 1)).astype(np.int64)
    return ptr, keys % span, counts


@dataclass(frozen=True)
class ArticleVectors:
    """Each article's text as TF-IDF vectors at three grains (see :func:`article_vectors`)."""

    full: Vectors  # every term of the text and header headline
    lead: Vectors  # the first TUNING.lead_terms terms of the body
    head: Vectors  # the headline's terms (whatever the headline's source)


def article_vectors(
    articles: Sequence[Article], table: FeatureTable, counts: np.ndarray
) -> ArticleVectors:
    """TF-IDF without the matcher's caps and burst scaling: sublinear tf, and the run's idf
    smoothed by the language's (:meth:`newsdedup.background.WordModel.idf`), so a run of five files is
    weighed as a large one would be. Measured against the run's plain idf
    (``log((1 + n) / (1 + df)) + 1``), refitted each way: tiny METER folders with the derived
    pair together at event 58 -> 73 of 100, reuters-2017 event precision 0.73 -> 0.79 at recall
    0.54 -> 0.52, bbc-2005 0.79 / 0.80 -> 0.80 / 0.78. ``counts`` are the table's raw term
    counts (``table.w_counts`` before weighing)."""
    n = len(table)
    df = np.bincount(table.w_ids, minlength=len(table.vocab))
    idf = np.zeros(len(table.vocab), dtype=np.float64)
    used = np.flatnonzero(df)
    # the run's own language model, all its terms at once
    idf[used] = table.language.idfs([table.vocab[t] for t in used.tolist()], df[used], n)
    full = _weigh(table.w_ptr, table.w_ids, counts, idf)
    # each term of the run's vocabulary by its id (tokens that are no term are not in it)
    term_id = {t: i for i, t in enumerate(table.vocab) if is_term(t)}
    # each lead (the body's first terms) as the features were built; headlines tokenised here
    # (the table holds only a headline given in the header)
    heads = [_term_ids(art.headline.value or "", term_id) for art in articles]
    lp, li, lc = _count_csr(table.lead_ptr, table.lead_ids)
    hp, hi, hc = _count_rows(heads)
    # a lead or headline term the full texts never saw (a lead headline's words are in the
    # body) weighs as a term in one article
    idf_ext = np.r_[idf, float(idf.max(initial=1.0))]
    return ArticleVectors(full, _weigh(lp, li, lc, idf_ext), _weigh(hp, hi, hc, idf_ext))


def _count_csr(ptr: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_count_rows` of CSR rows (``ids[ptr[i]:ptr[i + 1]]``), the same arrays, without
    a Python int per entry."""
    flat = ids.astype(np.int64)
    rows = len(ptr) - 1
    if not len(flat):
        return pointers(np.zeros(rows, np.int64)), flat, flat
    span = int(flat.max()) + 1
    keys, first, counts = unique_first_counts(owners(ptr) * span + flat)
    order = np.lexsort((first, keys // span))
    keys, counts = keys[order], counts[order]
    at = np.searchsorted(keys // span, np.arange(rows + 1)).astype(np.int64)
    return at, keys % span, counts


def _term_ids(text: str, term_id: dict[str, int]) -> list[int]:
    """The term ids of ``text``'s tokens, in order."""
    return [i for t in tokens(text) if (i := term_id.get(t)) is not None]


#: the evidence columns, in the order the fitted weights use
COLUMNS = (
    "cosine",  # TF-IDF cosine of the whole texts (article_vectors' weights)
    "lead",  # … of the leads
    "head",  # … of the headlines
    "matcher_cosine",  # the matcher's burst-weighted cosine
    "names",  # specifics (names, figures) both have, over the fewer of the two
    "names_n",  # log(1 + number of specifics both have)
    "passages",  # sentences both carry, over the fewer of the two
    "containment",  # word shingles of the smaller text found in the other
    "both_dated",  # 1 when both dates are known
    "gap",  # days apart (capped), 0 unless both dated
    "same_day",  # both dated, on one day
    "length",  # log of the shorter over the longer text's length
    "rank",  # log of the pair's worse rank among each article's candidates by cosine
    "rank_best",  # log of its better rank
    "slots",  # the smaller share of a headline's slots (names, tickers) found in the other text
)


@dataclass(frozen=True)
class PairEvidence:
    """The evidence of many candidate pairs (``firsts[k]`` < ``seconds[k]``), as columns."""

    firsts: np.ndarray
    seconds: np.ndarray
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.firsts)

    def matrix(self) -> np.ndarray:
        return np.column_stack([self.columns[c] for c in COLUMNS]).astype(np.float64)

    def take(self, keep: np.ndarray) -> PairEvidence:
        return PairEvidence(
            self.firsts[keep], self.seconds[keep], {k: v[keep] for k, v in self.columns.items()}
        )


def ranks(firsts: np.ndarray, seconds: np.ndarray, score: np.ndarray, n: int) -> np.ndarray:
    """Each pair's rank (1 = best) among the candidates of ``firsts`` and of ``seconds`` by
    ``score``: a (pairs × 2) array. Equal scores share the better rank (1, 1, 3), so a rank never
    depends on the order of the input (identical files tie)."""
    ends = np.r_[firsts, seconds]
    both = np.r_[score, score]
    order = np.lexsort((-both, ends))
    e, v = ends[order], both[order]
    new = np.r_[True, (e[1:] != e[:-1]) | (v[1:] != v[:-1])]
    first_of_run = np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))
    starts = np.searchsorted(e, np.arange(n))
    place = np.empty(len(order), dtype=np.int64)
    place[order] = first_of_run - starts[e] + 1
    return np.column_stack([place[: len(firsts)], place[len(firsts) :]])


def gather(
    articles: Sequence[Article],
    table: FeatureTable,
    vectors: ArticleVectors,
    firsts: np.ndarray,
    seconds: np.ndarray,
    *,
    matcher_cosine: np.ndarray,
    shared: np.ndarray,
    containment: np.ndarray,
    days: np.ndarray,
    undated: int,
    slots: tuple[np.ndarray, np.ndarray],
) -> PairEvidence:
    """The evidence of each pair, in bulk. ``shared`` is the number of sentences each pair
    carries both, ``containment`` the share of the smaller text's shingles in the other,
    ``days`` each article's day number (``undated`` for none), ``slots`` the CSR (pointers,
    term ids) of each article's headline slots."""
    cos = vectors.full.cosines(firsts, seconds)
    lead = vectors.lead.cosines(firsts, seconds)
    head = vectors.head.cosines(firsts, seconds)
    spec_len = np.diff(table.spec_ptr)
    common = csr_overlaps(table.spec_ptr, table.spec_ids, firsts, seconds)
    fewer = np.maximum(1, np.minimum(spec_len[firsts], spec_len[seconds]))
    pcount = np.diff(table.ps_ptr)
    pfew = np.maximum(1, np.minimum(pcount[firsts], pcount[seconds]))
    da, db = days[firsts], days[seconds]
    dated = (da != undated) & (db != undated)
    gap = np.where(dated, np.minimum(np.abs(da - db), TUNING.gap_cap), 0)
    tok = table.tokens.astype(np.float64)
    ta, tb = np.maximum(tok[firsts], 1.0), np.maximum(tok[seconds], 1.0)
    rk = np.minimum(ranks(firsts, seconds, cos, len(articles)), TUNING.rank_cap)
    words = (table.w_ptr, table.w_ids)
    s_ptr, s_ids = slots
    s_len = np.diff(s_ptr)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover_a = np.where(
            s_len[firsts] > 0,
            csr_overlaps(s_ptr, s_ids, firsts, seconds, words) / np.maximum(s_len[firsts], 1),
            1.0,
        )
        cover_b = np.where(
            s_len[seconds] > 0,
            csr_overlaps(s_ptr, s_ids, seconds, firsts, words) / np.maximum(s_len[seconds], 1),
            1.0,
        )
    cols = {
        "cosine": cos,
        "lead": lead,
        "head": head,
        "matcher_cosine": matcher_cosine.astype(np.float64),
        "names": common / fewer,
        "names_n": np.log1p(common),
        "passages": np.minimum(1.0, shared / pfew),
        "containment": containment.astype(np.float64),
        "both_dated": dated.astype(np.float64),
        "gap": gap.astype(np.float64),
        "same_day": (dated & (gap == 0)).astype(np.float64),
        "length": np.log(np.minimum(ta, tb) / np.maximum(ta, tb)),
        "rank": np.log(rk.max(axis=1).astype(np.float64)),
        "rank_best": np.log(rk.min(axis=1).astype(np.float64)),
        "slots": np.minimum(cover_a, cover_b),
    }
    return PairEvidence(firsts, seconds, cols)


@dataclass(frozen=True)
class Scorer:
    """A logistic regression over :data:`COLUMNS` (standardised by ``mean`` and ``scale``)."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float  # the probability a link needs at this level

    def probability(self, ev: PairEvidence) -> np.ndarray:
        if not len(ev):
            return np.zeros(0, dtype=np.float64)
        x = (ev.matrix() - np.asarray(self.mean)) / np.asarray(self.scale)
        z = x @ np.asarray(self.weights) + self.bias
        p: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return p
