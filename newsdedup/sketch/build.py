"""Stage 3: features of articles, computed in bulk with numpy.

Three views of each article feed the matcher:

* ``doc``: the set of word ``k``-shingles of the whole body (reprints and re-edited wire copy);
* ``passages``: one small signature per sentence (rewrites that keep some passages or quotes);
* ``terms``: the article's most distinctive terms, weighted by TF-IDF over the run (rewrites
  that keep the facts: names, places, numbers; :mod:`newsdedup.sketch.weights`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from sys import intern

import numpy as np

from ..arrays import unique, unique_first_counts
from ..labels import label_run
from ..model import Article
from ..tuning import TUNING
from .csr import pointers, positions
from .hashing import EMPTY, TokenHasher, shingle_hashes, window_hashes
from .table import FeatureTable, concat
from .tokens import CUT, is_term, sentence_tokens, sentences, tokens


def build_features(
    articles: list[Article],
    shingle_size: int,
    progress: Callable[[str, int, int], None] | None = None,
    jobs: int = 1,
) -> FeatureTable:
    """Tokenise every article once; shingles, passages and term counts as columns. With several
    jobs, forked workers take ranges of the list and send back their columns (results in order:
    identical output); the ranges' vocabularies are merged into one."""
    from ..parallel import shared_map

    ranges = feature_ranges(len(articles))
    # the run's articles and its token hasher (each worker fills its own copy's cache)
    run = _Sketching(articles, shingle_size, TokenHasher())
    parts: list[FeatureTable] = []
    done = 0
    for part in shared_map(_features_of_range, run, ranges, jobs, chunksize=1, min_items=2):
        parts.append(part)
        done += len(part)
        if progress is not None:
            progress("sketch", done, len(articles))
    return concat(parts)


