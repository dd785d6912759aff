"""MinHash LSH, vectorised: datasketch's banding parameters, buckets of rows with equal bands,
and the pairs of a bucket as sorted codes ``i * n + j``."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import numpy as np

from ..arrays import unique


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
        # one band's columns at a time, copied out contiguous (column by column, a fancy index
        # into the matrix strides through memory): a 64-bit copy of the whole matrix was the
        # run's peak at 200k
        block = np.ascontiguousarray(sigs[ids, band * rows : (band + 1) * rows].T)
        key = np.zeros(len(ids), dtype=np.uint64)
        for col in block:
            key ^= col
            key *= _BAND_MIX
            key ^= key >> np.uint64(31)
        # ties may come in any order: each bucket's members are sorted below
        order = np.argsort(key)
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


NO_CODES = np.empty(0, dtype=np.int64)
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
        return NO_CODES
    return unique(np.concatenate(done))
