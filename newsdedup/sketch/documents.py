"""Whole-document MinHash signatures of articles, for an index kept between runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import Article
from .hashing import Permutations, TokenHasher, shingle_hashes
from .tokens import tokens


def document_signatures(
    articles: Sequence[Article], shingle_size: int, num_perm: int, seed: int
) -> np.ndarray:
    """The MinHash signature (``num_perm`` uint32 values) of each article's word shingles,
    over its whole text (one stream of tokens, sentences not cut)."""
    hasher = TokenHasher()
    sets = [shingle_hashes(hasher(tokens(a.text())), shingle_size) for a in articles]
    return Permutations(num_perm, seed).signatures(sets)