def feature_ranges(n: int) -> list[tuple[int, int]]:
    """The ranges of ``n`` articles whose features are built apart (with --jobs or on a Dask
    cluster): the same cut whoever builds them, so the merged table is the same."""
    # articles a range: each range builds its own vocabulary, so ranges are large (up to 1,024),
    # but a run is cut in at least eight of 256 or more, so every worker has some
    step = max(256, min(1024, -(-n // 8)))
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


def range_features(articles: list[Article], shingle_size: int) -> FeatureTable:
    """The columns of one range of articles, with a token hasher of their own (as a forked
    worker or a Dask worker builds them)."""
    return _features(articles, shingle_size, TokenHasher())


@dataclass(frozen=True)
class _Sketching:
    """What every range of one run is sketched with."""

    articles: list[Article]
    shingle_size: int
    hasher: TokenHasher


def _features_of_range(run: _Sketching, bounds: tuple[int, int]) -> FeatureTable:
    lo, hi = bounds
    return _features(run.articles[lo:hi], run.shingle_size, run.hasher)


def _features(articles: list[Article], shingle_size: int, hasher: TokenHasher) -> FeatureTable:
    """The columns of a range of articles: every token of the range in one stream (sentence
    by sentence, article by article), token ids from one vocabulary, and the shingles, passages
    and term counts of all articles at once from that stream."""
    words: list[str] = []  # every token of the range, in order, a CUT after each sentence
    art_sents: list[int] = []  # sentences of each article (with or without words)
    heads: list[list[str]] = []  # tokens of a headline given in the header
    labels: list[bool] = []  # per sentence: a row of link labels or separators (never a passage)
    for art in articles:
        sents = [sent for para in art.body for sent in sentences(para)]
        art_sents.append(len(sents))
        labels.extend(label_run(sent) for sent in sents)
        words.extend(sentence_tokens(sents))
        head = art.headline
        heads.append(tokens(head.value) if head.source == "header" and head.value else [])
    index = {t: i for i, t in enumerate(dict.fromkeys(chain(words, chain.from_iterable(heads))))}
    stream = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
    cut = stream == index.get(CUT, -1)
    ends = np.flatnonzero(cut)
    all_len = np.diff(np.r_[-1, ends]) - 1  # tokens of each sentence, empty ones included
    ids = stream[~cut]
    # sentences without a word are left out
    art_of_all = np.repeat(np.arange(len(articles), dtype=np.int64), art_sents)
    has_words = all_len > 0
    sent_len = all_len[has_words]
    art_sents = np.bincount(art_of_all[has_words], minlength=len(articles)).tolist()
    vocab = [intern(t) for t in index]  # one string object per distinct term across the run
    vocab_hash = hasher(vocab)  # each distinct token hashed once
    hashes = vocab_hash[ids]
    slen = sent_len.astype(np.int64)
    sents_per_art = np.asarray(art_sents, dtype=np.int64)
    art_of_sent = np.repeat(np.arange(len(articles), dtype=np.int64), sents_per_art)
    art_len = np.bincount(art_of_sent, weights=slen, minlength=len(articles)).astype(np.int64)
    shingles = segment_shingles(hashes, art_len, shingle_size)
    # a passage is a sentence of words: a menu, a breadcrumb or a footer's row of links is
    # long enough but says nothing two articles could share as evidence
    long = (slen >= TUNING.passage_min_tokens) & ~np.asarray(labels, dtype=bool)[has_words]
    sent_sets = segment_shingles(hashes, np.where(long, slen, 0), TUNING.passage_shingle, skip=slen)
    term_mask = np.fromiter(map(is_term, vocab), dtype=bool, count=len(vocab))
    w_ptr, w_ids, w_counts = _term_counts(ids, art_len, heads, index, term_mask, len(vocab))
    lead_ptr, lead_ids = _lead_terms(ids, art_len, term_mask)
    passages, per_art = _distinct_passages(sent_sets, long, art_sents)
    sizes = np.fromiter(map(len, shingles), dtype=np.int64, count=len(shingles))
    psizes = np.fromiter(map(len, passages), dtype=np.int64, count=len(passages))
    return FeatureTable(
        tokens=art_len,
        sh_ptr=pointers(sizes),
        sh=np.concatenate(shingles).astype(np.uint32) if shingles else np.zeros(0, np.uint32),
        ps_ptr=pointers(np.asarray(per_art, dtype=np.int64)),
        sent_ptr=pointers(psizes),
        sent=np.concatenate(passages).astype(np.uint32) if passages else np.zeros(0, np.uint32),
        vocab=vocab,
        vocab_hash=vocab_hash.astype(np.uint32),
        w_ptr=w_ptr,
        w_ids=w_ids,
        w_counts=w_counts,
        lead_ptr=lead_ptr,
        lead_ids=lead_ids,
        headlines=[tuple(dict.fromkeys(intern(t) for t in h if is_term(t))) for h in heads],
    )


def _distinct_passages(
    sent_sets: list[np.ndarray], long: np.ndarray, art_sents: list[int]
) -> tuple[list[np.ndarray], list[int]]:
    """Each article's passages (its long sentences' shingle sets, a sentence repeated within
    one article counted once) and how many each article has."""
    passages: list[np.ndarray] = []
    per_art: list[int] = []
    first = 0
    for count in art_sents:
        seen: set[bytes] = set()
        for s in range(first, first + count):
            if long[s]:
                key = sent_sets[s].tobytes()
                if key not in seen:  # a sentence repeated within one article counts once
                    seen.add(key)
                    passages.append(sent_sets[s])
        per_art.append(len(seen))
        first += count
    return passages, per_art


def segment_shingles(
    hashes: np.ndarray, lengths: np.ndarray, k: int, skip: np.ndarray | None = None
) -> list[np.ndarray]:
    """:func:`shingle_hashes` of consecutive segments of one token-hash stream, all at once.

    Segment ``i`` is ``lengths[i]`` tokens long and starts after ``skip[:i]`` tokens (``skip``
    defaults to ``lengths``: segments back to back); a segment of length 0 gets no shingles.
    Windows that would cross into the next segment are dropped; a segment shorter than ``k``
    is one shingle of all its tokens, as :func:`shingle_hashes` makes it."""
    skip = lengths if skip is None else skip
    starts = np.r_[0, np.cumsum(skip)[:-1]].astype(np.int64) if len(skip) else skip
    out: list[np.ndarray] = [EMPTY] * len(lengths)
    n = len(hashes)
    if n >= k:
        acc = window_hashes(hashes, k)
        full = np.flatnonzero(lengths >= k)
        windows = lengths[full] - k + 1
        owner = np.repeat(full, windows)
        pos = positions(starts[full], windows)
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


def _lead_terms(
    ids: np.ndarray, art_len: np.ndarray, term_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each article's first ``TUNING.lead_terms`` term tokens (repeats kept), in order, as CSR
    columns (pointers, term ids): the lead the pair evidence weighs (``evidence.article_vectors``),
    taken from the token stream instead of tokenising the first paragraphs again."""
    owner = np.repeat(np.arange(len(art_len), dtype=np.int64), art_len)
    keep = term_mask[ids]
    t_ids, t_owner = ids[keep], owner[keep]
    counts = np.bincount(t_owner, minlength=len(art_len))
    rank = np.arange(len(t_ids)) - np.repeat(pointers(counts)[:-1], counts)
    first = rank < TUNING.lead_terms
    return pointers(np.minimum(counts, TUNING.lead_terms)), t_ids[first].astype(np.int32)


def _term_counts(
    ids: np.ndarray,
    art_len: np.ndarray,
    heads: list[list[str]],
    index: dict[str, int],
    term_mask: np.ndarray,
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
    head_pos = positions(head_starts, head_len)
    is_head[head_pos] = True
    both[is_head] = head_ids
    both[~is_head] = ids
    keep = term_mask[both]
    v = max(1, size)
    keys = owner[keep] * v + both[keep]
    uniq, first, counts = unique_first_counts(keys)
    order = np.lexsort((first, uniq // v))
    uniq, counts = uniq[order], counts[order]
    ptr = np.searchsorted(uniq // v, np.arange(len(heads) + 1)).astype(np.int64)
    return ptr, (uniq % v).astype(np.int32), counts.astype(np.int32)
