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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from sys import intern
from typing import TYPE_CHECKING

import numpy as np

from .arrays import unique, unique_first_counts
from .model import Article

if TYPE_CHECKING:
    from datasketch import LeanMinHash

_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")
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
        n = len(sets)
        out = np.full((n, self.num_perm), 0xFFFFFFFF, dtype=np.uint32)
        if n == 0:
            return out
        lengths = np.fromiter(map(len, sets), dtype=np.int64, count=n)
        flat = (
            np.concatenate([s for s in sets if len(s)]).astype(np.uint32)
            if lengths.sum()
            else np.empty(0, np.uint32)
        )
        owners = np.repeat(np.arange(n), lengths)
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
class Features:
    """What the matcher needs of one article."""

    tokens: int
    shingles: np.ndarray  # sorted unique uint64 hashes of word k-shingles
    passages: list[np.ndarray]  # per sentence: its 3-shingle hashes
    terms: dict[str, float] = field(default_factory=dict)  # TF-IDF weights, L2-normalised
    top_terms: list[str] = field(default_factory=list)
    # specifics: terms rare both in the language and in the run (names, figures, odd words)
    specific: frozenset[str] = frozenset()
    # the terms of a headline given in the header, in order (empty without one)
    headline: tuple[str, ...] = ()
    # every term of the article before weighting (what a headline's slots are looked up in)
    words: frozenset[str] = frozenset()
    # the headline's rare words (see match._slots), worked out when first needed
    slots: tuple[str, ...] | None = None


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
) -> list[Features]:
    """Tokenise every article once; shingles and passages are hashed with numpy. With several
    jobs, forked workers take ranges of the list (results in order: identical output)."""
    from .parallel import SHARED, ordered_map

    step = 256
    ranges = [(lo, min(lo + step, len(articles))) for lo in range(0, len(articles), step)]
    SHARED["articles"] = articles
    try:
        feats: list[Features] = []
        work = partial(_features_of_range, shingle_size=shingle_size)
        for part in ordered_map(work, ranges, jobs, chunksize=1, min_items=2):
            feats.extend(part)
            if progress is not None:
                progress("sketch", len(feats), len(articles))
        return feats
    finally:
        SHARED.pop("articles", None)


def _features_of_range(bounds: tuple[int, int], shingle_size: int) -> list[Features]:
    from .parallel import SHARED

    lo, hi = bounds
    return _features(SHARED["articles"][lo:hi], shingle_size)


