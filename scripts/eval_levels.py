"""Score each story level on the judged dev corpora, beside the plain cosine baseline."""

from __future__ import annotations

import importlib.util
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

from newsdedup.levels import LEVELS, level_links, stories_at  # noqa: E402
from newsdedup.match import prepare, rule_links  # noqa: E402
from newsdedup.pipeline import load  # noqa: E402
from newsdedup.settings import Settings  # noqa: E402


def pair_scores(labels, story):
    groups = {}
    for k, s in story.items():
        groups.setdefault(s, []).append(k)
    same = diff = rel = 0
    for members in groups.values():
        for p in combinations(sorted(members), 2):
            lab = labels.get(frozenset(p), "D")
            same += lab == "S"
            diff += lab == "D"
            rel += lab == "R"
    wanted = [p for p, lab in labels.items() if lab == "S" and all(x in story for x in p)]
    found = sum(len({story[x] for x in p}) == 1 for p in wanted)
    wanted_sr = [p for p, lab in labels.items() if lab in "SR" and all(x in story for x in p)]
    found_sr = sum(len({story[x] for x in p}) == 1 for p in wanted_sr)
    return (
        same / max(1, same + diff),
        found / max(1, len(wanted)),
        (same + rel) / max(1, same + rel + diff),
        found_sr / max(1, len(wanted_sr)),
        max(len(m) for m in groups.values()),
    )


def score_mod():
    spec = importlib.util.spec_from_file_location("score", DATA.parent / "eval/score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def evaluate(name, scorers, subset=None):
    if name == "reuters-dev":
        return evaluate_judged(scorers)
    folder = DATA / name / ("articles" if name != "meter-dev" else "")
    s = Settings(jobs=0)
    arts = load([str(folder)], s).articles
    run = prepare(arts, s)
    links = level_links(run, rule_links(run), *scorers)
    out = {}
    for level in LEVELS:
        stories = stories_at(arts, links, s, level)[1]
        if name == "meter-dev":
            gold = dict(
                row.split("\t") for row in (folder / "labels.tsv").read_text().splitlines()[1:]
            )
            pred = {
                arts[m].doc.rel: ("s", st.id)
                for st in stories
                for m in st.members
                if arts[m].doc.rel in gold
            }
            sc = score_mod().scores(gold, pred)
            out[level] = (
                f"F1 {sc['pair_f1']:.3f} ARI {sc['ari']:.3f} P {sc['pair_precision']:.3f} R {sc['pair_recall']:.3f}"
            )
        else:
            labels = {}
            for line in (folder.parent / "pairs.tsv").read_text().splitlines()[1:]:
                a, b, lab = line.split("\t")[:3]
                labels[frozenset((a, b))] = lab
            story = {Path(arts[m].doc.rel).stem: st.id for st in stories for m in st.members}
            if subset is not None:
                story = {k: v for k, v in story.items() if k in subset}
            p, r, psr, rsr, big = pair_scores(labels, story)
            out[level] = f"S: P {p:.3f} R {r:.3f} | S+R: P {psr:.3f} R {rsr:.3f} | largest {big}"
    return out


def evaluate_judged(scorers):
    """reuters-dev's pairs judged by reading (tests/data): S joined, D together."""
    folder = DATA / "reuters-dev"
    s = Settings(jobs=0)
    arts = load([str(folder)], s).articles
    run = prepare(arts, s)
    links = level_links(run, rule_links(run), *scorers)
    rows = [
        line.split("\t")
        for line in (ROOT / "tests/data/reuters_dev_judged.tsv").read_text().splitlines()[1:]
    ]
    out = {}
    for level in LEVELS:
        stories = stories_at(arts, links, s, level)[1]
        story = {arts[m].doc.rel: st.id for st in stories for m in st.members}
        s_pairs = [(a, b) for a, b, lab, _ in rows if lab == "S"]
        d_pairs = [(a, b) for a, b, lab, _ in rows if lab == "D"]
        sj = sum(story[a] == story[b] for a, b in s_pairs)
        dt = sum(story[a] == story[b] for a, b in d_pairs)
        big = max(len(st.members) for st in stories)
        out[level] = (
            f"S joined {sj}/{len(s_pairs)} = {sj / len(s_pairs):.3f}; "
            f"D together {dt}/{len(d_pairs)} = {dt / len(d_pairs):.3f} | largest {big}"
        )
    return out


if __name__ == "__main__":
    from newsdedup.levels_weights import EVENT, STORYLINE

    for name in sys.argv[1:] or ["reuters-2017", "bbc-2005", "meter-dev", "reuters-dev"]:
        for level, line in evaluate(name, (EVENT, STORYLINE)).items():
            print(f"{name:13s} {level:9s} {line}")
