"""Fit the pair scorers of the event and storyline levels on judged pairs, and report how they
hold across corpora (fit on one, test on the other).

    .venv/bin/pip install scikit-learn        # for fitting only; the package scores with numpy
    .venv/bin/python scripts/fit_levels.py [--write]

Data (../shared/data, see its README): reuters-2017 and bbc-2005 (pairs judged S same event,
R same storyline, D different; unlisted pairs are D) and meter-dev (story labels, which group a
story's reactions with it: storyline level). Every candidate pair the matcher's indexes offer
gets its evidence (:mod:`newsdedup.evidence`); the labels make two tasks:

* event: S against R and D (reuters-2017 and bbc-2005);
* storyline: S and R against D (all three; a METER pair is positive when both articles carry
  one label).

``--write`` prints the weights as Python for ``newsdedup/levels_weights.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsdedup import evidence  # noqa: E402
from newsdedup.match import prepare  # noqa: E402
from newsdedup.pipeline import load  # noqa: E402
from newsdedup.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CACHE = Path("/tmp/newsdedup-fit")


def _pairs_labels(tsv: Path) -> dict[frozenset[str], str]:
    out = {}
    for line in tsv.read_text().splitlines()[1:]:
        a, b, label = line.split("\t")[:3]
        out[frozenset((a, b))] = label
    return out


def collect(name: str) -> dict[str, np.ndarray]:
    """The evidence and label ('S', 'R', 'D') of every candidate pair of one corpus."""
    CACHE.mkdir(exist_ok=True)
    cached = CACHE / f"{name}-{_code_key()}.npz"
    if cached.exists():
        return dict(np.load(cached, allow_pickle=False))
    folder = {
        "reuters-2017": DATA / "reuters-2017" / "articles",
        "bbc-2005": DATA / "bbc-2005" / "articles",
        "meter-dev": DATA / "meter-dev",
        "reuters-dev": DATA / "reuters-dev",
    }[name]
    s = Settings(jobs=0)
    corpus = load([str(folder)], s)
    arts = corpus.articles
    run = prepare(arts, s)
    ev = evidence_of(run)
    keys = [Path(a.doc.rel).stem for a in arts]
    if name == "reuters-dev":
        # pairs judged by reading (tests/data): S same announcement, action or release, D
        # different; only judged candidates are kept (the rest were never looked at)
        judged = {}
        for line in (ROOT / "tests/data/reuters_dev_judged.tsv").read_text().splitlines()[1:]:
            a, b, label = line.split("\t")[:3]
            judged[frozenset((Path(a).stem, Path(b).stem))] = label
        labels = [
            judged.get(frozenset((keys[a], keys[b])), "?")
            for a, b in zip(ev.firsts.tolist(), ev.seconds.tolist(), strict=True)
        ]
        keep = np.array([lab != "?" for lab in labels], dtype=bool)
        ev = ev.take(np.flatnonzero(keep))
        labels = [lab for lab in labels if lab != "?"]
        positives = {lab: sum(1 for x in judged.values() if x == lab) for lab in "SR"}
    elif name == "meter-dev":
        gold = dict(
            line.split("\t") for line in (folder / "labels.tsv").read_text().splitlines()[1:]
        )
        story = [gold.get(a.doc.rel) for a in arts]
        labels = [
            "R" if story[a] is not None and story[a] == story[b] else "D"
            for a, b in zip(ev.firsts.tolist(), ev.seconds.tolist(), strict=True)
        ]
        # how many same-story pairs there are in all (for recall)
        sizes: dict[str, int] = {}
        for st in story:
            if st is not None:
                sizes[st] = sizes.get(st, 0) + 1
        positives = {"R": sum(k * (k - 1) // 2 for k in sizes.values()), "S": 0}
    else:
        judged = _pairs_labels(folder.parent / "pairs.tsv")
        labels = [
            judged.get(frozenset((keys[a], keys[b])), "D")
            for a, b in zip(ev.firsts.tolist(), ev.seconds.tolist(), strict=True)
        ]
        present = set(keys)
        positives = {
            lab: sum(1 for p, x in judged.items() if x == lab and p <= present) for lab in "SR"
        }
    out = {
        "X": ev.matrix(),
        "label": np.array(labels),
        "firsts": ev.firsts,
        "seconds": ev.seconds,
        "all_S": np.array(positives["S"]),
        "all_R": np.array(positives["R"]),
    }
    np.savez(cached, **out)
    return out


def evidence_of(run):  # type: ignore[no-untyped-def]
    """The evidence of the pairs the package scores: candidates and the rules' links."""
    from newsdedup.levels import candidate_evidence, evidence_codes
    from newsdedup.match import rule_links

    return candidate_evidence(run, evidence_codes(run, rule_links(run)))


