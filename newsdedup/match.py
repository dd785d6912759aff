"""Stage 4: candidate pairs from MinHash LSH over three signatures, verified by exact scores.

Candidates never come from comparing all pairs: each signature has its own LSH index (datasketch
MinHash signatures, banded with datasketch's optimal (bands, rows) for the threshold, bucketed
with one numpy sort per band), and only the pairs some index returns are scored exactly.
Every link has a kind and a score:

* ``reprint``: the word-shingle sets nearly contain one another (verbatim or lightly edited);
* ``shared passages``: at least two sentences have a near-identical counterpart (one famous
  quote is not enough), with some agreement of terms besides;
* ``same facts``: the TF-IDF cosine of the articles' terms reaches the threshold.

Articles whose dates are more than ``window_days`` apart link only as near-identical texts, so
recurring template stories on different days stay apart.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import cast

import numpy as np

from .arrays import segment_sums, unique, unique_inverse
from .model import Article, LinkKind
from .settings import Settings
from .sketch import (
    PASSAGE_PERM,
    Features,
    FeatureTable,
    Permutations,
    _is_term,
    _ptr,
    build_features,
    cosine,
    jaccard_containment,
    term_hashes,
    tokens,
    weigh_terms,
)

REPRINT_CONTAINMENT = 0.8
APPROX_MARGIN = 0.25  # estimated Jaccard this far below a reprint's need skips the exact check
NEAR_IDENTICAL = 0.9
PASSAGE_THRESHOLD = 0.5
PASSAGE_MAX_DOCS = 25  # a sentence in more articles than this is a stock phrase, not evidence
PASSAGE_MIN_COSINE = 0.08
PASSAGE_MAX_HITS = 4 * PASSAGE_MAX_DOCS
#: days beyond the window over which a sentence may recur and still be a story's own wording
#: (a re-send the next day, a follow-up quoting it); more and it is a standing text
STOCK_SPAN_SLACK = 1
TERMS_MAX_BUCKET = 1000  # a term sampled by more articles than this names no subject
DOC_LSH_THRESHOLD = 0.3
TERMS_SIG_K = 10  # the signature indexes this many of an article's most distinctive terms
HOP_MAX_DEGREE = 60
SLUG_SCORE = 0.8
SAME_SOURCE_HOURS = 20  # one source's items this far apart on different days are different items
SLUG_MAX_GROUP = 100
#: headline words rarer than this (chance that an ordinary news article has them) are its
#: slots: names, tickers, figures, "qtly"; "sets", "dividend", "issues", "loses", "bill" and
#: "says" are template. At 0.02 headline verbs counted as slots and split write-ups of one
#: event (reuters-2017 recall 0.51 -> 0.35); at 0.001 template items slipped through.
HEADLINE_SLOT_MAX_BG = 0.003
#: a headline with fewer slots than this says too little to disagree with anything (two:
#: "NUCOR RAISES QTLY" is too short to tell a company's second notice from a rival's)
HEADLINE_MIN_SLOTS = 3
#: share of one headline's slots that must be exceeded in the other article (half: a re-led
#: write-up keeps the actor and the figure, a template item of another company keeps neither)
HEADLINE_SLOT_COVER = 0.5
#: a body of at most this many words is a flash's placeholder ("Blah blah blah.") or a
#: one-line bulletin: it says too little to link by its text
FLASH_MAX_TOKENS = 30
#: … whose headline has at least this many terms to look for
FLASH_MIN_WORDS = 3
#: the full story follows a flash within hours (minutes to a few hours in wire copy)
FLASH_HOURS = 6.0
#: share of the flash headline's terms the full story must have (every slot: name, figure)
FLASH_COVER = 0.6
EVIDENCE_SPECIFICS = 12  # shared specifics listed with a link (the rest add nothing to read)
MIN_SHARED_TERMS = 1  # same facts: at least this many distinctive terms in common
#: two undated items of one source link as same facts only with this much more cosine and this
#: many shared specifics (names and figures rare in the language and the run). Measured on
#: reuters-2017 (half undated, one source): precision 0.33 -> 0.43 at recall 0.54 -> 0.51; no
#: effect on METER, whose undated newspapers link across outlets.
UNDATED_SAME_SOURCE_MARGIN = 0.04
UNDATED_SAME_SOURCE_SPECIFICS = 1
# One row per band: a pair collides in a band when the band's minimum term is the same in both
# sets (probability = their Jaccard). Two ten-term sets sharing one term (J = 1/19) meet in 64
# bands with probability 1 - (18/19)**64 ≈ 97%; 128 bands add little at twice the index memory.
TERMS_PERM = 64
TERMS_LSH_PARAMS = (64, 1)


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


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's choice of (bands, rows) for a Jaccard threshold, false positives and false
    negatives weighed equally (``datasketch.lsh._optimal_param``), without importing datasketch
    (which pulls in scipy.integrate). The error integrals of every (b, r) are worked out at once
    by Gauss-Legendre quadrature, exact for these polynomials of degree r·b ≤ num_perm (datasketch
    integrates adaptively to 1e-8); the first minimum in datasketch's order wins. A test checks
    the choice against datasketch's own."""
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([b for b, _ in pairs], dtype=np.float64)[:, None]
    rows = np.array([r for _, r in pairs], dtype=np.float64)[:, None]
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(lo: float, hi: float, positive: bool) -> np.ndarray:
        s = (hi - lo) / 2 * nodes[None, :] + (hi + lo) / 2
        collide = 1 - (1 - s**rows) ** bands
        value = collide if positive else 1 - collide
        total: np.ndarray = (value * weights[None, :]).sum(axis=1) * (hi - lo) / 2
        return total

    error = 0.5 * integral(0.0, threshold, True) + 0.5 * integral(threshold, 1.0, False)
    b, r = pairs[int(np.argmin(error))]
    return b, r


