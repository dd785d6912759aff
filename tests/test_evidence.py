"""Pair evidence and story levels: the bulk helpers against brute force, and what a level's
links and stories promise (order independence, nesting, evidence a reader can check)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np

from newsdedup.evidence import csr_cosines, ranks
from newsdedup.match.measures import csr_overlaps
from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import LEVELS, Settings

from .conftest import SAMPLES, run_cli


def test_ranks_share_the_better_rank_on_ties_and_match_brute_force() -> None:
    rng = random.Random(7)
    for _ in range(100):
        n = rng.randint(2, 8)
        pairs = sorted({tuple(sorted(rng.sample(range(n), 2))) for _ in range(rng.randint(1, 12))})
        firsts = np.array([a for a, _ in pairs], dtype=np.int64)
        seconds = np.array([b for _, b in pairs], dtype=np.int64)
        score = np.array([rng.choice([0.1, 0.5, 0.5, 0.9]) for _ in pairs])
        got = ranks(firsts, seconds, score, n)
        for k, (a, b) in enumerate(pairs):
            for side, end in enumerate((a, b)):
                mine = [score[j] for j, p in enumerate(pairs) if end in p]
                assert got[k, side] == 1 + sum(v > score[k] for v in mine)


def test_csr_helpers_match_dense_products() -> None:
    rng = np.random.default_rng(3)
    rows = [np.sort(rng.choice(20, size=rng.integers(0, 6), replace=False)) for _ in range(9)]
    ptr = np.r_[0, np.cumsum([len(r) for r in rows])].astype(np.int64)
    ids = np.concatenate(rows).astype(np.int32)
    w = rng.random(len(ids))
    dense = np.zeros((9, 20))
    for i, r in enumerate(rows):
        dense[i, r] = w[ptr[i] : ptr[i + 1]]
    a, b = np.array([0, 1, 2, 3, 8]), np.array([4, 5, 6, 7, 0])
    assert np.allclose(csr_cosines(ptr, ids, w, a, b), (dense[a] * dense[b]).sum(axis=1))
    want = [len(set(rows[x].tolist()) & set(rows[y].tolist())) for x, y in zip(a, b, strict=True)]
    assert csr_overlaps(ptr, ids, a, b).tolist() == want


def test_pairs_do_not_depend_on_the_order_of_the_input(tmp_path: Path, data: Path) -> None:
    """Identical files tie in every score: which comes first must not change a probability."""
    seeds = sorted((data / "seeds").iterdir())
    shutil.copyfile(seeds[0], tmp_path / "x.txt")
    shutil.copyfile(seeds[1], tmp_path / "a.txt")
    shutil.copyfile(seeds[1], tmp_path / "b.txt")
    names = [str(tmp_path / n) for n in ("x.txt", "a.txt", "b.txt")]

    def links(order: list[str]) -> set[tuple[object, ...]]:
        r = run_cli("pairs", "-f", "jsonl", "--level", "storyline", "--files-from", "-",
                    stdin="\n".join(order))  # fmt: skip
        assert r.returncode == 0, r.stderr
        rows = [json.loads(x) for x in r.stdout.splitlines()]
        return {
            (frozenset((x["path_a"], x["path_b"])), x["kind"], x["score"], x["p_event"],
             x["p_storyline"])
            for x in rows
        }  # fmt: skip

    one = links(names)
    assert len(one) == 3 and one == links(names[::-1])


def test_identical_short_texts_are_one_copy(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("HEADLINE ONLY\n")
    for level in LEVELS:
        s = Settings(level=level)
        result = find_stories_in(load([str(tmp_path)], s), s)
        assert [len(st.members) for st in result.stories] == [2], level


def test_levels_nest_and_every_link_reports_its_evidence() -> None:
    """Every copy lies in one event and every event in one storyline; an event or storyline
    link found by a scorer reports shingle overlap and probabilities like any other link."""
    groups = {}
    for level in LEVELS:
        rows = run_cli("clusters", "-f", "jsonl", "--level", level, "samples").stdout.splitlines()
        groups[level] = {(r := json.loads(x))["path"]: (r["story"], r["storyline"]) for x in rows}
    for fine, coarse in (("copy", "event"), ("event", "storyline")):
        together: dict[str, set[str]] = {}
        for path, (story, _) in groups[fine].items():
            together.setdefault(story, set()).add(groups[coarse][path][0])
        assert all(len(v) == 1 for v in together.values()), (fine, coarse)
    assert SAMPLES.is_dir()
    pairs = run_cli("pairs", "-f", "jsonl", "--level", "storyline", "samples").stdout
    links = [json.loads(x) for x in pairs.splitlines()]
    assert any(ln["kind"] == "same event" for ln in links)
    for ln in links:
        assert 0 <= ln["jaccard"] <= ln["containment"] <= 1
        assert ln["containment"] == 0 or ln["jaccard"] > 0
        assert 0 <= ln["p_event"] <= 1 and 0 <= ln["p_storyline"] <= 1
        if ln["kind"] == "same event":
            assert ln["specifics"], ln  # the names both have, as for a same-facts link
