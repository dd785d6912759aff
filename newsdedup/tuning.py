"""Every number that decides how articles are sketched, matched and clustered, in one frozen
object, each with the reason for its value and the measurement behind it where there is one.

The numbers of reading and normalising stay with the readers (they were explained there); the
story levels' thresholds are fitted (:mod:`newsdedup.levels_weights`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # -- sketch: passages, terms, specifics ------------------------------------------------
    #: a passage is a sentence of at least this many words: shorter ones ("He said so.") are
    #: shared by unrelated articles
    passage_min_tokens: int = 8
    #: passages are compared as sets of word 3-shingles (a sentence has a few dozen)
    passage_shingle: int = 3
    #: permutations of a passage's signature: a sentence's set is small, 32 values estimate its
    #: Jaccard near the 0.5 threshold well enough for banding, every candidate is checked exactly
    passage_perm: int = 32
    #: an article's most distinctive terms kept per article (the term index samples the first
    #: ``terms_sig_k`` of them)
    terms_k: int = 24
    #: a term in more than this share of the run's articles (at least 20) is the run's common
    #: vocabulary: it neither counts in the cosine nor serves as a distinctive term
    terms_max_df: float = 0.05
    #: a specific is in at most this many of the run's articles (the handful that report one
    #: event: a story rarely runs in more than four versions in a small run) …
    specific_min_df: int = 4
    #: … or this share of a larger run (1%: in 10,000 wire items, an event's names recur in a
    #: hundred follow-ups; a topic's words are in far more)
    specific_max_share: float = 0.01
    #: … and in under 1% of ordinary news articles (wordfreq): "Kilburn", "parliamentarian",
    #: "40,000", not "court", "tax" or "police"
    specific_max_bg: float = 0.01
    #: articles weighed a step: their per-term arrays (~150 terms an article, a dozen arrays)
    #: stay near 100 MB, whatever the size of the run
    weigh_block: int = 16_384


TUNING = Tuning()