_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


#: LSH buckets grouped by size: size k → a (buckets × k) matrix, each row a bucket's members in
#: ascending order. Grouping by size keeps every step vectorised (no Python call per bucket).
Buckets = dict[int, np.ndarray]


def band_buckets(
    sigs: np.ndarray, bands: int, rows: int, valid: np.ndarray | None = None
) -> Buckets:
    """LSH banding, vectorised: for each band, the groups (≥ 2 members) of rows whose band
    values are all equal. It is MinHashLSH's bucketing done with one sort per band instead of a
    Python call per item and band; rows not ``valid`` (empty sets) are left out."""
    ids = np.arange(len(sigs)) if valid is None else np.flatnonzero(valid)
    found: dict[int, list[np.ndarray]] = defaultdict(list)
    if len(ids) < 2:
        return {}
    for band in range(bands):
        key = np.zeros(len(ids), dtype=np.uint64)
        for col in range(band * rows, (band + 1) * rows):
            # a column at a time: a 64-bit copy of the whole matrix was the run's peak at 200k
            key = (key ^ sigs[ids, col].astype(np.uint64)) * _BAND_MIX
            key ^= key >> np.uint64(31)
        order = np.argsort(key, kind="stable")
        sk = key[order]
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        sizes = np.diff(np.r_[starts, len(sk)])
        for k in unique(sizes[sizes > 1]).tolist():
            first = starts[sizes == k]
            found[k].append(ids[order[first[:, None] + np.arange(k)]])
    return {k: np.sort(np.concatenate(found[k]), axis=1) for k in sorted(found)}


def group_rows(groups: list[list[int]] | list[np.ndarray]) -> Buckets:
    """Buckets from plain lists of members (any order)."""
    found: dict[int, list[np.ndarray]] = defaultdict(list)
    for g in groups:
        if len(g) > 1:
            found[len(g)].append(np.sort(np.asarray(g, dtype=np.int64)))
    return {k: np.stack(v) for k, v in sorted(found.items())}


_NO_CODES = np.empty(0, dtype=np.int64)
UNDATED = np.iinfo(np.int64).min // 4  # day number of an undated article in blocking arrays


