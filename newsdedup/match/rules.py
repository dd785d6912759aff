"""The rule book of a link: every rule once, read by both the bulk pre-filter
(:func:`could_link`, over arrays of pairs) and the exact check of one pair (:func:`verify`).

* ``reprint``: the word-shingle sets nearly contain one another (verbatim or lightly edited);
* ``shared passages``: at least two sentences have a near-identical counterpart (one famous
  quote is not enough), with some agreement of terms besides;
* ``same facts``: the TF-IDF cosine of the articles' terms reaches the threshold.

Articles whose dates are more than ``window_days`` apart link only as near-identical texts, so
recurring template stories on different days stay apart; so do two articles of one source on
different days (a source does not rewrite its own story the next day: that is a follow-up, or a
recurring template item)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import cast, overload

import numpy as np

from ..background import WordModel
from ..model import LinkKind
from ..settings import Settings
from ..sketch import Features, FeatureTable, cosine, jaccard_containment
from ..sketch.csr import pointers
from ..tuning import TUNING
from .link import Link
from .measures import csr_overlaps


@overload
def reprint_need(small: int, large: int) -> float: ...
@overload
def reprint_need(small: np.ndarray, large: np.ndarray) -> np.ndarray: ...
def reprint_need(small: int | np.ndarray, large: int | np.ndarray) -> float | np.ndarray:
    """The Jaccard a reprint needs: containment ≥ c of the smaller set (m shingles, the larger
    M) means Jaccard ≥ c·m / ((1 - c)·m + M). One formula for one pair and for arrays of pairs
    (the same floating-point operations: the same values)."""
    c = TUNING.reprint_containment
    return c * small / ((1 - c) * small + large)


def could_link(
    small: np.ndarray, large: np.ndarray, approx: np.ndarray, cos: np.ndarray, threshold: float
) -> np.ndarray:
    """Which pairs some rule of :func:`verify` could link, in bulk: the pairs that fail every
    rule's first test (computed as :func:`verify` computes it) are dropped unchecked.
    ``small``/``large``: the pair's shingle-set sizes; ``approx``: the MinHash estimate of
    their Jaccard; ``cos``: the term cosine :func:`verify` is given."""
    est = approx.astype(np.float64)  # verify reads float(approx): the same value
    with np.errstate(invalid="ignore", divide="ignore"):  # two empty sets: NaN passes no test
        need = reprint_need(small, large)
    mask: np.ndarray = (
        ((small >= TUNING.reprint_min_shingles) & (est >= need - TUNING.approx_margin))
        | (est >= TUNING.near_identical - TUNING.approx_margin)
        | (cos >= min(TUNING.passage_min_cosine, threshold))
    )  # fmt: skip
    return mask


@dataclass(frozen=True)
class Pair:
    """What :func:`verify` knows of one candidate pair (articles ``a`` < ``b``).

    ``approx`` is the pair's Jaccard estimated from the MinHash signatures. It only spares the
    exact shingle intersection where the estimate is far (``approx_margin``, over five
    standard errors at 128 permutations) below what a reprint needs; every link is scored
    exactly. ``cos`` is the pair's term cosine if already worked out (``pair_cosines``)."""

    a: int
    b: int
    fa: Features
    fb: Features
    shared: int  # sentences the two share
    gap_days: int | None  # None when either is undated
    same_source: bool
    approx: float | None = None
    cos: float | None = None
    # measured in bulk beforehand (:func:`newsdedup.match.run.pair_facts`), else here:
    agree: bool | None = None  # headlines_agree
    distinctive: bool | None = None  # shares_distinctive

    def jaccard_containment(self) -> tuple[float, float]:
        return jaccard_containment(self.fa.shingles, self.fb.shingles)


