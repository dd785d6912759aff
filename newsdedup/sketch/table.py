"""The column table of a run's features and the one-row view the matcher reads."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..background import WordModel
from .csr import pointers

#: Word sets of articles kept at once (:attr:`Features.words`): on reuters-dev the rules ask for
#: 76,116 sets of 10,396 articles; keeping the last 1,024 made leaves 17,168 to make (all kept:
#: 10,396), and bounds the memory (a set of a hundred terms is a few kilobytes) at any size of run.
WORD_SETS_KEPT = 1024


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
    vocab_hash: np.ndarray  # uint32: term id -> its token hash (hashing.token_hash)
    w_ptr: np.ndarray  # int64
    w_ids: (
        np.ndarray
    )  # int32: every term of an article (words and header headline), first-seen order
    w_counts: np.ndarray  # int32: … and how often it occurs (dropped once weighed)
    lead_ptr: np.ndarray  # int64
    lead_ids: np.ndarray  # int32: the first TUNING.lead_terms term tokens of the body, in order
    headlines: list[tuple[str, ...]]  # the terms of a headline given in the header, in order
    # set by with_weights (weights.weigh_terms):
    t_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    t_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # weighted terms
    t_w: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))  # L2-normalised
    spec_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    spec_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # sorted
    top_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    top_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # best first
    # each headline's slots, made when first asked for (match.rules.headline_slots)
    slots: list[tuple[str, ...] | None] = field(default_factory=list)
    #: the run's language model (set with the weights: how the run's terms are looked up)
    language: WordModel = field(default_factory=WordModel)
    #: the word sets last asked for (:attr:`Features.words`), at most WORD_SETS_KEPT of them
    word_sets: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)

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
        """Every term of the article before weighting (what a headline's slots are looked up in).
        The last :data:`WORD_SETS_KEPT` sets made are kept: the matcher asks for one article's
        again and again as it goes through the candidate pairs in order."""
        t, i = self._t, self._i
        kept = t.word_sets
        got = kept.get(i)
        if got is None:
            v = t.vocab
            got = kept[i] = frozenset(v[k] for k in t.w_ids[t.w_ptr[i] : t.w_ptr[i + 1]].tolist())
            if len(kept) > WORD_SETS_KEPT:
                del kept[next(iter(kept))]  # the oldest made
        return got

    @property
    def language(self) -> WordModel:
        return self._t.language

    @property
    def slots(self) -> tuple[str, ...] | None:
        return self._t.slots[self._i]

    @slots.setter
    def slots(self, value: tuple[str, ...]) -> None:
        self._t.slots[self._i] = value


def concat(parts: list[FeatureTable]) -> FeatureTable:
    """One table of consecutive ranges' tables, their term ids mapped to one vocabulary. Each
    range's arrays are let go as soon as they are copied (at 200,000 articles the columns are
    half a gigabyte: the ranges and the whole must not be held twice over)."""
    count = sum(len(p) for p in parts)
    headlines = [h for p in parts for h in p.headlines]
    index: dict[str, int] = {}
    ids: list[np.ndarray] = []
    leads: list[np.ndarray] = []
    hashed: list[tuple[np.ndarray, np.ndarray]] = []  # each range's term ids and their hashes
    for part in parts:
        remap = np.fromiter(
            (index.setdefault(t, len(index)) for t in part.vocab), np.int32, len(part.vocab)
        )
        ids.append(remap[part.w_ids])
        leads.append(remap[part.lead_ids])
        hashed.append((remap, part.vocab_hash))
        part.w_ids = part.lead_ids = part.vocab = part.vocab_hash = None  # type: ignore[assignment]
    vocab_hash = np.zeros(len(index), dtype=np.uint32)
    for remap, part_hash in hashed:
        vocab_hash[remap] = part_hash
    del hashed

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
        return pointers(np.concatenate(got) if got else np.zeros(0, np.int64))

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
        vocab_hash=vocab_hash,
        w_ptr=ptr("w_ptr"),
        w_ids=w_ids,
        w_counts=cat("w_counts", np.int32),
        lead_ptr=ptr("lead_ptr"),
        lead_ids=np.concatenate(leads) if leads else np.zeros(0, np.int32),
        headlines=headlines,
        slots=[None] * count,
    )


@dataclass(frozen=True)
class TermColumns:
    """The weighed terms of every article (see :func:`newsdedup.sketch.weights.weigh_terms`)."""

    t_ptr: np.ndarray
    t_ids: np.ndarray  # int32: weighted terms
    t_w: np.ndarray  # float64: L2-normalised
    spec_ptr: np.ndarray
    spec_ids: np.ndarray  # int32: sorted
    top_ptr: np.ndarray
    top_ids: np.ndarray  # int32: best first
    language: WordModel  # the model the weights were looked up in


def with_weights(table: FeatureTable, cols: TermColumns) -> FeatureTable:
    """A new table: ``table``'s columns with the weighed terms, the raw counts dropped."""
    return replace(
        table,
        t_ptr=cols.t_ptr,
        t_ids=cols.t_ids,
        t_w=cols.t_w,
        spec_ptr=cols.spec_ptr,
        spec_ids=cols.spec_ids,
        top_ptr=cols.top_ptr,
        top_ids=cols.top_ids,
        language=cols.language,
        w_counts=np.zeros(0, np.int64),  # counts are weights now
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
