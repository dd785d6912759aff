"""The sketching core agrees with datasketch without importing it."""

import random
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from newsdedup.match import lsh_params
from newsdedup.model import Article
from newsdedup.sketch import Permutations


@pytest.mark.parametrize("num_perm", [16, 32, 100, 128, 256])
@pytest.mark.parametrize("threshold", [0.12, 0.3, 0.5, 0.8])
def test_lsh_params_are_datasketchs(num_perm: int, threshold: float) -> None:
    assert lsh_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


@pytest.mark.parametrize(("num_perm", "seed"), [(16, 1), (128, 1), (128, 3), (1024, 42)])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    perms = Permutations(num_perm, seed)
    assert np.array_equal(perms.a, a.astype(np.uint64))
    assert np.array_equal(perms.b, b.astype(np.uint64))
    # a signature is each permutation's minimum over the set, a·h + b mod 2³²
    values = np.array([7, 99, 2**31 + 5, 2**32 - 1], dtype=np.uint64)
    want = [
        min((int(x) * int(pa) + int(pb)) % 2**32 for x in values)
        for pa, pb in zip(a, b, strict=True)
    ]
    assert perms.signatures([values])[0].tolist() == want


def test_signatures_of_many_sets_are_each_sets_own() -> None:
    """Signatures of many sets at once (one permutation at a time over the flat array) are each
    set's own minimum under datasketch's permutations; an empty set's row is all 0xFFFFFFFF."""
    a, b = MinHash(num_perm=32, seed=5, scheme="affine32").permutations
    rng = np.random.default_rng(7)
    sizes = [0, 1, 3, 0, 0, 200, 2, 1, 0, 57]
    sets = [np.unique(rng.integers(0, 2**32, s, dtype=np.uint64)) for s in sizes]
    got = Permutations(32, 5).signatures(sets)
    assert got.shape == (len(sets), 32) and got.dtype == np.uint32 and got.flags.c_contiguous
    for row, values in zip(got.tolist(), sets, strict=True):
        want = [
            min(((int(x) * int(pa) + int(pb)) % 2**32 for x in values.tolist()), default=2**32 - 1)
            for pa, pb in zip(a, b, strict=True)
        ]
        assert row == want
    assert Permutations(32, 5).signatures([]).shape == (0, 32)


def test_matching_imports_neither_datasketch_nor_scipy() -> None:
    """A small run must not pay for datasketch's import (it pulls in scipy.integrate)."""
    code = (
        "import sys; from newsdedup import Settings; from newsdedup.match import find_links;"
        "from newsdedup.pipeline import load;"
        "c = load(['samples'], Settings()); find_links(c.articles, Settings());"
        "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _article(body: list[str]) -> Article:
    from newsdedup.model import Document

    return Article(Document("a.txt", "a.txt", "0" * 64, 1, "utf-8", "", False, []), body=body)


def test_whole_article_tokenising_keeps_sentences_apart() -> None:
    """An article is tokenised in one pass with a mark between sentences; a text holding the
    mark itself is tokenised sentence by sentence, and both give the same columns."""
    from newsdedup.sketch import build_features, sentences, tokens

    body = [
        "The minister met the envoy in Beijing on Monday for talks on trade. They agreed on "
        "nothing, officials said after the long meeting ended late.",
        "A second paragraph with ten or more words follows here for the passage index to see.",
    ]
    plain = build_features([_article(body)], 5)
    marked = build_features([_article([body[0].replace("Monday", "Monday\x00"), body[1]])], 5)
    assert plain.tokens.tolist() == [sum(len(tokens(s)) for p in body for s in sentences(p))]
    assert np.array_equal(plain.sh, marked.sh)
    assert np.array_equal(plain.sent, marked.sent)
    assert np.array_equal(plain.ps_ptr, marked.ps_ptr) and plain.ps_ptr.tolist() == [0, 3]


def test_term_weights_do_not_depend_on_the_block_size() -> None:
    """Articles are weighed in blocks (bounded memory): any block size gives the same columns."""
    from newsdedup import Settings
    from newsdedup.match import day_number
    from newsdedup.pipeline import load
    from newsdedup.sketch import build_features, weigh_terms

    articles = load(["samples"], Settings()).articles
    days = [day_number(a) for a in articles]
    table = build_features(articles, 5)
    tables = [weigh_terms(table, days, block=block) for block in (10_000, 2)]
    one, many = tables
    for name in ("t_ptr", "t_ids", "t_w", "spec_ptr", "spec_ids", "top_ptr", "top_ids"):
        assert np.array_equal(getattr(one, name), getattr(many, name)), name
    assert len(one.t_ids) > 0


def test_leads_are_each_bodys_first_terms_across_ranges() -> None:
    """The lead column (the pair evidence's lead vectors) is each body's first ``lead_terms``
    term tokens, repeats kept, as tokenising its paragraphs in order gives them: across
    paragraphs, short bodies, bodies without terms, Greek final sigma, a text holding the
    sentence mark, and ranges merged into one vocabulary; the token hashes follow the merge."""
    from newsdedup.sketch import build_features, is_term, token_hash, tokens
    from newsdedup.sketch.build import feature_ranges
    from newsdedup.tuning import TUNING

    rng = random.Random(3)
    words = ["trade", "talks", "the", "of", "Beijing", "40,000", "7", "ΟΔΟΣ", "envoy's", "a"]
    bodies = [
        [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 30))) + "." for _ in range(p)]
        for p in [rng.randrange(0, 5) for _ in range(600)]
    ]
    bodies += [["the of a."], ["Envoy met in Beijing.\x00 Trade rose."], []]
    assert len(feature_ranges(len(bodies))) > 1
    table = build_features([_article(b) for b in bodies], 5)
    for i, body in enumerate(bodies):
        want = [t for p in body for t in tokens(p) if is_term(t)][: TUNING.lead_terms]
        got = table.lead_ids[table.lead_ptr[i] : table.lead_ptr[i + 1]].tolist()
        assert [table.vocab[t] for t in got] == want, body
    assert table.vocab_hash.tolist() == [token_hash(t) for t in table.vocab]


def test_lead_counts_from_columns_equal_counts_from_lists() -> None:
    """The evidence's lead rows are counted from the table's columns: the same arrays as
    counting Python lists of the same ids (empty rows, repeats, first-seen order)."""
    from newsdedup.evidence import _count_csr, _count_rows
    from newsdedup.sketch.csr import pointers

    rng = random.Random(5)
    drawn = [
        [[rng.randrange(30) for _ in range(rng.randrange(6))] for _ in range(50)] for _ in range(5)
    ]
    for rows in [[[]], [[], []], [[3, 3, 1], [], [7, 1, 7, 7, 0]], *drawn]:
        ptr = pointers(np.array([len(r) for r in rows], dtype=np.int64))
        ids = np.array([t for r in rows for t in r], dtype=np.int32)
        for got, want in zip(_count_csr(ptr, ids), _count_rows(rows), strict=True):
            assert got.tolist() == want.tolist() and got.dtype == want.dtype