def verify(p: Pair, settings: Settings) -> Link | None:
    """Score one candidate pair exactly and decide whether (and how) it links."""
    fa, fb = p.fa, p.fb
    if not (headlines_agree(fa, fb) if p.agree is None else p.agree):
        return None
    cos = cosine(fa.terms, fb.terms) if p.cos is None else p.cos
    gap = p.gap_days
    if gap is not None and (gap > settings.window_days or (p.same_source and gap > 0)):
        return _far(p, cos)
    exact: tuple[float, float] | None = None
    small, large = sorted((len(fa.shingles), len(fb.shingles)))
    if small >= TUNING.reprint_min_shingles:
        need = reprint_need(small, large)
        if p.approx is None or p.approx >= need - TUNING.approx_margin:
            exact = p.jaccard_containment()
            if exact[1] >= TUNING.reprint_containment:
                jac, cont = exact
                return Link(p.a, p.b, LinkKind.REPRINT, cont, jac, cont, p.shared, cos)
    if p.shared >= TUNING.passage_min_shared and cos >= TUNING.passage_min_cosine:
        jac, cont = exact or p.jaccard_containment()
        few = max(1, min(fa.passage_count, fb.passage_count))
        score = max(cos, min(1.0, p.shared / few))
        return Link(p.a, p.b, LinkKind.SHARED_PASSAGES, score, jac, cont, p.shared, cos)
    distinctive = shares_distinctive(fa, fb) if p.distinctive is None else p.distinctive
    if distinctive and _same_facts(p, cos, settings):
        jac, cont = exact or p.jaccard_containment()
        return Link(p.a, p.b, LinkKind.SAME_FACTS, cos, jac, cont, p.shared, cos)
    return None


def _far(p: Pair, cos: float) -> Link | None:
    """Outside the window, or one source on two days: near-identical texts only."""
    if p.approx is not None and p.approx < TUNING.near_identical - TUNING.approx_margin:
        return None
    jac, cont = p.jaccard_containment()
    if jac >= TUNING.near_identical:
        return Link(p.a, p.b, LinkKind.REPRINT, jac, jac, cont, p.shared, cos)
    return None


def _same_facts(p: Pair, cos: float, settings: Settings) -> bool:
    """The cosine reaches the threshold. One source's undated items could be from any day of
    its archive: the same words on another day are a follow-up as often as a re-send, so they
    need more."""
    wary = p.gap_days is None and p.same_source
    need = settings.threshold + (TUNING.undated_same_source_margin if wary else 0.0)
    if cos < need:
        return False
    if not wary:
        return True
    specifics = len(np.intersect1d(p.fa.specific_ids, p.fb.specific_ids, assume_unique=True))
    return specifics >= TUNING.undated_same_source_specifics


def shares_distinctive(fa: Features, fb: Features) -> bool:
    """At least one of each article's most distinctive terms is among the other's."""
    return len(set(fa.top_ids.tolist()) & set(fb.top_ids.tolist())) >= TUNING.min_shared_terms


def shares_distinctive_bulk(
    table: FeatureTable, firsts: np.ndarray, seconds: np.ndarray
) -> np.ndarray:
    """:func:`shares_distinctive` of many pairs at once (an article's top terms are unique)."""
    common = csr_overlaps(table.top_ptr, table.top_ids, firsts, seconds)
    shares: np.ndarray = common >= TUNING.min_shared_terms
    return shares


def with_specifics(link: Link, table: FeatureTable) -> Link:
    """The link with the specifics both its articles have, most telling first (by the sum of
    their term weights in the two, then by term)."""
    a, b = link.a, link.b
    sp = table.spec_ptr
    common = np.intersect1d(
        table.spec_ids[sp[a] : sp[a + 1]], table.spec_ids[sp[b] : sp[b + 1]], assume_unique=True
    )
    if not len(common):
        return replace(link, specifics=())
    ga, gb = _row_weights(table, a, common), _row_weights(table, b, common)
    v = table.vocab
    weight = {v[t]: ga.get(t, 0.0) + gb.get(t, 0.0) for t in common.tolist()}
    ranked = sorted(weight, key=lambda t: (-weight[t], t))  # most telling first
    return replace(link, specifics=tuple(ranked[: TUNING.evidence_specifics]))


def _row_weights(table: FeatureTable, i: int, ids: np.ndarray) -> dict[int, float]:
    """Article ``i``'s weights of those of the term ids ``ids`` it weighs."""
    lo, hi = table.t_ptr[i], table.t_ptr[i + 1]
    own = table.t_ids[lo:hi]
    hit = np.isin(own, ids)
    return dict(zip(own[hit].tolist(), table.t_w[lo:hi][hit].tolist(), strict=True))


