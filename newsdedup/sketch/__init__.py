"""Stage 3: features and MinHash signatures of articles, computed in bulk with numpy.

* :mod:`~newsdedup.sketch.tokens`: tokens, sentences and terms;
* :mod:`~newsdedup.sketch.hashing`: the one token hash, the one shingle mixer, the MinHash
  permutations;
* :mod:`~newsdedup.sketch.csr` and :mod:`~newsdedup.sketch.table`: the column table of a run;
* :mod:`~newsdedup.sketch.build`: every article's shingles, passages and term counts;
* :mod:`~newsdedup.sketch.weights`: term weights, distinctive terms and specifics;
* :mod:`~newsdedup.sketch.documents`: whole-document signatures for a kept index.
"""

from __future__ import annotations

from .build import build_features, feature_ranges, range_features
from .hashing import Permutations, TokenHasher, shingle_hashes, term_hashes, token_hash
from .table import (
    Features,
    FeatureTable,
    TermColumns,
    cosine,
    jaccard_containment,
    with_weights,
)
from .tokens import STOPWORDS, is_term, sentences, tokens
from .weights import weigh_terms

__all__ = [
    "STOPWORDS",
    "FeatureTable",
    "Features",
    "Permutations",
    "TermColumns",
    "TokenHasher",
    "build_features",
    "cosine",
    "feature_ranges",
    "is_term",
    "jaccard_containment",
    "range_features",
    "sentences",
    "shingle_hashes",
    "term_hashes",
    "token_hash",
    "tokens",
    "weigh_terms",
    "with_weights",
]
