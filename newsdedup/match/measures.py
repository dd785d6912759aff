"""Exact and estimated measures of many pairs at once: shingle-set Jaccard, term cosines,
shared sentences, MinHash agreement."""

from __future__ import annotations

import numpy as np

from ..arrays import segment_sums, unique
from ..sketch import Features, FeatureTable
from ..sketch.csr import pointers, positions, row_positions
from ..tuning import TUNING
from .lsh import NO_CODES


def set_jaccard(
    sets: list[np.ndarray], firsts: np.ndarray, seconds: np.ndarray, chunk: int = 50_000
) -> tuple[np.ndarray, np.ndarray]:
    """Exact intersection sizes and Jaccard of many pairs of sorted, unique 32-bit hash sets."""
    lengths = np.fromiter((len(x) for x in sets), dtype=np.int64, count=len(sets))
    flat = np.concatenate(sets) if len(sets) else NO_CODES
    return set_jaccard_csr(flat, pointers(lengths), firsts, seconds, chunk)


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
            pos = positions(offsets[side], ln)  # each member's: offsets[side] + 0..len-1
            tags.append((pair << 32) | flat[pos])
        both = np.sort(np.concatenate(tags))
        same = both[1:][both[1:] == both[:-1]] >> 32
        inter[lo : lo + len(a)] = np.bincount(same, minlength=len(a))
    union = lengths[firsts] + lengths[seconds] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return inter, jac


def csr_cosines(
    ptr: np.ndarray, ids: np.ndarray, w: np.ndarray, firsts: np.ndarray, seconds: np.ndarray
) -> np.ndarray:
    """Dot products of pairs of rows of a CSR matrix of L2-normalised rows (ids unique within
    a row), vectorised a block of pairs at a time."""
    out = np.zeros(len(firsts), dtype=np.float64)
    if not len(firsts) or not len(ids):
        return out
    ids64 = ids.astype(np.int64)
    span = int(ids64.max()) + 1
    size = np.diff(ptr)
    step = 8_192  # pairs a step: their rows stay a few tens of MB
    for lo in range(0, len(firsts), step):
        s, g = firsts[lo : lo + step], seconds[lo : lo + step]
        pair = np.arange(len(s), dtype=np.int64)
        s_rows, g_rows = row_positions(ptr, s), row_positions(ptr, g)
        g_key = np.repeat(pair, size[g]) * span + ids64[g_rows]
        order = np.argsort(g_key, kind="stable")
        g_sorted = g_key[order]
        if not len(g_sorted):
            continue
        s_pair = np.repeat(pair, size[s])
        s_key = s_pair * span + ids64[s_rows]
        at = np.minimum(np.searchsorted(g_sorted, s_key), len(g_sorted) - 1)
        hit = np.flatnonzero(g_sorted[at] == s_key)
        prods = w[s_rows[hit]] * w[g_rows[order[at[hit]]]]
        out[lo : lo + len(s)] = segment_sums(prods, s_pair[hit], len(s))
    return out


def csr_overlaps(
    ptr: np.ndarray,
    ids: np.ndarray,
    firsts: np.ndarray,
    seconds: np.ndarray,
    other: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """How many ids each pair of rows has in common (rows of unique ids); with ``other``
    (pointers and ids of a second CSR table), row ``firsts[k]`` of the first table against row
    ``seconds[k]`` of the second."""
    out = np.zeros(len(firsts), dtype=np.int64)
    optr, oids = other if other is not None else (ptr, ids)
    if not len(firsts) or not len(ids) or not len(oids):
        return out
    ids64, oids64 = ids.astype(np.int64), oids.astype(np.int64)
    span = max(int(ids64.max()), int(oids64.max())) + 1
    step = 8_192
    for lo in range(0, len(firsts), step):
        s, g = firsts[lo : lo + step], seconds[lo : lo + step]
        pair = np.arange(len(s), dtype=np.int64)
        keys = np.concatenate(
            [
                np.repeat(pair, np.diff(ptr)[s]) * span + ids64[row_positions(ptr, s)],
                np.repeat(pair, np.diff(optr)[g]) * span + oids64[row_positions(optr, g)],
            ]
        )
        keys.sort()
        same = keys[1:][keys[1:] == keys[:-1]] // span
        out[lo : lo + len(s)] = np.bincount(same, minlength=len(s))
    return out


def pair_cosines(table: FeatureTable, firsts: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """The cosine of each pair's term weights, as :func:`newsdedup.sketch.cosine` sums it: over
    the terms of the article with fewer terms (the first on a tie), in that article's order."""
    size = np.diff(table.t_ptr)
    swap = size[firsts] > size[seconds]
    small = np.where(swap, seconds, firsts)
    large = np.where(swap, firsts, seconds)
    return csr_cosines(table.t_ptr, table.t_ids, table.t_w, small, large)


def shared_sentences(fa: Features, fb: Features) -> int:
    """Sentences of the shorter side with a near-identical counterpart (Jaccard ≥ 0.5 over
    3-shingles) in the other, compared exactly."""
    la, lb = len(fa.passages), len(fb.passages)
    if not la or not lb:
        return 0
    xs = np.repeat(np.arange(la, dtype=np.int64), lb)
    ys = np.tile(np.arange(la, la + lb, dtype=np.int64), la)
    _, jac = set_jaccard([*fa.passages, *fb.passages], xs, ys)
    ok = jac >= TUNING.passage_threshold
    return min(len(unique(xs[ok])), len(unique(ys[ok])))


def approx_jaccard(sigs: np.ndarray, firsts: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of each pair: the share of equal MinHash values (vectorised)."""
    out = np.empty(len(firsts), dtype=np.float32)
    step = 16_384  # pairs a step: two (step × num_perm) signature blocks, ~16 MB at 128
    for lo in range(0, len(firsts), step):
        a, b = firsts[lo : lo + step], seconds[lo : lo + step]
        out[lo : lo + len(a)] = (sigs[a] == sigs[b]).mean(axis=1)
    return out