def pair_codes(
    buckets: Buckets,
    n: int,
    max_size: int | None = None,
    near: tuple[np.ndarray, int] | None = None,
) -> np.ndarray:
    """Every pair (i < j) sharing a bucket as a code ``i * n + j``: sorted, unique, 8 bytes a
    pair (a set of tuples costs over ten times that). Buckets over ``max_size`` are skipped.

    ``near`` = (day of each item, UNDATED for none; window): date-window blocking, pairs of
    dated items more than ``window`` days apart are dropped as they are made."""
    done: list[np.ndarray] = []
    for k, rows in buckets.items():
        if max_size is not None and k > max_size:
            continue
        i, j = np.triu_indices(k, 1)
        m = rows.astype(np.int64)
        step = max(1, 8_000_000 // len(i))  # bounded memory for large buckets
        for lo in range(0, len(m), step):
            part = m[lo : lo + step]
            left, right = part[:, i].ravel(), part[:, j].ravel()
            if near is not None:
                day, window = near
                dl, dr = day[left], day[right]
                keep = (dl == UNDATED) | (dr == UNDATED) | (np.abs(dl - dr) <= window)
                left, right = left[keep], right[keep]
            done.append(unique(left * n + right))
    if not done:
        return _NO_CODES
    return unique(np.concatenate(done))


def set_jaccard(
    sets: list[np.ndarray], firsts: np.ndarray, seconds: np.ndarray, chunk: int = 50_000
) -> tuple[np.ndarray, np.ndarray]:
    """Exact intersection sizes and Jaccard of many pairs of sorted, unique 32-bit hash sets."""
    lengths = np.fromiter((len(x) for x in sets), dtype=np.int64, count=len(sets))
    flat = np.concatenate(sets) if len(sets) else _NO_CODES
    return set_jaccard_csr(flat, _ptr(lengths), firsts, seconds, chunk)


def set_jaccard_csr(
    flat: np.ndarray, ptr: np.ndarray, firsts: np.ndarray, seconds: np.ndarray, chunk: int = 50_000
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`set_jaccard` of the sets ``flat[ptr[i]:ptr[i + 1]]``, vectorised: each pair's two
    sets are tagged with the pair's number, sorted together, and equal neighbours counted."""
    lengths = np.diff(ptr)
    offsets = ptr[:-1]
    flat = flat.astype(np.int64)
    inter = np.zeros(len(firsts), dtype=np.int64)
    for lo in range(0, len(firsts), chunk):
        a, b = firsts[lo : lo + chunk], seconds[lo : lo + chunk]
        tags: list[np.ndarray] = []
        for side in (a, b):
            ln = lengths[side]
            pair = np.repeat(np.arange(len(side), dtype=np.int64), ln)
            # positions of each member: offsets[side] + 0..len-1
            start = np.repeat(offsets[side] - np.r_[0, np.cumsum(ln)[:-1]], ln)
            pos = start + np.arange(int(ln.sum()), dtype=np.int64)
            tags.append((pair << 32) | flat[pos])
        both = np.sort(np.concatenate(tags))
        same = both[1:][both[1:] == both[:-1]] >> 32
        inter[lo : lo + len(a)] = np.bincount(same, minlength=len(a))
    union = lengths[firsts] + lengths[seconds] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return inter, jac


def pair_cosines(table: FeatureTable, firsts: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """The cosine of each pair's term weights, as :func:`newsdedup.sketch.cosine` sums it: over
    the terms of the article with fewer terms (the first on a tie), in that article's order."""
    ptr, ids, w = table.t_ptr, table.t_ids.astype(np.int64), table.t_w
    size = np.diff(ptr)
    swap = size[firsts] > size[seconds]
    small = np.where(swap, seconds, firsts)
    large = np.where(swap, firsts, seconds)
    span = max(1, len(table.vocab))
    out = np.zeros(len(firsts), dtype=np.float64)
    step = 8_192  # pairs a step: their rows (~130 terms each side) stay a few tens of MB
    for lo in range(0, len(firsts), step):
        s, g = small[lo : lo + step], large[lo : lo + step]
        pair = np.arange(len(s), dtype=np.int64)
        s_rows = _rows(ptr, s)
        g_rows = _rows(ptr, g)
        s_pair = np.repeat(pair, size[s])
        g_key = np.repeat(pair, size[g]) * span + ids[g_rows]
        order = np.argsort(g_key, kind="stable")
        g_sorted = g_key[order]
        if not len(g_sorted):
            continue
        s_key = s_pair * span + ids[s_rows]
        at = np.minimum(np.searchsorted(g_sorted, s_key), len(g_sorted) - 1)
        hit = np.flatnonzero(g_sorted[at] == s_key)
        prods = w[s_rows[hit]] * w[g_rows[order[at[hit]]]]
        out[lo : lo + len(s)] = segment_sums(prods, s_pair[hit], len(s))
    return out


def _rows(ptr: np.ndarray, which: np.ndarray) -> np.ndarray:
    """The entry positions of rows ``which`` of a CSR table, row after row."""
    ln = ptr[which + 1] - ptr[which]
    start = np.repeat(ptr[which] - np.r_[0, np.cumsum(ln)[:-1]], ln)
    return start + np.arange(int(ln.sum()), dtype=np.int64)


def _passage_matches(
    table: FeatureTable, seed: int, near: tuple[np.ndarray, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each pair of articles, how many sentences they share: banded LSH at Jaccard ≈ 0.5
    over sentence 3-shingles, every candidate verified exactly (all vectorised). Returns the
    pairs as sorted codes ``a * n + b`` (a < b) and their counts: arrays, not a dict (millions
    of pairs at 200,000 articles)."""
    counts = np.diff(table.ps_ptr)
    total = len(table.sent_ptr) - 1
    if not total:
        return _NO_CODES, _NO_CODES
    n_docs = len(table)
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
    sent_of = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    perms = Permutations(PASSAGE_PERM, seed + 1)
    sigs = perms.signatures_csr(table.sent, table.sent_ptr)
    buckets: Buckets = {}
    for k, rows in band_buckets(sigs, *lsh_params(PASSAGE_THRESHOLD, PASSAGE_PERM)).items():
        # a sentence in many articles is a stock phrase (or a flood of copies): no evidence
        if k > PASSAGE_MAX_HITS:
            continue
        docs = np.sort(doc_of[rows], axis=1)
        distinct = 1 + (docs[:, 1:] != docs[:, :-1]).sum(axis=1)
        ok = distinct <= PASSAGE_MAX_DOCS
        if near is not None:
            # a sentence that recurs over many days is boilerplate (a disclaimer, a standing
            # background paragraph), not the wording of one event
            day = near[0][docs]
            dated = day != UNDATED
            hi = np.where(dated, day, np.iinfo(np.int64).min).max(axis=1)
            lo = np.where(dated, day, np.iinfo(np.int64).max).min(axis=1)
            ok &= ~(dated.sum(axis=1) >= 2) | (hi - lo <= near[1] + STOCK_SPAN_SLACK)
        keep = rows[ok]
        if len(keep):
            buckets[k] = keep
    by_doc = None if near is None else (near[0][doc_of], near[1])
    codes = pair_codes(buckets, total, near=by_doc)
    xs, ys = codes // total, codes % total
    cross = doc_of[xs] != doc_of[ys]
    xs, ys = xs[cross], ys[cross]
    _, jac = set_jaccard_csr(table.sent, table.sent_ptr, xs, ys)
    ok = jac >= PASSAGE_THRESHOLD  # LSH false positives out
    xs, ys = xs[ok], ys[ok]
    # orient each match as (lower article, higher article)
    d, e = doc_of[xs], doc_of[ys]
    flip = d > e
    lo_doc, hi_doc = np.where(flip, e, d), np.where(flip, d, e)
    lo_sent = np.where(flip, sent_of[ys], sent_of[xs])
    hi_sent = np.where(flip, sent_of[xs], sent_of[ys])
    pair = lo_doc * n_docs + hi_doc
    keys, inverse = unique_inverse(pair)
    # sentences of each side that have a counterpart; the smaller count is the evidence
    left = np.bincount(unique(inverse * total + lo_sent) // total, minlength=len(keys))
    right = np.bincount(unique(inverse * total + hi_sent) // total, minlength=len(keys))
    return keys, np.minimum(left, right)


def shared_sentences(fa: Features, fb: Features) -> int:
    """Sentences of the shorter side with a near-identical counterpart (Jaccard ≥ 0.5 over
    3-shingles) in the other, compared exactly."""
    la, lb = len(fa.passages), len(fb.passages)
    if not la or not lb:
        return 0
    xs = np.repeat(np.arange(la, dtype=np.int64), lb)
    ys = np.tile(np.arange(la, la + lb, dtype=np.int64), la)
    _, jac = set_jaccard([*fa.passages, *fb.passages], xs, ys)
    ok = jac >= PASSAGE_THRESHOLD
    return min(len(unique(xs[ok])), len(unique(ys[ok])))


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
    passage_codes: np.ndarray
    passage_counts: np.ndarray
    candidates: np.ndarray

    @property
    def n(self) -> int:
        return len(self.table)

    def shares(self, codes: np.ndarray) -> np.ndarray:
        """Sentences each pair shares (0 for pairs the passage index did not offer)."""
        pc = self.passage_codes
        if not len(pc):
            return np.zeros(len(codes), dtype=np.int64)
        at = np.minimum(np.searchsorted(pc, codes), len(pc) - 1)
        return np.where(pc[at] == codes, self.passage_counts[at], 0)


def prepare(
    articles: list[Article],
    settings: Settings,
    progress: Callable[[str, int, int], None] | None = None,
    table: FeatureTable | None = None,
) -> MatchRun:
    """Features, term weights and the candidate pairs of every index (``table``: the features
    of ``articles`` when they were built elsewhere, on a Dask cluster)."""
    if table is None:
        table = build_features(articles, settings.shingle_size, progress, settings.jobs)
    counts = table.w_counts.copy()
    days = [day_number(a) for a in articles]
    weigh_terms(table, days)
    feats = [table.row(i) for i in range(len(table))]
    perms = Permutations(settings.num_perm, settings.seed)
    n = len(table)
    # exact duplicates by content: no need for LSH to find them
    by_body: dict[bytes, list[int]] = defaultdict(list)
    sh, ptr = table.sh, table.sh_ptr.tolist()
    for i in range(n):
        if ptr[i + 1] > ptr[i]:
            by_body[sh[ptr[i] : ptr[i + 1]].tobytes()].append(i)
    dup_groups = group_rows(list(by_body.values()))
    sizes = np.diff(table.sh_ptr)
    has_text = sizes > 0
    doc_sigs = perms.signatures_csr(table.sh, table.sh_ptr)
    doc_params = lsh_params(DOC_LSH_THRESHOLD, perms.num_perm)
    # the term index samples each article's TERMS_SIG_K most distinctive terms
    top_len = np.diff(table.top_ptr)
    place = np.arange(len(table.top_ids)) - np.repeat(table.top_ptr[:-1], top_len)
    top_rows = np.flatnonzero(place < TERMS_SIG_K)
    tops = np.minimum(top_len, TERMS_SIG_K)
    used = unique(table.top_ids[top_rows])
    vocab_hash = np.zeros(len(table.vocab), dtype=np.uint64)
    vocab_hash[used] = term_hashes([table.vocab[t] for t in used.tolist()])
    has_terms = tops > 0
    term_perms = Permutations(TERMS_PERM, settings.seed + 2)
    term_sigs = term_perms.signatures_csr(vocab_hash[table.top_ids[top_rows]], _ptr(tops))
    term_buckets = band_buckets(term_sigs, *TERMS_LSH_PARAMS, has_terms)
    # date-window blocking: dated articles further apart than the window link only when
    # near-identical, which the document LSH finds; the term and passage indexes, whose buckets
    # grow with the archive, offer only pairs within the window
    day_arr = np.fromiter((UNDATED if d is None else d for d in days), dtype=np.int64, count=n)
    near = (day_arr, settings.window_days)
    passage_codes, passage_counts = _passage_matches(table, settings.seed, near)
    candidates = unique(
        np.concatenate(
            [
                pair_codes(dup_groups, n),
                pair_codes(band_buckets(doc_sigs, *doc_params, has_text), n),
                pair_codes(term_buckets, n, TERMS_MAX_BUCKET, near),
                passage_codes,
            ]
        )
    )
    return MatchRun(
        articles, settings, table, counts, feats, days, day_arr,
        [art.publisher() for art in articles], [hours(art) for art in articles],
        doc_sigs, sizes, passage_codes, passage_counts, candidates,
    )  # fmt: skip


def find_links(
    articles: list[Article],
    settings: Settings,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Link]:
    """All verified links between the articles, sorted by (a, b)."""
    return rule_links(prepare(articles, settings, progress), progress)


def rule_links(
    run: MatchRun, progress: Callable[[str, int, int], None] | None = None
) -> list[Link]:
    """The links of the rules (reprint, shared passages, same facts, slug, flash), with
    two-hop candidates checked too, sorted by (a, b)."""
    found: dict[tuple[int, int], Link] = {}
    check_pairs(run, run.candidates, found, progress)
    for extra in (
        slug_links(run.articles, run.days, run.settings),
        flash_links(run.articles, run.feats, run.sources, run.clock),
    ):
        for key, link in extra.items():
            if key not in found or found[key].score < link.score:
                found[key] = link
    # two hops: articles that both link to a third are candidates too (bounded by degree²)
    adj: dict[int, list[int]] = defaultdict(list)
    for a, b in found:
        adj[a].append(b)
        adj[b].append(a)
    groups = group_rows([nb for nb in adj.values() if len(nb) <= HOP_MAX_DEGREE])
    hops = pair_codes(groups, run.n)
    check_pairs(run, hops[~np.isin(hops, run.candidates, assume_unique=True)], found, progress)
    return [found[k] for k in sorted(found)]


def check_pairs(
    run: MatchRun,
    codes: np.ndarray,
    found: dict[tuple[int, int], Link],
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Verify the pairs ``codes`` (sorted: links are found in (a, b) order) into ``found``."""
    n, settings, table, feats = run.n, run.settings, run.table, run.feats
    days, sources, clock, sizes = run.days, run.sources, run.clock, run.sizes
    firsts, seconds = codes // n, codes % n
    approx = _approx_jaccard(run.doc_sigs, firsts, seconds)
    cosines = pair_cosines(table, firsts, seconds)
    weighed = np.diff(table.t_ptr) > 0
    shares = run.shares(codes)
    # pairs that no rule of verify() could link are dropped in bulk first (a margin keeps
    # the test on the safe side of verify's own arithmetic)
    la, lb = sizes[firsts], sizes[seconds]
    small, large = np.minimum(la, lb), np.maximum(la, lb)
    reprint_need = REPRINT_CONTAINMENT * small / ((1 - REPRINT_CONTAINMENT) * small + large)
    approx64 = approx.astype(np.float64) + 1e-9
    possible = np.flatnonzero(
        ((small >= 3) & (approx64 >= reprint_need - APPROX_MARGIN))
        | (approx64 >= NEAR_IDENTICAL - APPROX_MARGIN)
        | (cosines + 1e-9 >= min(PASSAGE_MIN_COSINE, settings.threshold))
    )
    pairs = zip(
        possible.tolist(), firsts[possible].tolist(), seconds[possible].tolist(), strict=True
    )
    for step, (k, a, b) in enumerate(pairs):
        if progress is not None and step % 1024 == 0:
            progress("verify", k, len(codes))
        da, db = days[a], days[b]
        gap = None if da is None or db is None else abs(da - db)
        same_source = sources[a] is not None and sources[a] == sources[b]
        if same_source and gap:
            # one source on two days: a new item, unless hours apart across midnight
            ha, hb = clock[a], clock[b]
            same_source = ha is None or hb is None or abs(ha - hb) >= SAME_SOURCE_HOURS
        shared = int(shares[k])
        link = verify(
            a, b, feats[a], feats[b], shared, gap, same_source, settings, float(approx[k]),
            float(cosines[k]) if weighed[a] and weighed[b] else 0,  # cosine()'s int 0
        )  # fmt: skip
        if link is not None and gap is not None and gap > settings.window_days:
            # outside the window the passage index was not asked: count them here
            link = replace(link, passages=shared_sentences(feats[a], feats[b]))
        if link is not None:
            found[(a, b)] = with_specifics(link, feats[a], feats[b])


def with_specifics(link: Link, fa: Features, fb: Features) -> Link:
    """The link with the specifics both articles have, most telling first."""
    ta, tb = fa.terms, fb.terms  # made once a link: Features rows are columns
    weight = {t: ta.get(t, 0.0) + tb.get(t, 0.0) for t in fa.specific & fb.specific}
    common = sorted(weight, key=lambda t: (-weight[t], t))  # most telling first
    return replace(link, specifics=tuple(common[:EVIDENCE_SPECIFICS]))


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
        if src is not None and when is not None and f.tokens > FLASH_MAX_TOKENS:
            by_source[src].append((when, i))
    for timeline in by_source.values():
        timeline.sort()
    out: dict[tuple[int, int], Link] = {}
    words_of: dict[int, frozenset[str]] = {}  # made when a flash first looks at an article
    for i, f in enumerate(feats):
        src, when = sources[i], clock[i]
        if f.tokens > FLASH_MAX_TOKENS or src is None or when is None:
            continue
        words = [t for t in dict.fromkeys(tokens(articles[i].headline.value or "")) if _is_term(t)]
        slots = _rare(words)
        if len(words) < FLASH_MIN_WORDS:
            continue
        best: tuple[float, float, int] | None = None
        timeline = by_source.get(src, [])
        lo = bisect_left(timeline, (when - FLASH_HOURS, -1))
        hi = bisect_right(timeline, (when + FLASH_HOURS, len(feats)))
        for at, j in timeline[lo:hi]:
            gap = abs(at - when)
            have = words_of.get(j)
            if have is None:
                have = words_of[j] = feats[j].words
            if any(t not in have for t in slots):
                continue  # a name or figure of the flash is missing: cheapest test first
            cover = sum(t in have for t in words) / len(words)
            if cover < FLASH_COVER:
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
        if len(members) > SLUG_MAX_GROUP:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                out[(a, b)] = Link(a, b, LinkKind.SAME_SLUG, SLUG_SCORE, 0.0, 0.0, 0, 0.0)
    return out


def _approx_jaccard(sigs: np.ndarray, firsts: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of each pair: the share of equal MinHash values (vectorised)."""
    out = np.empty(len(firsts), dtype=np.float32)
    step = 16_384  # pairs a step: two (step × num_perm) signature blocks, ~16 MB at 128
    for lo in range(0, len(firsts), step):
        a, b = firsts[lo : lo + step], seconds[lo : lo + step]
        out[lo : lo + len(a)] = (sigs[a] == sigs[b]).mean(axis=1)
    return out


def headline_slots(f: Features) -> tuple[str, ...]:
    """A headline's slot words: those rarer than everyday words (names, tickers, places,
    figures, the thing done). The rest is the template (SETS QTLY DIVIDEND, ISSUES EUROBOND).
    Worked out once an article (a pair is checked many times)."""
    if f.slots is None:
        f.slots = _rare(f.headline)
    return cast("tuple[str, ...]", f.slots)  # set just above if it was not


def _rare(words: Iterable[str]) -> tuple[str, ...]:
    """The words rarer in the language than HEADLINE_SLOT_MAX_BG, in order."""
    from .background import background_df

    return tuple(t for t in words if background_df(t) < HEADLINE_SLOT_MAX_BG)


def headlines_agree(fa: Features, fb: Features) -> bool:
    """Two articles whose headlines were given are one story only if each headline's slots
    mostly turn up in the other article. Template items (twenty companies' dividend notices, a
    market's reports at different hours) share every word but the slots; two write-ups of one
    event name its actors and figures in their bodies even when their headlines differ."""
    sa, sb = set(headline_slots(fa)), set(headline_slots(fb))
    if not (set(fa.headline) - sa) & (set(fb.headline) - sb):
        return True  # no template word in common: nothing to fill in differently
    for x, y in ((fa, fb), (fb, fa)):
        slots = headline_slots(x)
        if len(slots) >= HEADLINE_MIN_SLOTS:
            found = sum(t in y.words for t in slots)
            if found <= HEADLINE_SLOT_COVER * len(slots):
                return False
    return True


def _shares_distinctive(fa: Features, fb: Features) -> bool:
    """At least one of each article's most distinctive terms is among the other's."""
    return len(set(fa.top_ids.tolist()) & set(fb.top_ids.tolist())) >= MIN_SHARED_TERMS


def verify(
    a: int, b: int, fa: Features, fb: Features, shared: int,
    gap_days: int | None, same_source: bool, settings: Settings,
    approx: float | None = None, cos: float | None = None,
) -> Link | None:  # fmt: skip
    """Score one candidate pair exactly and decide whether (and how) it links.

    Articles dated further apart than the window link only when near-identical; so do two
    articles of one source on different days (a source does not rewrite its own story the next
    day: that is a follow-up, or a recurring template item).

    ``approx`` is the pair's Jaccard estimated from the MinHash signatures. It only spares the
    exact shingle intersection where the estimate is far (``APPROX_MARGIN``, over five standard
    errors at 128 permutations) below what a reprint needs; every link is scored exactly.
    ``cos`` is the pair's term cosine if already worked out (:func:`pair_cosines`)."""
    if not headlines_agree(fa, fb):
        return None
    if cos is None:
        cos = cosine(fa.terms, fb.terms)
    la, lb = len(fa.shingles), len(fb.shingles)
    far = gap_days is not None and (
        gap_days > settings.window_days or (same_source and gap_days > 0)
    )
    if far:
        if approx is not None and approx < NEAR_IDENTICAL - APPROX_MARGIN:
            return None
        jac, cont = jaccard_containment(fa.shingles, fb.shingles)
        if jac >= NEAR_IDENTICAL:
            return Link(a, b, LinkKind.REPRINT, jac, jac, cont, shared, cos)
        return None
    exact: tuple[float, float] | None = None
    small, large = min(la, lb), max(la, lb)
    if small >= 3:
        # containment ≥ c of the smaller set means Jaccard ≥ c·m / ((1 - c)·m + M)
        need = REPRINT_CONTAINMENT * small / ((1 - REPRINT_CONTAINMENT) * small + large)
        if approx is None or approx >= need - APPROX_MARGIN:
            exact = jaccard_containment(fa.shingles, fb.shingles)
            if exact[1] >= REPRINT_CONTAINMENT:
                jac, cont = exact
                return Link(a, b, LinkKind.REPRINT, cont, jac, cont, shared, cos)
    if shared >= 2 and cos >= PASSAGE_MIN_COSINE:
        jac, cont = exact or jaccard_containment(fa.shingles, fb.shingles)
        few = max(1, min(fa.passage_count, fb.passage_count))
        return Link(
            a, b, LinkKind.SHARED_PASSAGES, max(cos, min(1.0, shared / few)), jac, cont, shared, cos
        )
    if _shares_distinctive(fa, fb):
        # one source's undated items could be from any day of its archive: the same words on
        # another day are a follow-up as often as a re-send, so they need more
        wary = gap_days is None and same_source
        need = settings.threshold + (UNDATED_SAME_SOURCE_MARGIN if wary else 0.0)
        specifics = len(np.intersect1d(fa.specific_ids, fb.specific_ids, assume_unique=True))
        if cos >= need and (not wary or specifics >= UNDATED_SAME_SOURCE_SPECIFICS):
            jac, cont = exact or jaccard_containment(fa.shingles, fb.shingles)
            return Link(a, b, LinkKind.SAME_FACTS, cos, jac, cont, shared, cos)
    return None
