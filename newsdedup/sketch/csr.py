"""CSR columns: article ``i``'s entries of a flat array ``X`` are ``X[ptr[i]:ptr[i + 1]]``.

The row-position arithmetic the sketch, the matcher and the pair evidence all need, written once."""

from __future__ import annotations

import numpy as np


def pointers(lengths: np.ndarray) -> np.ndarray:
    """CSR pointers of consecutive segments of these lengths."""
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Every position ``starts[i] + 0 … starts[i] + lengths[i] - 1``, segment after segment."""
    start = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return start + np.arange(int(lengths.sum()), dtype=np.int64)


def row_positions(ptr: np.ndarray, which: np.ndarray) -> np.ndarray:
    """The entry positions of rows ``which`` of a CSR table, row after row."""
    return positions(ptr[which], ptr[which + 1] - ptr[which])


def owners(ptr: np.ndarray, dtype: type = np.int64) -> np.ndarray:
    """The row of each entry of a CSR table."""
    return np.repeat(np.arange(len(ptr) - 1, dtype=dtype), np.diff(ptr))
