"""Stage 3: features and MinHash signatures of articles, computed in bulk with numpy.

Three views of each article feed the matcher:

* ``doc``: the set of word ``k``-shingles of the whole body (reprints and re-edited wire copy);
* ``passages``: one small signature per sentence (rewrites that keep some passages or quotes);
* ``terms``: the article's most distinctive terms, weighted by TF-IDF over the run (rewrites
  that keep the facts: names, places, numbers).

Token hashes are stable across runs and machines (BLAKE2b, never Python's ``hash()``); shingle
hashes and the MinHash permutations are vectorised, so there is no Python loop per shingle. The
permutations are datasketch's own ``affine32`` scheme, so the signatures are ordinary
:class:`datasketch.LeanMinHash` objects that :class:`datasketch.MinHashLSH` indexes.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from sys import intern
from typing import TYPE_CHECKING

import numpy as np

from .arrays import segment_sums, unique, unique_first_counts
from .model import Article
from .normalise import label_run

if TYPE_CHECKING:
    from datasketch import LeanMinHash

_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")
#: a mark between sentences when a whole article is tokenised at once (no word character)
_CUT = "\x00"
_TOKEN_OR_CUT = re.compile("\x00|" + _TOKEN.pattern)
# a sentence may end at . ! ? … (and a closing quote) before a capital or a figure
_BOUNDARY = re.compile(r"[.!?…][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
# … but not after initials, "U.S." or a title
_ABBREV = re.compile(
    r"(?:^|\s)(?:[A-Z]|(?:[A-Z]\.)+[A-Z]|Mr|Mrs|Ms|Messrs|Dr|St|Gen|Gov|Sen|Sens|Rep|Reps|No|Jr|Sr|Lt|Col|Maj|Adm|Brig|Sgt|Cpl|Capt|Supt|Insp|Det|Prof|Rev|Hon|Rt|Mt|Ft)\.$"
)

#: Short function words: not terms, though they stay in shingles (word order matters there).
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "said",
        "says",
        "say",
        "told",
        "mr",
        "mrs",
        "ms",
        "yesterday",
        "today",
        "last",
        "new",
        "one",
        "two",
        "three",
        "year",
        "years",
        "time",
        "week",
        "day",
        "people",
        "according",
    ]
)

PASSAGE_MIN_TOKENS = 8
PASSAGE_SHINGLE = 3
PASSAGE_PERM = 32
TERMS_K = 24
TERMS_MAX_DF = 0.05
#: a specific is in at most this many of the run's articles (the handful that report one event:
#: a story rarely runs in more than four versions in a small run) …
SPECIFIC_MIN_DF = 4
#: … or this share of a larger run (1%: in 10,000 wire items, an event's names recur in a
#: hundred follow-ups; a topic's words are in far more)
SPECIFIC_MAX_SHARE = 0.01
#: … and in under 1% of ordinary news articles (wordfreq): "Kilburn", "parliamentarian",
#: "40,000", not "court", "tax" or "police"
SPECIFIC_MAX_BG = 0.01
#: articles weighed a step: their per-term arrays (~150 terms an article, a dozen arrays) stay
#: near 100 MB, whatever the size of the run
WEIGH_BLOCK = 16_384


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; apostrophes inside words kept, typographic ones unified."""
    # ’ is no word character: unified before the split, it ends up where ' would
    return _TOKEN.findall(text.lower().replace("’", "'"))


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences (abbreviations such as "U.S." and "Mr." do not end one)."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        head = paragraph[max(start, m.start() - 12) : m.start() + 1]
        if paragraph[m.start()] == "." and _ABBREV.search(head):
            continue
        end = m.end()
        piece = paragraph[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    rest = paragraph[start:].strip()
    if rest:
        out.append(rest)
    return out


_HASHED: dict[str, int] = {}  # token -> its hash; a run sees far fewer distinct tokens than tokens
_EMPTY = np.empty(0, dtype=np.uint64)


def token_hash(t: str) -> int:
    """A token's stable 32-bit hash (BLAKE2b, never Python's ``hash()``), cached."""
    h = _HASHED.get(t)
    if h is None:
        h = _HASHED[t] = int.from_bytes(
            hashlib.blake2b(t.encode("utf-8"), digest_size=4).digest(), "little"
        )
    return h


class TokenHasher:
    """Stable 32-bit hashes of tokens, cached (a run sees far fewer distinct tokens than tokens)."""

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def __call__(self, toks: list[str]) -> np.ndarray:
        cache = self._cache
        out = np.empty(len(toks), dtype=np.uint64)
        for i, t in enumerate(toks):
            h = cache.get(t)
            if h is None:
                h = int.from_bytes(
                    hashlib.blake2b(t.encode("utf-8"), digest_size=4).digest(), "little"
                )
                cache[t] = h
            out[i] = h
        return out


_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1, 0xD3A2646C,
                 0xFD7046C5, 0xB55A4F09, 0x7FEB352D, 0x846CA68B, 0x2C1B3C6D, 0x297A2D39],
                dtype=np.uint64)  # fmt: skip


