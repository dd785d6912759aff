"""Quality gate: pinned floors on the labelled dev corpus. Lowering a floor is a visible act.

Measured when pinned (newsdedup clusters ../shared/data/meter-dev, scored by
../shared/eval/score.py): pairwise F1 0.939, ARI 0.938.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from newsdedup.pipeline import find_stories_in, load
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
    result = find_stories_in(load([str(root)], s), s)
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
    result = find_stories_in(load([str(data / "seeds")], s), s)
    assert [len(st.members) for st in result.stories] == [2]


# reuters-2017 (issue 12): topic-dense wire copy judged pair by pair. Measured when pinned:
# precision 0.430, recall 0.440 (37 of 84 same-story pairs); the run-only term weights gave
# 0.289 / 0.571. The target (0.8 / 0.75) is not met.
FLOOR_R17_PRECISION = 0.41
FLOOR_R17_RECALL = 0.42


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


def test_reuters_2017_gate(data: Path) -> None:
    root = data / "reuters-2017"
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
    assert len(story) == 532
    p, r = _pair_scores(labels, story)
    pd, rd = _pair_scores(labels, story, dated)
    pu, ru = _pair_scores(labels, story, set(story) - dated)
    print(f"reuters-2017 precision={p:.3f} recall={r:.3f}; dated half {pd:.3f}/{rd:.3f}; "
          f"undated half {pu:.3f}/{ru:.3f}")  # fmt: skip
    assert p >= FLOOR_R17_PRECISION
    assert r >= FLOOR_R17_RECALL
