"""The sketching core agrees with datasketch without importing it."""

import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from newsdedup.match import lsh_params
from newsdedup.sketch import Permutations


@pytest.mark.parametrize("num_perm", [16, 32, 100, 128, 256])
@pytest.mark.parametrize("threshold", [0.12, 0.3, 0.5, 0.8])
def test_lsh_params_are_datasketchs(num_perm: int, threshold: float) -> None:
    assert lsh_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


@pytest.mark.parametrize(("num_perm", "seed"), [(16, 1), (128, 1), (128, 3), (1024, 42)])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    perms = Permutations(num_perm, seed)
    assert np.array_equal(perms.a, a.astype(np.uint64))
    assert np.array_equal(perms.b, b.astype(np.uint64))
    # a signature is each permutation's minimum over the set, a·h + b mod 2³²
    values = np.array([7, 99, 2**31 + 5, 2**32 - 1], dtype=np.uint64)
    want = [
        min((int(x) * int(pa) + int(pb)) % 2**32 for x in values)
        for pa, pb in zip(a, b, strict=True)
    ]
    assert perms.signatures([values])[0].tolist() == want


def test_matching_imports_neither_datasketch_nor_scipy() -> None:
    """A small run must not pay for datasketch's import (it pulls in scipy.integrate)."""
    code = (
        "import sys; from newsdedup import Settings; from newsdedup.match import find_links;"
        "from newsdedup.pipeline import load;"
        "c = load(['samples'], Settings()); find_links(c.articles, Settings());"
        "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