def shingle_hashes(th: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of every run of ``k`` consecutive token hashes (all of them if fewer)."""
    n = len(th)
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    k = min(k, n)
    m = n - k + 1
    acc = np.zeros(m, dtype=np.uint64)
    for j in range(k):  # k is small (≤ 12): a loop per position in the window, not per shingle
        acc = acc ^ (th[j : j + m] * _MIX[j])
        acc = (acc ^ (acc >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
    acc ^= acc >> np.uint64(32)
    return unique(acc & np.uint64(0xFFFFFFFF))


class Permutations:
    """datasketch's ``affine32`` permutations for (num_perm, seed): a·h + b mod 2³²."""

    def __init__(self, num_perm: int, seed: int) -> None:
        # datasketch's MinHash._init_permutations for "affine32", without importing datasketch
        # (whose import pulls in scipy.integrate: half a second of a small run); a test checks
        # the values against datasketch's own
        gen = np.random.RandomState(seed)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        self.a = a.astype(np.uint64)
        self.b = b.astype(np.uint64)
        self.num_perm = num_perm
        self.seed = seed

    def signatures(self, sets: list[np.ndarray], chunk: int = 1 << 15) -> np.ndarray:
        """MinHash signature matrix (len(sets) × num_perm, uint32) of many hash sets at once.

        a·h + b is computed in uint32, whose products wrap modulo 2³² exactly as the
        ``& 0xFFFFFFFF`` of the 64-bit product does: the same values at half the memory traffic."""
        lengths = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))
        full = [x for x in sets if len(x)]
        flat = np.concatenate(full) if full else np.empty(0, np.uint32)
        return self.signatures_csr(flat, _ptr(lengths), chunk)

    def signatures_csr(self, flat: np.ndarray, ptr: np.ndarray, chunk: int = 1 << 15) -> np.ndarray:
        """:meth:`signatures` of the sets ``flat[ptr[i]:ptr[i + 1]]``."""
        n = len(ptr) - 1
        out = np.full((n, self.num_perm), 0xFFFFFFFF, dtype=np.uint32)
        if n == 0:
            return out
        flat = flat.astype(np.uint32, copy=False)
        owners = np.repeat(np.arange(n), np.diff(ptr))
        a = self.a.astype(np.uint32)[None, :]
        b = self.b.astype(np.uint32)[None, :]
        for start in range(0, len(flat), chunk):
            x = flat[start : start + chunk]
            own = owners[start : start + chunk]
            hv = x[:, None] * a
            hv += b
            # rows are grouped by owner: reduce each owner's block with reduceat
            cuts = np.flatnonzero(np.r_[True, own[1:] != own[:-1]])
            mins = np.minimum.reduceat(hv, cuts, axis=0)
            ids = own[cuts]
            out[ids] = np.minimum(out[ids], mins)
        return out

    def lean(self, row: np.ndarray) -> LeanMinHash:
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.seed, hashvalues=row, scheme="affine32")


