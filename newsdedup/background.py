"""How common a word is in the language: the background model behind term weights.

A run's own document frequencies are noise when the run is small (in a folder of five files
every word is in one or two of them) and say nothing about the language when the run is all
on one subject. So a term's document frequency is estimated from both: the run's counts and
the word's frequency in general English text, from :mod:`wordfreq` (Robyn Speer's merged
frequency lists of Wikipedia, subtitles, news, books, web and social text; a well-kept package
that ships its data, so nothing is fetched at run time).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from .arrays import unique_inverse

#: Typical length of a news article in tokens: turns a word's frequency per token into the
#: chance that an article contains it (1 - e^(-f·L)). News items run 150-800 words.
ARTICLE_TOKENS = 400
#: Frequency per token assumed for a word wordfreq does not know (rarer than its rarest
#: entries, ~1e-8): unknown words are names, codes and misspellings, all specific.
UNKNOWN_FREQ = 1e-9
#: How many articles' worth of evidence the background counts for. A run much smaller than this
#: (a folder of five files) is weighed almost wholly by the language; a run of tens of
#: thousands by its own counts. A thousand articles is where a run's own document frequencies
#: become stable for the words that matter (names, places, figures seen in a handful of them).
PRIOR_ARTICLES = 1000.0


#: Looking a word up one at a time costs ~12 µs; loading the whole English list ~0.3 s. A run
#: with fewer distinct terms than this looks them up one by one (a small run starts fast).
BULK_LOAD_TERMS = 25_000


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("en", wordlist="best")


class WordModel:
    """The language model of one run: whether its terms are looked up one by one or in the
    whole list (:data:`BULK_LOAD_TERMS`), and what it has looked up. Each run has its own, so
    two runs in one process never see each other's way of looking up."""

    def __init__(self, distinct_terms: int = 0) -> None:
        """``distinct_terms``: how many distinct terms are coming (many are looked up in the
        whole list at once)."""
        self.bulk = distinct_terms >= BULK_LOAD_TERMS
        self._seen: dict[str, float] = {}

    def frequency(self, term: str) -> float:
        f = self._seen.get(term)
        if f is None:
            f = self._seen[term] = _lookup(term, self.bulk)
        return f

    def df(self, term: str) -> float:
        """The chance that an article of ordinary news contains ``term``."""
        return 1.0 - math.exp(-self.frequency(term) * ARTICLE_TOKENS)

    def idf(self, term: str, df: int, n: int) -> float:
        """Inverse document frequency of a term in ``df`` of a run's ``n`` articles, smoothed
        by the language: -log((df - 1 + P·bg) / (n + P)). The ``- 1`` leaves out the article
        that is being weighed, so a name two articles of a five-file run share weighs as it
        would in a large run."""
        p = (max(df - 1, 0) + PRIOR_ARTICLES * self.df(term)) / (n + PRIOR_ARTICLES)
        return -math.log(max(p, 1e-12))

    def frequencies(self, terms: Sequence[str]) -> np.ndarray:
        """:meth:`frequency` of many terms at once (float64), each distinct term looked up once
        in the run (a run's terms are its vocabulary, each given once)."""
        seen, bulk = self._seen, self.bulk
        new = [t for t in terms if t not in seen]
        seen.update(zip(new, _lookups(new, bulk), strict=True))
        return np.fromiter(map(seen.__getitem__, terms), dtype=np.float64, count=len(terms))

    def dfs(self, terms: Sequence[str]) -> np.ndarray:
        """:meth:`df` of many terms at once: the same floats, bit for bit (the exponential is
        worked out by :func:`math.exp` once for each distinct frequency, few as they are:
        wordfreq's are rounded to three significant digits)."""
        return _per_value(self.frequencies(terms), lambda f: 1.0 - math.exp(-f * ARTICLE_TOKENS))

    def idfs(self, terms: Sequence[str], df: np.ndarray, n: int) -> np.ndarray:
        """:meth:`idf` of many terms at once (``df``: each one's document frequency in the
        run): the same floats, bit for bit. The sum and quotient are exact IEEE operations in
        numpy as in Python; the logarithm is :func:`math.log` of each distinct value (numpy's
        own may differ in the last bit)."""
        runs = np.maximum(np.asarray(df, dtype=np.int64) - 1, 0).astype(np.float64)
        p = (runs + PRIOR_ARTICLES * self.dfs(terms)) / (n + PRIOR_ARTICLES)
        return _per_value(np.maximum(p, 1e-12), lambda x: -math.log(x))


def _per_value(x: np.ndarray, f: Callable[[float], float]) -> np.ndarray:
    """``f`` of each element of ``x``, called once for each distinct value."""
    values, inverse = unique_inverse(x)
    each = np.fromiter(map(f, values.tolist()), np.float64, count=len(values))
    out: np.ndarray = each[inverse]
    return out


def _lookups(terms: list[str], bulk: bool) -> list[float]:
    """:func:`_lookup` of many terms: the plain words of a bulk run straight from the whole
    list (a dictionary look-up each), the rest one by one."""
    if not bulk:
        return [_lookup(t, False) for t in terms]
    table = _frequencies()
    out: list[float] = []
    for t in terms:
        f = table.get(t) if t.isalpha() else None  # letters only: no digit, no apostrophe
        if f is None:
            out.append(_lookup(t, True))
        else:
            out.append(max(float(f"{f:.3g}"), UNKNOWN_FREQ) if f else UNKNOWN_FREQ)
    return out


def _lookup(term: str, bulk: bool) -> float:
    """Frequency of ``term`` per token of English text (figures by their digit pattern).
    Both ways of looking up give the same value."""
    from wordfreq import word_frequency as wf

    f = None
    if bulk and not any(ch.isdigit() for ch in term):
        f = _frequencies().get(term) or _frequencies().get(term.replace("'", "’"))
    if f is None and bulk and term.isascii() and term.isalpha():
        f = 0.0  # plain letters wordfreq's list lacks: its single look-up finds nothing either
    if f is None:  # figures, and words the list keeps under another form (ligatures, ß)
        f = wf(term, "en") or wf(term.replace("'", "’"), "en")
    # wordfreq rounds its single look-ups to three significant digits: so do the list's
    return max(float(f"{f:.3g}") if f else UNKNOWN_FREQ, UNKNOWN_FREQ)


#: one term at a time, for callers outside a run (a run has its own :class:`WordModel`)
ONE_BY_ONE = WordModel()


def background_df(term: str) -> float:
    """The chance that an article of ordinary news contains ``term``."""
    return ONE_BY_ONE.df(term)


def idf(term: str, df: int, n: int) -> float:
    """:meth:`WordModel.idf` looked up one term at a time."""
    return ONE_BY_ONE.idf(term, df, n)
