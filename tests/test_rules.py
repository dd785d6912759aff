"""The rule book: the bulk pre-filter never drops a pair the per-pair check would link."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsdedup import Settings
from newsdedup.levels import slots_apart, vetoed
from newsdedup.match.rules import (
    could_link,
    headlines_agree,
    reprint_need,
    shares_distinctive,
    verify,
)
from newsdedup.match.run import MatchRun, pair_columns, pair_facts, prepare
from newsdedup.model import Article, Document, Field
from newsdedup.tuning import TUNING

# names and figures (rare in the language), everyday words, and template words, so that
# generated articles share terms, sentences and whole texts in every mix
WORDS = [
    "kilburn",
    "nakamura",
    "ottawa",
    "40,000",
    "3.5",
    "tuesday",
    "minister",
    "council",
    "bank",
    "shares",
    "profit",
    "fell",
    "rose",
    "police",
    "court",
    "the",
    "said",
    "and",
    "of",
    "in",
    "on",
    "dividend",
    "qtly",
    "sets",
    "issues",
    "report",
    "market",
    "week",
]

word = st.one_of(st.sampled_from(WORDS), st.text(alphabet="bdfgklmnprstvz", min_size=4, max_size=7))
sentence = st.lists(word, min_size=4, max_size=16).map(lambda ws: " ".join(ws).capitalize() + ".")
article = st.tuples(
    st.lists(st.integers(0, 15), min_size=0, max_size=6),  # sentences of the shared pool
    st.lists(sentence, min_size=0, max_size=5),  # and its own
    st.sampled_from([None, "1996-09-03", "1996-09-04", "1996-09-09T10:00", "1996-09-03T23:30"]),
    st.sampled_from([None, "Reuters", "The Times"]),
    # headlines of template words and slots (names of their own: different subjects)
    st.one_of(st.none(), st.lists(word, min_size=1, max_size=6)),
)


def _article(n: int, picks: list[int], own: list[str], pool: list[str], date: str | None,
             outlet: str | None, head: list[str] | None) -> Article:  # fmt: skip
    doc = Document(f"{n}.txt", f"{n}.txt", f"{n:064d}", 1, "utf-8", "", False, [])
    text = " ".join([pool[i] for i in picks] + own)
    body = [text] if text else []
    return Article(
        doc,
        date=Field(date, "header" if date else None),
        outlet=Field(outlet, "header" if outlet else None),
        headline=Field(" ".join(head), "header") if head else Field(None),
        body=body,
    )


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pool=st.lists(sentence, min_size=16, max_size=16),
    specs=st.lists(article, min_size=2, max_size=8),
    threshold=st.sampled_from([0.01, 0.05, 0.12, 0.3, 0.6]),
    window=st.sampled_from([0, 1, 3]),
)
def test_prefilter_never_drops_a_pair_verify_links(
    pool: list[str],
    specs: list[tuple[list[int], list[str], str | None, str | None, list[str] | None]],
    threshold: float,
    window: int,
) -> None:
    settings = Settings(threshold=threshold, window_days=window)
    articles = [_article(n, *spec[:2], pool, *spec[2:]) for n, spec in enumerate(specs)]
    run = prepare(articles, settings)
    n = run.n
    codes = np.array([a * n + b for a in range(n) for b in range(a + 1, n)], dtype=np.int64)
    cols = pair_columns(run, codes)  # every pair, not only the indexes' candidates
    kept = set(cols.possible(run).tolist())
    for k in range(len(codes)):
        p = pair_facts(run, cols, k)
        # the measures taken in bulk are the per-pair ones
        assert p.agree == headlines_agree(p.fa, p.fb)
        assert p.distinctive == shares_distinctive(p.fa, p.fb)
        link = verify(p, settings)
        if link is not None:
            assert k in kept, (link, cols.approx[k], cols.cos[k])


def test_the_prefilter_drops_pairs_no_rule_could_link() -> None:
    """Pairs far below every rule's first test go; each rule's own test keeps its pairs."""
    small = np.array([10, 10, 10, 2, 10])
    large = np.array([10, 10, 12, 2, 100])
    approx = np.array([0.0, 0.7, 0.5, 0.7, 0.1], dtype=np.float32)
    cos = np.array([0.01, 0.0, 0.0, 0.0, 0.2])
    got = could_link(small, large, approx, cos, threshold=0.12).tolist()
    # unrelated; near-identical estimate; a reprint's estimate (need ≈ 0.74 - 0.25); too few
    # shingles for a reprint but over the near-identical estimate; same facts by cosine
    assert got == [False, True, True, True, True]
    assert reprint_need(10, 12) == float(reprint_need(np.array([10]), np.array([12]))[0])


def _vetoed_one(run: MatchRun, a: int, b: int) -> bool:
    """The vetoes of one pair, spelled out as the levels read them."""
    fa, fb = run.feats[a], run.feats[b]
    if not headlines_agree(fa, fb) or slots_apart(fa, fb):
        return True
    da, db = run.days[a], run.days[b]
    if da is None or db is None or da == db:
        return False
    if abs(da - db) > run.settings.window_days:
        return True
    src, ha, hb = run.sources, run.clock[a], run.clock[b]
    return (
        src[a] is not None
        and src[a] == src[b]
        and ha is not None
        and hb is not None
        and abs(ha - hb) >= TUNING.same_source_hours
    )


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pool=st.lists(sentence, min_size=16, max_size=16),
    specs=st.lists(article, min_size=2, max_size=8),
    window=st.sampled_from([0, 1, 3]),
)
def test_vetoes_in_bulk_are_the_vetoes_of_each_pair(
    pool: list[str],
    specs: list[tuple[list[int], list[str], str | None, str | None, list[str] | None]],
    window: int,
) -> None:
    run = prepare(
        [_article(n, *spec[:2], pool, *spec[2:]) for n, spec in enumerate(specs)],
        Settings(window_days=window),
    )
    pairs = [(a, b) for a in range(run.n) for b in range(a + 1, run.n)]
    firsts = np.array([a for a, _ in pairs], dtype=np.int64)
    seconds = np.array([b for _, b in pairs], dtype=np.int64)
    assert vetoed(run, firsts, seconds).tolist() == [_vetoed_one(run, a, b) for a, b in pairs]
