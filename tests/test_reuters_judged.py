"""Reuters-dev judged by reading: pinned floors on story membership. Lowering a floor is a visible act.

tests/data/reuters_dev_judged.tsv holds article pairs of ../shared/data/reuters-dev, labelled by
reading (S = same announcement, action or data release; D = different story):

- base-member pairs of every story of 10+ articles (18 stories, 208 members) and of 40 stories
  of 2-9 articles drawn with random.Random(1987).sample(sorted story ids, 40) from the default
  run of the main branch at 1d7e584 (reason prefixes ``story10+:`` and ``sample2-9:``);
- missed joins, all S: flashes (one-line placeholder body) whose full story came minutes to hours
  later but sat in another story, and re-sends 26-48 hours apart (``missed join:``);
- a few D pairs the run keeps apart and should go on keeping apart: the same money-market,
  reserves or livestock notice on another day, an operation vs the earlier forecast of it
  (``kept apart:``).

Measured when pinned (Settings(), whole reuters-dev folder, 1d7e584): S pairs in one story
52/144 = 0.361 (all 52 judged S pairs, none of the 84 flash and 8 re-send missed joins); D pairs
in different stories 11/244 = 0.045 (none of the 233 judged D members, all 11 kept-apart pairs).
Members judged right: 52 of 285 (18%); 28 of 208 (13%) in stories of 10+, 24 of 77 (31%) in
the 2-9 sample. Run time about 20 s (one load of 11,000 files). The
issue's targets: at least 95% of story members right; flashes joined to their full story and
re-sends joined to the original.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import Settings

from .conftest import need_shared

FIXTURE = Path(__file__).parent / "data" / "reuters_dev_judged.tsv"

# Floors a little below what the code achieved when pinned; raise them as the matcher improves.
# At the default level, event (issue 23: judged-different pairs together <= 10%, not met: 37%)
FLOOR_S_JOINED = 0.72  # measured 0.750 (0.722 before story levels, 0.361 before flash links)
FLOOR_D_APART = 0.60  # measured 0.627 (0.242 before story levels, 0.045 before)
FLOOR_JUDGED_RIGHT = (
    0.33  # measured 0.345 (0.213 before levels): base-member pairs of the judged stories that are S
)


def _labels() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines()[1:]:
        a, b, label, reason = line.split("\t")
        rows.append((a, b, label, reason))
    return rows


@pytest.fixture(scope="module")
def story_of() -> dict[str, str]:
    """Story id of every reuters-dev article, keyed by its path relative to the folder; one run per module."""
    root = need_shared() / "reuters-dev"
    s = Settings()
    result = find_stories_in(load([str(root)], s), s)
    out: dict[str, str] = {}
    for st in result.stories:
        for m in st.members:
            out[Path(result.corpus.articles[m].doc.rel).as_posix()] = st.id
    assert len(out) == 11000
    return out


def _share(rows, story_of, label: str, prefix: str = "") -> tuple[int, int]:
    picked = [(a, b) for a, b, lab, why in rows if lab == label and why.startswith(prefix)]
    for a, b in picked:
        assert a in story_of and b in story_of, (a, b)
    together = sum(story_of[a] == story_of[b] for a, b in picked)
    good = together if label == "S" else len(picked) - together
    return good, len(picked)


def test_fixture_shape() -> None:
    rows = _labels()
    assert 150 <= len(rows) <= 400
    assert {r[2] for r in rows} == {"S", "D"}
    assert len({frozenset(r[:2]) for r in rows}) == len(rows)


def test_same_story_pairs_joined(story_of: dict[str, str]) -> None:
    rows = _labels()
    good, n = _share(rows, story_of, "S")
    for prefix in ("story10+", "sample2-9", "missed join: flash", "missed join: re-send"):
        g, k = _share(rows, story_of, "S", prefix)
        print(f"S joined [{prefix}] {g}/{k}")
    print(f"reuters-dev judged: S pairs in one story {good}/{n} = {good / n:.3f}")
    assert good / n >= FLOOR_S_JOINED


def test_different_pairs_apart(story_of: dict[str, str]) -> None:
    rows = _labels()
    good, n = _share(rows, story_of, "D")
    for prefix in ("story10+", "sample2-9", "kept apart"):
        g, k = _share(rows, story_of, "D", prefix)
        print(f"D apart [{prefix}] {g}/{k}")
    print(f"reuters-dev judged: D pairs apart {good}/{n} = {good / n:.3f}")
    assert good / n >= FLOOR_D_APART


def test_judged_members_right(story_of: dict[str, str]) -> None:
    """Of the judged base-member pairs still in one story, the share labelled S (members right)."""
    rows = [r for r in _labels() if r[3].startswith(("story10+", "sample2-9"))]
    joined = [r for r in rows if story_of[r[0]] == story_of[r[1]]]
    right = sum(r[2] == "S" for r in joined)
    share = right / max(1, len(joined))
    print(f"reuters-dev judged: members right {right}/{len(joined)} = {share:.3f} (target 0.95)")
    assert share >= FLOOR_JUDGED_RIGHT
