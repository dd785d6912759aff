"""Term weights: TF-IDF over the run, smoothed by the language and scaled by burstiness; each
article's most distinctive terms and its specifics. New columns; the table is not changed."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ..arrays import segment_sums, unique
from ..background import WordModel
from ..tuning import TUNING
from .csr import pointers
from .table import FeatureTable, TermColumns


def weigh_terms(
    table: FeatureTable,
    days: list[int | None] | None = None,
    k: int = TUNING.terms_k,
    block: int = TUNING.weigh_block,
) -> TermColumns:
    """Raw term counts as L2-normalised TF-IDF weights (sublinear tf; idf from the run's
    document frequencies smoothed by the language's, :meth:`newsdedup.background.WordModel.idf`), each
    article's ``k`` most distinctive terms and its specifics.

    With dates for at least three distinct days, a term's idf is also scaled by how bursty it
    is: news names and figures cluster on a few days, the vocabulary of recurring templates
    (dividend notices, market reports) turns up every day. Undated articles add no day.

    Each distinct term's idf is worked out once; an article's weights keep its terms' order, and
    its norm is summed in that order. Articles are weighed ``block`` at a time (bounded memory;
    any block size gives the same columns)."""
    n = len(table)
    # the articles in blocks: the per-term arrays of a step stay small at any size of run
    blocks = [(lo, min(lo + block, n)) for lo in range(0, n, block)]
    df = np.bincount(table.w_ids, minlength=len(table.vocab))
    idf, common, language = _idf(table, df)
    idf = _bursty(table, idf, days, blocks)
    cap = max(20, int(TUNING.terms_max_df * n))  # a term in more articles is not distinctive
    spec_cap = max(TUNING.specific_min_df, int(TUNING.specific_max_share * n))
    is_spec = (df <= spec_cap) & ~common
    vocab = table.vocab
    alpha = np.empty(len(vocab), dtype=np.int32)  # each term's place in alphabetical order
    alpha[sorted(range(len(vocab)), key=vocab.__getitem__)] = np.arange(len(vocab))
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    logs = np.array([0.0] + [math.log(c) for c in range(1, int(table.w_counts.max(initial=1)) + 1)])
    for lo, hi in blocks:
        ids, owner = _block(table, lo, hi)
        counts = table.w_counts[table.w_ptr[lo] : table.w_ptr[hi]]
        # specifics, sorted by id within each article
        spec_rows = np.flatnonzero(is_spec[ids])
        spec_rows = spec_rows[np.lexsort((ids[spec_rows], owner[spec_rows]))]
        parts["spec_ids"].append(ids[spec_rows])
        parts["spec_len"].append(np.bincount(owner[spec_rows], minlength=hi - lo))
        # terms in more articles than the cap are the run's common vocabulary (and
        # templates'): they neither count in the cosine nor serve as distinctive terms
        kept = np.flatnonzero(df[ids] <= cap)
        weight = (1.0 + logs[counts[kept]]) * idf[ids[kept]]
        _weigh_block(parts, ids[kept], owner[kept], weight, alpha, k, hi - lo)

    def cat(name: str, dtype: type) -> np.ndarray:
        got = parts[name]
        return np.concatenate(got).astype(dtype, copy=False) if got else np.zeros(0, dtype)

    return TermColumns(
        t_ptr=pointers(cat("t_len", np.int64)),
        t_ids=cat("t_ids", np.int32),
        t_w=cat("t_w", np.float64),
        spec_ptr=pointers(cat("spec_len", np.int64)),
        spec_ids=cat("spec_ids", np.int32),
        top_ptr=pointers(cat("top_len", np.int64)),
        top_ids=cat("top_ids", np.int32),
        language=language,
    )


def _idf(table: FeatureTable, df: np.ndarray) -> tuple[np.ndarray, np.ndarray, WordModel]:
    """Each term's smoothed idf and whether it is common in the language, and the run's
    language model they were looked up in."""
    n, vocab = len(table), table.vocab
    # the vocabulary holds every token; only the terms (in some article) are looked up
    used = np.flatnonzero(df)
    terms = [vocab[t] for t in used.tolist()]
    language = WordModel(len(terms))
    idf = np.zeros(len(vocab), dtype=np.float64)
    idf[used] = language.idfs(terms, df[used], n)
    common = np.zeros(len(vocab), dtype=bool)
    common[used] = language.dfs(terms) >= TUNING.specific_max_bg
    return idf, common, language


def _bursty(
    table: FeatureTable,
    idf: np.ndarray,
    days: list[int | None] | None,
    blocks: list[tuple[int, int]],
) -> np.ndarray:
    """``idf`` scaled by how few of the run's days (three or more) each term turns up on."""
    n = len(table)
    day_of = np.fromiter(
        ((-1 if d is None else d) for d in (days or [None] * n)), dtype=np.int64, count=n
    )
    dated_days = unique(day_of[day_of >= 0])
    all_days = len(dated_days)
    if all_days < 3:
        return idf
    top = math.log(all_days + 1) + 1.0
    pairs: list[np.ndarray] = []  # (term, day) of each dated article's terms, distinct
    for lo, hi in blocks:
        ids, owner = _block(table, lo, hi)
        day = day_of[lo:hi][owner]  # owners count from the block's first article
        rows = day >= 0
        slot = np.searchsorted(dated_days, day[rows])
        pairs.append(unique(ids[rows].astype(np.int64) * all_days + slot))
    seen = np.bincount(unique(np.concatenate(pairs)) // all_days, minlength=len(table.vocab))
    factor = [(math.log((all_days + 1) / (c + 1)) + 1.0) / top for c in range(all_days + 1)]
    scaled: np.ndarray = np.where(seen > 0, idf * np.asarray(factor)[seen], idf)
    return scaled


def _weigh_block(
    parts: dict[str, list[np.ndarray]],
    t_ids: np.ndarray,
    kept_owner: np.ndarray,
    weight: np.ndarray,
    alpha: np.ndarray,
    k: int,
    m: int,
) -> None:
    """A block's normalised weights and its articles' ``k`` best terms, added to ``parts``."""
    t_ptr = pointers(np.bincount(kept_owner, minlength=m))
    # each norm summed left to right in the article's term order, as before (bit for bit)
    norms = np.sqrt(segment_sums(weight * weight, kept_owner, m))
    norms[norms == 0.0] = 1.0
    parts["t_ids"].append(t_ids)
    parts["t_w"].append(weight / norms[kept_owner])
    parts["t_len"].append(np.diff(t_ptr))
    # most distinctive first, ties by the term itself
    order = np.lexsort((alpha[t_ids], -weight, kept_owner))
    rank = np.arange(len(order)) - t_ptr[kept_owner[order]]
    best = order[rank < k]
    parts["top_ids"].append(t_ids[best])
    parts["top_len"].append(np.bincount(kept_owner[best], minlength=m))


def _block(table: FeatureTable, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Term ids of articles ``lo`` to ``hi`` and the article (from 0 at ``lo``) of each."""
    ptr = table.w_ptr
    ids = table.w_ids[ptr[lo] : ptr[hi]]
    owner = np.repeat(np.arange(hi - lo, dtype=np.int32), np.diff(ptr[lo : hi + 1]))
    return ids, owner
