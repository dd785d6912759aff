"""The sorted-unique helpers agree with numpy's own np.unique on every option they stand in for."""

import numpy as np
import pytest

from newsdedup.arrays import segment_sums, unique, unique_first_counts, unique_inverse


@pytest.mark.parametrize("n", [0, 1, 2, 50, 5000])
@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_helpers_match_numpy(n: int, dtype: type) -> None:
    rng = np.random.default_rng(n)
    x = rng.integers(0, max(2, n // 3), size=n).astype(dtype)  # many repeats
    assert np.array_equal(unique(x), np.unique(x))
    values, first, counts = unique_first_counts(x)
    want = np.unique(x, return_index=True, return_counts=True)
    for got, expected in zip((values, first, counts), want, strict=True):
        assert np.array_equal(got, expected)
    values, inverse = unique_inverse(x)
    want_values, want_inverse = np.unique(x, return_inverse=True)
    assert np.array_equal(values, want_values)
    assert np.array_equal(inverse, want_inverse.ravel())
    assert np.array_equal(values[inverse], x)


def test_unique_of_a_matrix_is_flat() -> None:
    x = np.array([[3, 1], [1, 2]])
    assert unique(x).tolist() == [1, 2, 3]


def test_segment_sums_add_as_python_does() -> None:
    rng = np.random.default_rng(3)
    lengths = rng.integers(0, 40, size=300)
    values = rng.random(int(lengths.sum())) * rng.choice([1e-3, 1.0, 30.0], int(lengths.sum()))
    segments = np.repeat(np.arange(300), lengths)
    got = segment_sums(values, segments, 300)
    bounds = np.r_[0, np.cumsum(lengths)].tolist()
    want = [sum(values[bounds[i] : bounds[i + 1]].tolist()) for i in range(300)]
    assert got.tolist() == want  # bit for bit, long segments included