def _code_key() -> str:
    """The package's source: cached evidence of other code is not reused."""
    import hashlib

    h = hashlib.blake2b(digest_size=8)
    for path in sorted((ROOT / "newsdedup").rglob("*.py")):
        if path.name != "levels_weights.py":
            h.update(path.read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--event-threshold", type=float, default=0.9)
    ap.add_argument("--storyline-threshold", type=float, default=0.8)
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    sets = {
        name: collect(name) for name in ("reuters-2017", "bbc-2005", "meter-dev", "reuters-dev")
    }
    for name, d in sets.items():
        lab = d["label"]
        print(
            f"{name}: {len(lab)} candidates; S {int((lab == 'S').sum())}/{int(d['all_S'])}"
            f" R {int((lab == 'R').sum())}/{int(d['all_R'])} D {int((lab == 'D').sum())}"
        )

    def task(level: str, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xs, ys, ws = [], [], []
        for name in names:
            d = sets[name]
            y = d["label"] == "S" if level == "event" else d["label"] != "D"
            xs.append(d["X"])
            ys.append(y)
            # each corpus weighs the same in the fit, whatever its number of candidates
            ws.append(np.full(len(y), 1.0 / len(y)))
        return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)

    def fit(level: str, names: list[str]):  # type: ignore[no-untyped-def]
        x, y, w = task(level, names)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=args.C, max_iter=5000, class_weight="balanced")
        model.fit((x - mean) / scale, y, sample_weight=w * len(y))
        return model, mean, scale

    def prob(model, mean, scale, x):  # type: ignore[no-untyped-def]
        return model.predict_proba((x - mean) / scale)[:, 1]

    written: list[str] = []
    for level, train_sets in (
        ("event", ["reuters-2017", "bbc-2005"]),
        ("storyline", ["reuters-2017", "bbc-2005", "meter-dev"]),
    ):
        print(f"\n== {level}")
        for held in train_sets:
            rest = [n for n in train_sets if n != held] or [held]
            model, mean, scale = fit(level, rest)
            d = sets[held]
            p = prob(model, mean, scale, d["X"])
            y = d["label"] == "S" if level == "event" else d["label"] != "D"
            total = int(d["all_S"]) if level == "event" else int(d["all_S"] + d["all_R"])
            line = []
            for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.98):
                k = p >= t
                prec = y[k].sum() / max(1, k.sum())
                line.append(f"t{t}: P {prec:.2f} R {y[k].sum() / max(1, total):.2f}")
            print(f"  fit on {rest}, test {held}: " + "; ".join(line))
        model, mean, scale = fit(level, train_sets)
        print("  weights:")
        for c, wt in zip(evidence.COLUMNS, model.coef_[0], strict=True):
            print(f"    {c:15s} {wt:+.3f}")
        print(f"    bias {model.intercept_[0]:+.3f}")
        need = args.event_threshold if level == "event" else args.storyline_threshold
        written.append(
            f"{level.upper()} = Scorer(\n"
            f"    weights={tuple(round(float(v), 4) for v in model.coef_[0])!r},\n"
            f"    bias={round(float(model.intercept_[0]), 4)!r},\n"
            f"    mean={tuple(round(float(v), 4) for v in mean)!r},\n"
            f"    scale={tuple(round(float(v), 4) for v in scale)!r},\n"
            f"    threshold={need!r},\n)\n"
        )
    if args.write:
        target = ROOT / "newsdedup" / "levels_weights.py"
        target.write_text(HEADER + "\n\n".join(written))
        print(f"wrote {target}")


HEADER = """\"\"\"The fitted pair scorers (written by scripts/fit_levels.py --write; do not edit by hand).

Logistic regressions over :data:`newsdedup.evidence.COLUMNS`, fitted with scikit-learn
(balanced classes, each corpus weighing the same) on the candidate pairs of reuters-2017 and
bbc-2005 (event: S against R and D) and of those and meter-dev (storyline: S and R against D).
The thresholds are precision-first: see the README's story levels for the figures.
\"\"\"

from .evidence import Scorer

"""


if __name__ == "__main__":
    main()