@dataclass
class FeatureTable:
    """What the matcher needs of every article of a run, as columns (CSR: ``X_ptr[i]`` to
    ``X_ptr[i + 1]`` are article ``i``'s entries of ``X``). Nothing per article is a Python
    object but its header headline; :class:`Features` is a view of one row."""

    tokens: np.ndarray  # int64: tokens of each article
    sh_ptr: np.ndarray  # int64
    sh: np.ndarray  # uint32: sorted unique hashes of word k-shingles
    ps_ptr: np.ndarray  # int64: article -> its passages (sentences of PASSAGE_MIN_TOKENS+ words)
    sent_ptr: np.ndarray  # int64: passage -> its hashes
    sent: np.ndarray  # uint32: sorted unique 3-shingle hashes of each passage
    vocab: list[str]  # term id -> term
    w_ptr: np.ndarray  # int64
    w_ids: (
        np.ndarray
    )  # int32: every term of an article (words and header headline), first-seen order
    w_counts: np.ndarray  # int32: … and how often it occurs (dropped once weighed)
    headlines: list[tuple[str, ...]]  # the terms of a headline given in the header, in order
    # filled by weigh_terms:
    t_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    t_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # weighted terms
    t_w: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))  # L2-normalised
    spec_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    spec_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # sorted
    top_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    top_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # best first
    slots: list[tuple[str, ...] | None] = field(default_factory=list)  # see match._slots

    def __len__(self) -> int:
        return len(self.tokens)

    def row(self, i: int) -> Features:
        return Features(self, i)


class Features:
    """One article's row of a :class:`FeatureTable`: arrays are views, sets and dicts are made
    when asked for (the matcher asks for them for the few pairs that need them)."""

    __slots__ = ("_i", "_t")

    def __init__(self, table: FeatureTable, i: int) -> None:
        self._t = table
        self._i = i

    @property
    def tokens(self) -> int:
        return int(self._t.tokens[self._i])

    @property
    def shingles(self) -> np.ndarray:
        t, i = self._t, self._i
        return t.sh[t.sh_ptr[i] : t.sh_ptr[i + 1]]

    @property
    def passages(self) -> list[np.ndarray]:
        t, i = self._t, self._i
        ptr = t.sent_ptr
        return [t.sent[ptr[s] : ptr[s + 1]] for s in range(t.ps_ptr[i], t.ps_ptr[i + 1])]

    @property
    def passage_count(self) -> int:
        t, i = self._t, self._i
        return int(t.ps_ptr[i + 1] - t.ps_ptr[i])

    @property
    def terms(self) -> dict[str, float]:
        """TF-IDF weights, L2-normalised (terms in more articles than the cap left out)."""
        t, i = self._t, self._i
        lo, hi = t.t_ptr[i], t.t_ptr[i + 1]
        v = t.vocab
        return {
            v[k]: w for k, w in zip(t.t_ids[lo:hi].tolist(), t.t_w[lo:hi].tolist(), strict=True)
        }

    @property
    def top_ids(self) -> np.ndarray:
        t, i = self._t, self._i
        return t.top_ids[t.top_ptr[i] : t.top_ptr[i + 1]]

    @property
    def specific_ids(self) -> np.ndarray:
        """Specifics: terms rare both in the language and in the run (names, figures)."""
        t, i = self._t, self._i
        return t.spec_ids[t.spec_ptr[i] : t.spec_ptr[i + 1]]

    @property
    def specific(self) -> frozenset[str]:
        v = self._t.vocab
        return frozenset(v[k] for k in self.specific_ids.tolist())

    @property
    def headline(self) -> tuple[str, ...]:
        return self._t.headlines[self._i]

    @property
    def words(self) -> frozenset[str]:
        """Every term of the article before weighting (what a headline's slots are looked up in)."""
        t, i = self._t, self._i
        v = t.vocab
        return frozenset(v[k] for k in t.w_ids[t.w_ptr[i] : t.w_ptr[i + 1]].tolist())

    @property
    def slots(self) -> tuple[str, ...] | None:
        return self._t.slots[self._i]

    @slots.setter
    def slots(self, value: tuple[str, ...]) -> None:
        self._t.slots[self._i] = value


