"""Tiny folders (issue 12): five files, where a run's own term statistics are noise.

Folders are drawn from meter-dev with a fixed seed: a PA story, one newspaper article filed
under it and three articles of other stories; and five articles of five different stories.
Measured when pinned (100 folders of each kind): the PA story and its newspaper article in one
story in 94 of 100 folders (85 with the run-only term weights before); 5 of 100 unrelated
folders with a false link, each between two different days of one running story (a trial, a
band) that METER files as separate stories.
"""

from __future__ import annotations

import random
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import Settings

FOLDERS = 100
FLOOR_TOGETHER = {"storyline": 90, "event": 73}  # of 100: the derived pair in one story
CEILING_FALSE = {"storyline": 5, "event": 2}  # of 100 (the issue asks ≤ 2 and ≤ 1: not met)
SEED = 12


def _labels(root: Path) -> dict[str, str]:
    rows = (root / "labels.tsv").read_text().splitlines()[1:]
    return dict(line.split("\t") for line in rows)


def _draw(root: Path) -> tuple[list[list[str]], list[list[str]]]:
    """(derived folders: [pa, newspaper, other×3], unrelated folders: five stories)."""
    gold = _labels(root)
    by_story: dict[str, list[str]] = defaultdict(list)
    for path, story in sorted(gold.items()):
        by_story[story].append(path)
    rng = random.Random(SEED)
    pairs = []
    for story, paths in sorted(by_story.items()):
        pa = [p for p in paths if p.startswith("pa/")]
        papers = [p for p in paths if not p.startswith("pa/")]
        if pa and papers:
            pairs.append((story, pa, papers))
    stories = sorted(by_story)
    derived, unrelated = [], []
    for _ in range(FOLDERS):
        story, pa, papers = pairs[rng.randrange(len(pairs))]
        others = rng.sample([s for s in stories if s != story], 3)
        derived.append(
            [rng.choice(pa), rng.choice(papers), *(rng.choice(by_story[o]) for o in others)]
        )
        unrelated.append([rng.choice(by_story[s]) for s in rng.sample(stories, 5)])
    return derived, unrelated


def _stories(root: Path, files: list[str], where: Path, level: str) -> list[list[str]]:
    """Copy ``files`` (outlet folders kept) into an empty folder and return its stories."""
    if where.exists():
        shutil.rmtree(where)
    for rel in files:
        dest = where / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, dest)
    s = Settings(jobs=1, level=level)
    result = find_stories_in(load([str(where)], s), s)
    arts = result.corpus.articles
    return [[arts[m].doc.rel for m in st.members] for st in result.stories]


def tiny_folder_figures(root: Path, tmp: Path, level: str) -> tuple[int, int]:
    derived, unrelated = _draw(root)
    together = false = 0
    for k, files in enumerate(derived):
        stories = _stories(root, files, tmp / f"d{k}", level)
        together += any(files[0] in st and files[1] in st for st in stories)
    for k, files in enumerate(unrelated):
        stories = _stories(root, files, tmp / f"u{k}", level)
        false += any(len(st) > 1 for st in stories)
    return together, false


@pytest.mark.parametrize("level", ["storyline", "event"])
def test_tiny_folders(data: Path, tmp_path: Path, level: str) -> None:
    together, false = tiny_folder_figures(data / "meter-dev", tmp_path, level)
    print(
        f"tiny folders at {level}: derived pair together {together}/{FOLDERS},"
        f" false links {false}/{FOLDERS}"
    )
    assert together >= FLOOR_TOGETHER[level]
    assert false <= CEILING_FALSE[level]