def headline_slots(f: Features) -> tuple[str, ...]:
    """A headline's slot words: those rarer than everyday words (names, tickers, places,
    figures, the thing done). The rest is the template (SETS QTLY DIVIDEND, ISSUES EUROBOND).
    Worked out once an article (a pair is checked many times)."""
    if f.slots is None:
        f.slots = rare(f.headline, f.language)
    return cast("tuple[str, ...]", f.slots)  # set just above if it was not


def rare(words: Iterable[str], language: WordModel) -> tuple[str, ...]:
    """The words rarer in the language than ``headline_slot_max_bg``, in order."""
    return tuple(t for t in words if language.df(t) < TUNING.headline_slot_max_bg)


@dataclass(frozen=True)
class HeadlineRows:
    """Each article's headline as CSR rows of term ids (sorted): its slots
    (:func:`headline_slots`) and its template words (the rest), and each article's words
    (the table's ``w_ptr``/``w_ids``): what :func:`headlines_agree` reads, for pairs in bulk."""

    slot_ptr: np.ndarray
    slot_ids: np.ndarray
    tmpl_ptr: np.ndarray
    tmpl_ids: np.ndarray
    words: tuple[np.ndarray, np.ndarray]

    @property
    def slot_count(self) -> np.ndarray:
        return np.diff(self.slot_ptr)


def headline_rows(table: FeatureTable, feats: list[Features]) -> HeadlineRows:
    """The :class:`HeadlineRows` of a run's articles (a headline term outside the vocabulary,
    which no article's words hold, gets an id of its own)."""
    index = {t: i for i, t in enumerate(table.vocab)}
    slots: list[list[int]] = []
    tmpl: list[list[int]] = []
    for f in feats:
        own = headline_slots(f)
        slots.append(sorted({index.setdefault(t, len(index)) for t in own}))
        mine = set(own)
        tmpl.append(sorted({index.setdefault(t, len(index)) for t in f.headline if t not in mine}))
    s_ptr, s_ids = _csr(slots)
    t_ptr, t_ids = _csr(tmpl)
    return HeadlineRows(s_ptr, s_ids, t_ptr, t_ids, (table.w_ptr, table.w_ids))


def _csr(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(lens.sum()))
    return pointers(lens), flat


def headlines_agree_bulk(
    heads: HeadlineRows, firsts: np.ndarray, seconds: np.ndarray
) -> np.ndarray:
    """:func:`headlines_agree` of many pairs at once (the same counts and comparisons)."""
    common = csr_overlaps(heads.tmpl_ptr, heads.tmpl_ids, firsts, seconds)
    count = heads.slot_count
    disagree = np.zeros(len(firsts), dtype=bool)
    for x, y in ((firsts, seconds), (seconds, firsts)):
        found = csr_overlaps(heads.slot_ptr, heads.slot_ids, x, y, heads.words)
        slots = count[x]
        disagree |= (slots >= TUNING.headline_min_slots) & (
            found <= TUNING.headline_slot_cover * slots
        )
    agree: np.ndarray = (common == 0) | ~disagree
    return agree


def headlines_agree(fa: Features, fb: Features) -> bool:
    """Two articles whose headlines were given are one story only if each headline's slots
    mostly turn up in the other article. Template items (twenty companies' dividend notices, a
    market's reports at different hours) share every word but the slots; two write-ups of one
    event name its actors and figures in their bodies even when their headlines differ."""
    sa, sb = set(headline_slots(fa)), set(headline_slots(fb))
    if not (set(fa.headline) - sa) & (set(fb.headline) - sb):
        return True  # no template word in common: nothing to fill in differently
    for x, y in ((fa, fb), (fb, fa)):
        slots = headline_slots(x)
        if len(slots) >= TUNING.headline_min_slots:
            words = y.words  # a set made each time it is asked for
            found = sum(t in words for t in slots)
            if found <= TUNING.headline_slot_cover * len(slots):
                return False
    return True
