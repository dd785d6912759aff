"""Quality gates: pinned floors on the labelled dev corpora. Lowering a floor is a visible act.

Measured when pinned (issue 23, story levels; scripts/eval_levels.py prints them all):
meter-dev at storyline pairwise F1 0.932, ARI 0.931; at event F1 0.759; reuters-2017 at event
precision 0.843, recall 0.512; bbc-2005 at event 0.861 / 0.756. The plain baseline
(../shared/eval/baseline.py) gets meter-dev F1 0.65, reuters-2017 0.587 / 0.440 and bbc-2005
0.787 / 0.778.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import Settings

# storyline: METER's labels group a story's reactions with it (the issue asks 0.94: not met,
# the trial's and the band's other days join their storyline, which METER files apart)
FLOOR_PAIR_F1 = 0.925
FLOOR_ARI = 0.925
FLOOR_EVENT_F1 = 0.74  # event: METER's same-day reactions are other events (the issue asks 0.8)


def _score_module(data: Path):
    spec = importlib.util.spec_from_file_location("score", data.parent / "eval/score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("level", ["storyline", "event"])
def test_meter_quality_floor(data: Path, level: str) -> None:
    root = data / "meter-dev"
    gold = {}
    for line in (root / "labels.tsv").read_text().splitlines()[1:]:
        path, story = line.split("\t")
        gold[path] = story
    s = Settings(level=level)
    result = find_stories_in(load([str(root)], s), s)
    pred = {}
    for st in result.stories:
        for m in st.members:
            rel = result.corpus.articles[m].doc.rel
            if rel in gold:
                pred[rel] = ("story", st.id)
    assert len(pred) == len(gold) == 663
    scores = _score_module(data).scores(gold, pred)
    print(f"meter-dev {level} pair_f1={scores['pair_f1']:.4f} ari={scores['ari']:.4f}")
    if level == "storyline":
        assert scores["pair_f1"] >= FLOOR_PAIR_F1, scores
        assert scores["ari"] >= FLOOR_ARI, scores
    else:
        assert scores["pair_f1"] >= FLOOR_EVENT_F1, scores


@pytest.mark.parametrize("level", ["copy", "event", "storyline"])
def test_seed_pair_gate(data: Path, level: str) -> None:
    s = Settings(level=level)
    result = find_stories_in(load([str(data / "seeds")], s), s)
    assert [len(st.members) for st in result.stories] == [2]


# reuters-2017 and bbc-2005: topic-dense news judged pair by pair (S same event), scored at the
# default level, event. Issue 23's targets: reuters-2017 P >= 0.75 at R >= 0.5 (met: 0.843 /
# 0.512); bbc-2005 P >= 0.85 at R >= 0.7 (met: 0.861 / 0.756).
FLOOR_R17_PRECISION = 0.82
FLOOR_R17_RECALL = 0.50
FLOOR_BBC_PRECISION = 0.83
FLOOR_BBC_RECALL = 0.74


def _pair_scores(
    labels: dict[frozenset[str], str], story: dict[str, str], keep: set[str] | None = None
) -> tuple[float, float]:
    """Pairwise precision and recall as ../shared/eval/score_pairs.py computes them (R pairs
    left out, unlisted pairs count as different), over the articles in ``keep``."""
    from itertools import combinations

    ids = sorted(k for k in story if keep is None or k in keep)
    groups: dict[str, list[str]] = {}
    for k in ids:
        groups.setdefault(story[k], []).append(k)
    same = different = 0
    for members in groups.values():
        for p in combinations(members, 2):
            label = labels.get(frozenset(p), "D")
            same += label == "S"
            different += label == "D"
    wanted = [p for p, lab in labels.items() if lab == "S" and all(x in ids for x in p)]
    found = sum(len({story[x] for x in p}) == 1 for p in wanted)
    return same / max(1, same + different), found / max(1, len(wanted))


def _judged_run(root: Path) -> tuple[dict[frozenset[str], str], dict[str, str], set[str]]:
    labels: dict[frozenset[str], str] = {}
    for line in (root / "pairs.tsv").read_text().splitlines()[1:]:
        a, b, label = line.split("\t")[:3]
        labels[frozenset((a, b))] = label
    s = Settings()
    result = find_stories_in(load([str(root / "articles")], s), s)
    story: dict[str, str] = {}
    dated: set[str] = set()
    for st in result.stories:
        for m in st.members:
            art = result.corpus.articles[m]
            key = Path(art.doc.rel).stem
            story[key] = st.id
            if art.date.source == "header":
                dated.add(key)
    return labels, story, dated


def test_bbc_2005_gate(data: Path) -> None:
    labels, story, _ = _judged_run(data / "bbc-2005")
    assert len(story) == 1253
    p, r = _pair_scores(labels, story)
    print(f"bbc-2005 precision={p:.3f} recall={r:.3f}")
    assert p >= FLOOR_BBC_PRECISION
    assert r >= FLOOR_BBC_RECALL


def test_reuters_2017_gate(data: Path) -> None:
    labels, story, dated = _judged_run(data / "reuters-2017")
    assert len(story) == 532
    p, r = _pair_scores(labels, story)
    pd, rd = _pair_scores(labels, story, dated)
    pu, ru = _pair_scores(labels, story, set(story) - dated)
    print(f"reuters-2017 precision={p:.3f} recall={r:.3f}; dated half {pd:.3f}/{rd:.3f}; "
          f"undated half {pu:.3f}/{ru:.3f}")  # fmt: skip
    assert p >= FLOOR_R17_PRECISION
    assert r >= FLOOR_R17_RECALL
