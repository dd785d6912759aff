"""Candidate indexes: each offers pairs of articles as sorted codes ``a * n + b`` (a < b).

Candidates never come from comparing all pairs: each signature has its own LSH index (MinHash
signatures banded with datasketch's optimal (bands, rows) for the threshold, bucketed with one
numpy sort per band), and only the pairs some index offers are scored exactly."""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

import numpy as np

from ..arrays import unique, unique_inverse
from ..sketch import FeatureTable, Permutations
from ..sketch.csr import owners, pointers
from ..tuning import TUNING
from .lsh import UNDATED, Buckets, band_buckets, group_rows, lsh_params, pair_codes
from .measures import set_jaccard_csr

#: (day number of each article, UNDATED for none; the window in days)
Near = tuple[np.ndarray, int]


class CandidateIndex(Protocol):
    def pairs(self) -> np.ndarray:
        """The pairs this index offers, as sorted unique codes ``a * n + b``."""
        ...


class DuplicateIndex:
    """Exact duplicates by content: no need for LSH to find them."""

    def __init__(self, table: FeatureTable) -> None:
        self.table = table

    def pairs(self) -> np.ndarray:
        table, n = self.table, len(self.table)
        by_body: dict[bytes, list[int]] = defaultdict(list)
        sh, ptr = table.sh, table.sh_ptr.tolist()
        for i in range(n):
            if ptr[i + 1] > ptr[i]:
                by_body[sh[ptr[i] : ptr[i + 1]].tobytes()].append(i)
        return pair_codes(group_rows(list(by_body.values())), n)


class DocumentIndex:
    """MinHash LSH over each article's word shingles (reprints and re-edited copy). Not
    blocked by date: near-identical texts link across the window."""

    def __init__(self, table: FeatureTable, perms: Permutations) -> None:
        self.table = table
        self.sigs = perms.signatures_csr(table.sh, table.sh_ptr)
        self.params = lsh_params(TUNING.doc_lsh_threshold, perms.num_perm)

    def pairs(self) -> np.ndarray:
        has_text = np.diff(self.table.sh_ptr) > 0
        return pair_codes(band_buckets(self.sigs, *self.params, has_text), len(self.table))


class TermIndex:
    """MinHash LSH over each article's ``terms_sig_k`` most distinctive terms (rewrites that
    keep the facts), within the date window."""

    def __init__(self, table: FeatureTable, seed: int, near: Near) -> None:
        self.table, self.seed, self.near = table, seed, near

    def pairs(self) -> np.ndarray:
        table, k = self.table, TUNING.terms_sig_k
        top_len = np.diff(table.top_ptr)
        place = np.arange(len(table.top_ids)) - np.repeat(table.top_ptr[:-1], top_len)
        top_rows = np.flatnonzero(place < k)
        tops = np.minimum(top_len, k)
        perms = Permutations(TUNING.terms_perm, self.seed + 2)
        # the terms' token hashes, made once for the run's vocabulary as it was tokenised
        sigs = perms.signatures_csr(table.vocab_hash[table.top_ids[top_rows]], pointers(tops))
        buckets = band_buckets(sigs, *TUNING.terms_lsh_params, tops > 0)
        return pair_codes(buckets, len(table), TUNING.terms_max_bucket, self.near)


class PassageIndex:
    """For each pair of articles, how many sentences they share: banded LSH at Jaccard ≈ 0.5
    over sentence 3-shingles, every candidate verified exactly (all vectorised), within the
    date window. ``codes`` and ``counts`` are arrays, not a dict (millions of pairs at 200,000
    articles)."""

    def __init__(self, table: FeatureTable, seed: int, near: Near) -> None:
        self.codes, self.counts = _passage_matches(table, seed, near)

    def pairs(self) -> np.ndarray:
        return self.codes

    def shares(self, codes: np.ndarray) -> np.ndarray:
        """Sentences each pair shares (0 for pairs this index did not offer)."""
        pc = self.codes
        if not len(pc):
            return np.zeros(len(codes), dtype=np.int64)
        at = np.minimum(np.searchsorted(pc, codes), len(pc) - 1)
        return np.where(pc[at] == codes, self.counts[at], 0)


def _passage_matches(table: FeatureTable, seed: int, near: Near) -> tuple[np.ndarray, np.ndarray]:
    total = len(table.sent_ptr) - 1
    if not total:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    n_docs = len(table)
    doc_of = owners(table.ps_ptr)
    counts = np.diff(table.ps_ptr)
    sent_of = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    perms = Permutations(TUNING.passage_perm, seed + 1)
    sigs = perms.signatures_csr(table.sent, table.sent_ptr)
    params = lsh_params(TUNING.passage_threshold, TUNING.passage_perm)
    buckets = _own_wording(band_buckets(sigs, *params), doc_of, near)
    codes = pair_codes(buckets, total, near=(near[0][doc_of], near[1]))
    xs, ys = codes // total, codes % total
    cross = doc_of[xs] != doc_of[ys]
    xs, ys = xs[cross], ys[cross]
    _, jac = set_jaccard_csr(table.sent, table.sent_ptr, xs, ys)
    ok = jac >= TUNING.passage_threshold  # LSH false positives out
    xs, ys = xs[ok], ys[ok]
    # orient each match as (lower article, higher article)
    d, e = doc_of[xs], doc_of[ys]
    flip = d > e
    lo_doc, hi_doc = np.where(flip, e, d), np.where(flip, d, e)
    lo_sent = np.where(flip, sent_of[ys], sent_of[xs])
    hi_sent = np.where(flip, sent_of[xs], sent_of[ys])
    keys, inverse = unique_inverse(lo_doc * n_docs + hi_doc)
    # sentences of each side that have a counterpart; the smaller count is the evidence
    left = np.bincount(unique(inverse * total + lo_sent) // total, minlength=len(keys))
    right = np.bincount(unique(inverse * total + hi_sent) // total, minlength=len(keys))
    return keys, np.minimum(left, right)


def _own_wording(found: Buckets, doc_of: np.ndarray, near: Near) -> Buckets:
    """The passage buckets that are evidence: a sentence in many articles is a stock phrase (or
    a flood of copies), one that recurs over many days is boilerplate (a disclaimer, a
    standing background paragraph), not the wording of one event."""
    buckets: Buckets = {}
    for k, rows in found.items():
        if k > TUNING.passage_max_hits:
            continue
        docs = np.sort(doc_of[rows], axis=1)
        distinct = 1 + (docs[:, 1:] != docs[:, :-1]).sum(axis=1)
        ok = distinct <= TUNING.passage_max_docs
        day = near[0][docs]
        dated = day != UNDATED
        hi = np.where(dated, day, np.iinfo(np.int64).min).max(axis=1)
        lo = np.where(dated, day, np.iinfo(np.int64).max).min(axis=1)
        ok &= ~(dated.sum(axis=1) >= 2) | (hi - lo <= near[1] + TUNING.stock_span_slack)
        keep = rows[ok]
        if len(keep):
            buckets[k] = keep
    return buckets