def _is_term(t: str) -> bool:
    if t in STOPWORDS:
        return False
    if t[0].isdigit():
        return len(t) >= 2  # figures are facts; lone digits mostly noise
    return len(t) > 2


def build_features(
    articles: list[Article],
    shingle_size: int,
    progress: Callable[[str, int, int], None] | None = None,
    jobs: int = 1,
) -> FeatureTable:
    """Tokenise every article once; shingles, passages and term counts as columns. With several
    jobs, forked workers take ranges of the list and send back their columns (results in order:
    identical output); the ranges' vocabularies are merged into one."""
    from .parallel import SHARED, ordered_map

    ranges = feature_ranges(len(articles))
    SHARED["articles"] = articles
    try:
        parts: list[FeatureTable] = []
        done = 0
        work = partial(_features_of_range, shingle_size=shingle_size)
        for part in ordered_map(work, ranges, jobs, chunksize=1, min_items=2):
            parts.append(part)
            done += len(part)
            if progress is not None:
                progress("sketch", done, len(articles))
        return _concat(parts)
    finally:
        SHARED.pop("articles", None)
        _HASHED.clear()  # a library caller's next run starts afresh (bounded by one run)


def feature_ranges(n: int) -> list[tuple[int, int]]:
    """The ranges of ``n`` articles whose features are built apart (with --jobs or on a Dask
    cluster): the same cut whoever builds them, so the merged table is the same."""
    # articles a range: each range builds its own vocabulary, so ranges are large (up to 1,024),
    # but a run is cut in at least eight of 256 or more, so every worker has some
    step = max(256, min(1024, -(-n // 8)))
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


def _features_of_range(bounds: tuple[int, int], shingle_size: int) -> FeatureTable:
    from .parallel import SHARED

    lo, hi = bounds
    return _features(SHARED["articles"][lo:hi], shingle_size)


def _ptr(lengths: np.ndarray) -> np.ndarray:
    """CSR pointers of consecutive segments of these lengths."""
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _concat(parts: list[FeatureTable]) -> FeatureTable:
    """One table of consecutive ranges' tables, their term ids mapped to one vocabulary. Each
    range's arrays are let go as soon as they are copied (at 200,000 articles the columns are
    half a gigabyte: the ranges and the whole must not be held twice over)."""
    count = sum(len(p) for p in parts)
    headlines = [h for p in parts for h in p.headlines]
    index: dict[str, int] = {}
    ids: list[np.ndarray] = []
    for part in parts:
        remap = np.fromiter(
            (index.setdefault(t, len(index)) for t in part.vocab), np.int32, len(part.vocab)
        )
        ids.append(remap[part.w_ids])
        part.w_ids = part.vocab = None  # type: ignore[assignment]

    def cat(name: str, dtype: type) -> np.ndarray:
        got = [getattr(p, name) for p in parts]
        for p in parts:
            setattr(p, name, None)
        out: np.ndarray = (
            np.concatenate(got).astype(dtype, copy=False) if got else np.zeros(0, dtype)
        )
        del got
        return out

    def ptr(name: str) -> np.ndarray:
        got = [np.diff(getattr(p, name)) for p in parts]
        for p in parts:
            setattr(p, name, None)
        return _ptr(np.concatenate(got) if got else np.zeros(0, np.int64))

    w_ids = np.concatenate(ids) if ids else np.zeros(0, np.int32)
    del ids
    return FeatureTable(
        tokens=cat("tokens", np.int64),
        sh_ptr=ptr("sh_ptr"),
        sh=cat("sh", np.uint32),
        ps_ptr=ptr("ps_ptr"),
        sent_ptr=ptr("sent_ptr"),
        sent=cat("sent", np.uint32),
        vocab=list(index),
        w_ptr=ptr("w_ptr"),
        w_ids=w_ids,
        w_counts=cat("w_counts", np.int32),
        headlines=headlines,
        slots=[None] * count,
    )


def _features(articles: list[Article], shingle_size: int) -> FeatureTable:
    """The columns of a range of articles: every token of the range in one stream (sentence
    by sentence, article by article), token ids from one vocabulary, and the shingles, passages
    and term counts of all articles at once from that stream."""
    words: list[str] = []  # every token of the range, in order, a _CUT after each sentence
    art_sents: list[int] = []  # sentences of each article (with or without words)
    heads: list[list[str]] = []  # tokens of a headline given in the header
    labels: list[bool] = []  # per sentence: a row of link labels or separators (never a passage)
    for art in articles:
        sents = [sent for para in art.body for sent in sentences(para)]
        art_sents.append(len(sents))
        labels.extend(label_run(sent) for sent in sents)
        if any(_CUT in sent for sent in sents):  # the text holds the mark itself
            for sent in sents:
                words.extend(tokens(sent))
                words.append(_CUT)
        elif sents:
            # one pass of the pattern over the article: the marks come back as tokens of their
            # own (an article's tokens are its sentences' tokens, in order)
            words.extend(_TOKEN_OR_CUT.findall((_CUT.join(sents) + _CUT).lower().replace("’", "'")))
        head = art.headline
        heads.append(tokens(head.value) if head.source == "header" and head.value else [])
    index = {t: i for i, t in enumerate(dict.fromkeys(chain(words, chain.from_iterable(heads))))}
    stream = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
    cut = stream == index.get(_CUT, -1)
    ends = np.flatnonzero(cut)
    all_len = np.diff(np.r_[-1, ends]) - 1  # tokens of each sentence, empty ones included
    ids = stream[~cut]
    # sentences without a word are left out
    art_of_all = np.repeat(np.arange(len(articles), dtype=np.int64), art_sents)
    has_words = all_len > 0
    sent_len = all_len[has_words]
    art_sents = np.bincount(art_of_all[has_words], minlength=len(articles)).tolist()
    vocab = [intern(t) for t in index]  # one string object per distinct term across the run
    hashes = np.fromiter(map(token_hash, vocab), dtype=np.uint64, count=len(vocab))[ids]
    slen = sent_len.astype(np.int64)
    sents_per_art = np.asarray(art_sents, dtype=np.int64)
    art_of_sent = np.repeat(np.arange(len(articles), dtype=np.int64), sents_per_art)
    art_len = np.bincount(art_of_sent, weights=slen, minlength=len(articles)).astype(np.int64)
    shingles = _segment_shingles(hashes, art_len, shingle_size)
    # a passage is a sentence of words: a menu, a breadcrumb or a footer's row of links is
    # long enough but says nothing two articles could share as evidence
    long = (slen >= PASSAGE_MIN_TOKENS) & ~np.asarray(labels, dtype=bool)[has_words]
    sent_sets = _segment_shingles(hashes, np.where(long, slen, 0), PASSAGE_SHINGLE, skip=slen)
    is_term = np.fromiter(map(_is_term, vocab), dtype=bool, count=len(vocab))
    w_ptr, w_ids, w_counts = _term_counts(ids, art_len, heads, index, is_term, len(vocab))
    passages: list[np.ndarray] = []
    per_art: list[int] = []
    first = 0
    for a in range(len(articles)):
        seen: set[bytes] = set()
        for s in range(first, first + art_sents[a]):
            if long[s]:
                key = sent_sets[s].tobytes()
                if key not in seen:  # a sentence repeated within one article counts once
                    seen.add(key)
                    passages.append(sent_sets[s])
        per_art.append(len(seen))
        first += art_sents[a]
    sizes = np.fromiter(map(len, shingles), dtype=np.int64, count=len(shingles))
    psizes = np.fromiter(map(len, passages), dtype=np.int64, count=len(passages))
    return FeatureTable(
        tokens=art_len,
        sh_ptr=_ptr(sizes),
        sh=np.concatenate(shingles).astype(np.uint32) if shingles else np.zeros(0, np.uint32),
        ps_ptr=_ptr(np.asarray(per_art, dtype=np.int64)),
        sent_ptr=_ptr(psizes),
        sent=np.concatenate(passages).astype(np.uint32) if passages else np.zeros(0, np.uint32),
        vocab=vocab,
        w_ptr=w_ptr,
        w_ids=w_ids,
        w_counts=w_counts,
        headlines=[tuple(dict.fromkeys(intern(t) for t in h if _is_term(t))) for h in heads],
    )


def _segment_shingles(
    hashes: np.ndarray, lengths: np.ndarray, k: int, skip: np.ndarray | None = None
) -> list[np.ndarray]:
    """:func:`shingle_hashes` of consecutive segments of one token-hash stream, all at once.

    Segment ``i`` is ``lengths[i]`` tokens long and starts after ``skip[:i]`` tokens (``skip``
    defaults to ``lengths``: segments back to back); a segment of length 0 gets no shingles.
    Windows that would cross into the next segment are dropped; a segment shorter than ``k``
    is one shingle of all its tokens, as :func:`shingle_hashes` makes it."""
    skip = lengths if skip is None else skip
    starts = np.r_[0, np.cumsum(skip)[:-1]].astype(np.int64) if len(skip) else skip
    out: list[np.ndarray] = [_EMPTY] * len(lengths)
    n = len(hashes)
    if n >= k:
        m = n - k + 1
        acc = np.zeros(m, dtype=np.uint64)
        for j in range(k):
            acc = acc ^ (hashes[j : j + m] * _MIX[j])
            acc = (acc ^ (acc >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
        acc ^= acc >> np.uint64(32)
        acc &= np.uint64(0xFFFFFFFF)
        full = np.flatnonzero(lengths >= k)
        windows = lengths[full] - k + 1
        owner = np.repeat(full, windows)
        pos = np.repeat(starts[full] - np.r_[0, np.cumsum(windows)[:-1]], windows) + np.arange(
            int(windows.sum()), dtype=np.int64
        )
        keys = unique((owner.astype(np.uint64) << np.uint64(32)) | acc[pos])
        seg = (keys >> np.uint64(32)).astype(np.int64)
        cuts = np.searchsorted(seg, full)
        ends = np.searchsorted(seg, full, side="right")
        vals = keys & np.uint64(0xFFFFFFFF)
        for i, lo, hi in zip(full.tolist(), cuts.tolist(), ends.tolist(), strict=True):
            out[i] = vals[lo:hi]
    for i in np.flatnonzero((lengths > 0) & (lengths < k)).tolist():
        out[i] = shingle_hashes(hashes[starts[i] : starts[i] + lengths[i]], k)
    return out


def _term_counts(
    ids: np.ndarray,
    art_len: np.ndarray,
    heads: list[list[str]],
    index: dict[str, int],
    is_term: np.ndarray,
    size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each article's term counts (its words and figures, then its header headline's) as CSR
    columns (pointers, term ids, counts), terms in the order they first occur, as a
    :class:`collections.Counter` over the tokens orders them."""
    head_len = np.fromiter(map(len, heads), dtype=np.int64, count=len(heads))
    head_ids = np.fromiter(
        map(index.__getitem__, chain.from_iterable(heads)),
        dtype=np.int64,
        count=int(head_len.sum()),
    )
    # one stream: article 0's body then its headline, article 1's body then its headline, …
    both = np.empty(len(ids) + len(head_ids), dtype=np.int64)
    owner = np.repeat(np.arange(len(heads), dtype=np.int64), art_len + head_len)
    is_head = np.zeros(len(both), dtype=bool)
    head_starts = np.cumsum(art_len + head_len) - head_len
    head_pos = np.repeat(head_starts - np.r_[0, np.cumsum(head_len)[:-1]], head_len) + np.arange(
        len(head_ids), dtype=np.int64
    )
    is_head[head_pos] = True
    both[is_head] = head_ids
    both[~is_head] = ids
    keep = is_term[both]
    v = max(1, size)
    keys = owner[keep] * v + both[keep]
    uniq, first, counts = unique_first_counts(keys)
    order = np.lexsort((first, uniq // v))
    uniq, counts = uniq[order], counts[order]
    ptr = np.searchsorted(uniq // v, np.arange(len(heads) + 1)).astype(np.int64)
    return ptr, (uniq % v).astype(np.int32), counts.astype(np.int32)


def weigh_terms(
    table: FeatureTable, days: list[int | None] | None = None, k: int = TERMS_K
) -> None:
    """Turn raw term counts into L2-normalised TF-IDF weights (sublinear tf; idf from the run's
    document frequencies smoothed by the language's, :func:`newsdedup.background.idf`) and pick
    each article's ``k`` most distinctive terms and its specifics.

    With dates for at least three distinct days, a term's idf is also scaled by how bursty it
    is: news names and figures cluster on a few days, the vocabulary of recurring templates
    (dividend notices, market reports) turns up every day. Undated articles add no day.

    Each distinct term's idf is worked out once; an article's weights keep its terms' order, and
    its norm is summed in that order."""
    from .background import background_df
    from .background import idf as smoothed_idf
    from .background import prepare as prepare_background

    n = len(table)
    vocab = table.vocab
    ptr = table.w_ptr
    df = np.bincount(table.w_ids, minlength=len(vocab))
    # the vocabulary holds every token; only the terms (in some article) are looked up
    used = np.flatnonzero(df).tolist()
    prepare_background(len(used))
    idf = np.zeros(len(vocab), dtype=np.float64)
    idf[used] = [smoothed_idf(vocab[t], d, n) for t, d in zip(used, df[used].tolist(), strict=True)]
    common = np.zeros(len(vocab), dtype=bool)
    common[used] = [background_df(vocab[t]) >= SPECIFIC_MAX_BG for t in used]
    day_of = np.fromiter(
        ((-1 if d is None else d) for d in (days or [None] * n)), dtype=np.int64, count=n
    )
    dated_days = unique(day_of[day_of >= 0])
    all_days = len(dated_days)
    # the articles in blocks: the per-term arrays of a step stay small at any size of run
    blocks = [(lo, min(lo + WEIGH_BLOCK, n)) for lo in range(0, n, WEIGH_BLOCK)]
    if all_days >= 3:
        top = math.log(all_days + 1) + 1.0
        pairs: list[np.ndarray] = []  # (term, day) of each dated article's terms, distinct
        for lo, hi in blocks:
            ids, owner = _block(table, lo, hi)
            day = day_of[lo:hi][owner]  # owners count from the block's first article
            rows = day >= 0
            slot = np.searchsorted(dated_days, day[rows])
            pairs.append(unique(ids[rows].astype(np.int64) * all_days + slot))
        seen = np.bincount(unique(np.concatenate(pairs)) // all_days, minlength=len(vocab))
        factor = [(math.log((all_days + 1) / (c + 1)) + 1.0) / top for c in range(all_days + 1)]
        idf = np.where(seen > 0, idf * np.asarray(factor)[seen], idf)
    cap = max(20, int(TERMS_MAX_DF * n))  # a term in more articles than this is not distinctive
    spec_cap = max(SPECIFIC_MIN_DF, int(SPECIFIC_MAX_SHARE * n))
    is_spec = (df <= spec_cap) & ~common
    logs = np.array([0.0] + [math.log(c) for c in range(1, int(table.w_counts.max(initial=1)) + 1)])
    alpha = np.empty(len(vocab), dtype=np.int32)  # each term's place in alphabetical order
    alpha[sorted(range(len(vocab)), key=vocab.__getitem__)] = np.arange(len(vocab))
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for lo, hi in blocks:
        m = hi - lo
        ids, owner = _block(table, lo, hi)
        counts = table.w_counts[ptr[lo] : ptr[hi]]
        # specifics, sorted by id within each article
        spec_rows = np.flatnonzero(is_spec[ids])
        spec_rows = spec_rows[np.lexsort((ids[spec_rows], owner[spec_rows]))]
        parts["spec_ids"].append(ids[spec_rows])
        parts["spec_len"].append(np.bincount(owner[spec_rows], minlength=m))
        # terms in more articles than the cap are the run's common vocabulary (and
        # templates'): they neither count in the cosine nor serve as distinctive terms
        kept = np.flatnonzero(df[ids] <= cap)
        weight = (1.0 + logs[counts[kept]]) * idf[ids[kept]]
        kept_owner = owner[kept]
        t_ptr = _ptr(np.bincount(kept_owner, minlength=m))
        # each norm summed left to right in the article's term order, as before (bit for bit)
        norms = np.sqrt(segment_sums(weight * weight, kept_owner, m))
        norms[norms == 0.0] = 1.0
        t_ids = ids[kept]
        parts["t_ids"].append(t_ids)
        parts["t_w"].append(weight / norms[kept_owner])
        parts["t_len"].append(np.diff(t_ptr))
        # most distinctive first, ties by the term itself
        order = np.lexsort((alpha[t_ids], -weight, kept_owner))
        rank = np.arange(len(order)) - t_ptr[kept_owner[order]]
        best = order[rank < k]
        parts["top_ids"].append(t_ids[best])
        parts["top_len"].append(np.bincount(kept_owner[best], minlength=m))

    def cat(name: str, dtype: type) -> np.ndarray:
        return (
            np.concatenate(parts[name]).astype(dtype, copy=False)
            if parts[name]
            else np.zeros(0, dtype)
        )

    table.spec_ids, table.spec_ptr = cat("spec_ids", np.int32), _ptr(cat("spec_len", np.int64))
    table.t_ids, table.t_w = cat("t_ids", np.int32), cat("t_w", np.float64)
    table.t_ptr = _ptr(cat("t_len", np.int64))
    table.top_ids, table.top_ptr = cat("top_ids", np.int32), _ptr(cat("top_len", np.int64))
    table.w_counts = np.zeros(0, np.int64)  # counts are weights now


def _block(table: FeatureTable, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Term ids of articles ``lo`` to ``hi`` and the article (from 0 at ``lo``) of each."""
    ptr = table.w_ptr
    ids = table.w_ids[ptr[lo] : ptr[hi]]
    owner = np.repeat(np.arange(hi - lo, dtype=np.int32), np.diff(ptr[lo : hi + 1]))
    return ids, owner


def term_hashes(terms: list[str]) -> np.ndarray:
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=4).digest(), "little")
            for t in terms
        ),
        dtype=np.uint64,
        count=len(terms),
    )


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Dot product over the smaller side's terms, added left to right in its order (a plain
    loop, as match.pair_cosines adds: Python 3.12's ``sum`` compensates, 3.11's does not);
    0, an int as it always was, when the smaller side has no terms."""
    if len(a) > len(b):
        a, b = b, a
    total: float = 0
    for t, v in a.items():
        total += v * b.get(t, 0.0)
    return total


def jaccard_containment(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact Jaccard and containment (of the smaller in the larger) of two sorted hash sets."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))
