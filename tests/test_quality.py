"""Quality gate: pinned floors on the labelled dev corpus. Lowering a floor is a visible act.

Measured when pinned (newsdedup clusters ../shared/data/meter-dev, scored by
../shared/eval/score.py): pairwise F1 0.939, ARI 0.938.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from newsdedup.pipeline import find_stories, load
from newsdedup.settings import Settings

FLOOR_PAIR_F1 = 0.93
FLOOR_ARI = 0.93


def _score_module(data: Path):
    spec = importlib.util.spec_from_file_location("score", data.parent / "eval/score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_meter_quality_floor(data: Path) -> None:
    root = data / "meter-dev"
    gold = {}
    for line in (root / "labels.tsv").read_text().splitlines()[1:]:
        path, story = line.split("\t")
        gold[path] = story
    s = Settings()
    result = find_stories(load([str(root)], s), s)
    pred = {}
    for st in result.stories:
        for m in st.members:
            rel = result.corpus.articles[m].doc.rel
            if rel in gold:
                pred[rel] = ("story", st.id)
    assert len(pred) == len(gold) == 663
    scores = _score_module(data).scores(gold, pred)
    print(f"meter-dev pair_f1={scores['pair_f1']:.4f} ari={scores['ari']:.4f}")
    assert scores["pair_f1"] >= FLOOR_PAIR_F1, scores
    assert scores["ari"] >= FLOOR_ARI, scores


def test_seed_pair_gate(data: Path) -> None:
    s = Settings()
    result = find_stories(load([str(data / "seeds")], s), s)
    assert [len(st.members) for st in result.stories] == [2]