def _features(articles: list[Article], shingle_size: int) -> list[Features]:
    """Features of a range of articles, computed as columns: every token of the range in one
    stream (sentence by sentence, article by article), token ids from one vocabulary, and the
    shingles, passages and term counts of all articles at once from that stream."""
    words: list[str] = []  # every token of the range, in order
    sent_len: list[int] = []  # tokens of each sentence (sentences without a word left out)
    art_sents: list[int] = []  # sentences of each article
    heads: list[list[str]] = []  # tokens of a headline given in the header
    for art in articles:
        before = len(sent_len)
        for para in art.body:
            for sent in sentences(para):
                st = tokens(sent)  # an article's tokens are its sentences' tokens, in order
                if st:
                    words.extend(st)
                    sent_len.append(len(st))
        art_sents.append(len(sent_len) - before)
        head = art.headline
        heads.append(tokens(head.value) if head.source == "header" and head.value else [])
    index = {t: i for i, t in enumerate(dict.fromkeys(chain(words, chain.from_iterable(heads))))}
    vocab = [intern(t) for t in index]  # one string object per distinct term across the run
    ids = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
    hashes = np.fromiter(map(token_hash, vocab), dtype=np.uint64, count=len(vocab))[ids]
    slen = np.asarray(sent_len, dtype=np.int64)
    sents_per_art = np.asarray(art_sents, dtype=np.int64)
    art_of_sent = np.repeat(np.arange(len(articles), dtype=np.int64), sents_per_art)
    art_len = np.bincount(art_of_sent, weights=slen, minlength=len(articles)).astype(np.int64)
    shingles = _segment_shingles(hashes, art_len, shingle_size)
    long = slen >= PASSAGE_MIN_TOKENS
    sent_sets = _segment_shingles(hashes, np.where(long, slen, 0), PASSAGE_SHINGLE, skip=slen)
    is_term = np.fromiter(map(_is_term, vocab), dtype=bool, count=len(vocab))
    counts = _term_counts(ids, art_len, heads, index, is_term, vocab)
    feats: list[Features] = []
    first = 0
    for a, head in enumerate(heads):
        passages: list[np.ndarray] = []
        seen: set[bytes] = set()
        for s in range(first, first + art_sents[a]):
            if long[s]:
                key = sent_sets[s].tobytes()
                if key not in seen:  # a sentence repeated within one article counts once
                    seen.add(key)
                    passages.append(sent_sets[s])
        first += art_sents[a]
        f = Features(int(art_len[a]), shingles[a], passages, counts[a])
        f.headline = tuple(dict.fromkeys(intern(t) for t in head if _is_term(t)))
        feats.append(f)
    return feats


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
    vocab: list[str],
) -> list[dict[str, int]]:
    """Each article's term counts (its words and figures, then its header headline's), keys in
    the order they first occur, as a :class:`collections.Counter` over the tokens makes them."""
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
    v = max(1, len(vocab))
    keys = owner[keep] * v + both[keep]
    uniq, first, counts = unique_first_counts(keys)
    order = np.lexsort((first, uniq // v))
    uniq, counts = uniq[order], counts[order]
    arts = uniq // v
    cuts = np.searchsorted(arts, np.arange(len(heads) + 1))
    terms = [vocab[t] for t in (uniq % v).tolist()]
    cl = counts.tolist()
    return [
        dict(zip(terms[lo:hi], cl[lo:hi], strict=True))
        for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True)
    ]


def weigh_terms(
    feats: list[Features], days: list[int | None] | None = None, k: int = TERMS_K
) -> None:
    """Turn raw term counts into L2-normalised TF-IDF weights (sublinear tf; idf from the run's
    document frequencies smoothed by the language's, :func:`newsdedup.background.idf`) and pick
    each article's ``k`` most distinctive terms.

    With dates for at least three distinct days, a term's idf is also scaled by how bursty it
    is: news names and figures cluster on a few days, the vocabulary of recurring templates
    (dividend notices, market reports) turns up every day. Undated articles add no day.

    Computed as columns: one row of (term id, count) per term of each article, in the order of
    the article's terms; each distinct term's idf is worked out once."""
    from .background import background_df
    from .background import idf as smoothed_idf
    from .background import prepare as prepare_background

    n = len(feats)
    sizes = np.fromiter((len(f.terms) for f in feats), dtype=np.int64, count=n)
    total = int(sizes.sum())
    index = {t: i for i, t in enumerate(dict.fromkeys(chain.from_iterable(f.terms for f in feats)))}
    vocab = list(index)
    ids = np.fromiter(
        map(index.__getitem__, chain.from_iterable(f.terms for f in feats)), np.int64, total
    )
    counts = np.fromiter(chain.from_iterable(f.terms.values() for f in feats), np.int64, total)
    owner = np.repeat(np.arange(n, dtype=np.int64), sizes)
    df = np.bincount(ids, minlength=len(vocab))
    prepare_background(len(vocab))
    idf = np.array(
        [smoothed_idf(t, d, n) for t, d in zip(vocab, df.tolist(), strict=True)], dtype=np.float64
    )
    common = np.fromiter(
        (background_df(t) >= SPECIFIC_MAX_BG for t in vocab), dtype=bool, count=len(vocab)
    )
    day_of = np.fromiter(
        ((-1 if d is None else d) for d in (days or [None] * n)), dtype=np.int64, count=n
    )
    dated_days = unique(day_of[day_of >= 0])
    all_days = len(dated_days)
    if all_days >= 3:
        top = math.log(all_days + 1) + 1.0
        rows = day_of[owner] >= 0
        slot = np.searchsorted(dated_days, day_of[owner[rows]])
        seen = np.bincount(unique(ids[rows] * all_days + slot) // all_days, minlength=len(vocab))
        factor = [(math.log((all_days + 1) / (c + 1)) + 1.0) / top for c in range(all_days + 1)]
        burst = np.asarray(factor)[seen]
        idf = np.where(seen > 0, idf * burst, idf)
    cap = max(20, int(TERMS_MAX_DF * n))  # a term in more articles than this is not distinctive
    spec_cap = max(SPECIFIC_MIN_DF, int(SPECIFIC_MAX_SHARE * n))
    is_specific = ((df <= spec_cap) & ~common)[ids]
    # terms in more articles than the cap are the run's common vocabulary (and templates'):
    # they neither count in the cosine nor serve as distinctive terms
    kept = df[ids] <= cap
    logs = np.array([0.0] + [math.log(c) for c in range(1, int(counts.max(initial=1)) + 1)])
    weight = (1.0 + logs[counts]) * idf[ids]
    square = (weight * weight).tolist()
    # most distinctive first, ties by the term itself
    alpha = np.empty(len(vocab), dtype=np.int64)
    alpha[sorted(range(len(vocab)), key=vocab.__getitem__)] = np.arange(len(vocab))
    kept_rows = np.flatnonzero(kept)
    order = kept_rows[np.lexsort((alpha[ids[kept_rows]], -weight[kept_rows], owner[kept_rows]))]
    order_cuts = np.searchsorted(owner[order], np.arange(n + 1)).tolist()
    order_ids = ids[order].tolist()
    id_list, w_list, keep_list = ids.tolist(), weight.tolist(), kept.tolist()
    spec_list = is_specific.tolist()
    lo = 0
    for a, f in enumerate(feats):
        hi = lo + int(sizes[a])
        mine = [r for r in range(lo, hi) if keep_list[r]]
        norm = math.sqrt(sum(square[r] for r in mine)) or 1.0
        f.words = frozenset(f.terms)
        f.specific = frozenset(vocab[id_list[r]] for r in range(lo, hi) if spec_list[r])
        f.terms = {vocab[id_list[r]]: w_list[r] / norm for r in mine}
        f.top_terms = [
            vocab[t] for t in order_ids[order_cuts[a] : min(order_cuts[a + 1], order_cuts[a] + k)]
        ]
        lo = hi


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
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def jaccard_containment(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact Jaccard and containment (of the smaller in the larger) of two sorted hash sets."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))
