"""Build a benchmark corpus of N articles from real Reuters sentences, with a duplicate structure.

Stories are made of real sentences from ``reuters-dev``; about a third of them are run again as
exact re-sends (same body, new timestamp), edits (a sentence dropped, a figure changed) or partial
rewrites by another outlet (some sentences kept, others new). Dates spread over eight weeks. The
output is raw wire text (timestamp, headline, dateline, body, sign-off), one folder per outlet,
deterministic for a seed.

usage: python benchmarks/generate.py N OUT_DIR [--seed 7] [--source ../shared/data/reuters-dev]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from newsdedup.sketch import sentences

OUTLETS = ["wire", "daily", "herald", "post", "courier"]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def load_sentences(source: Path, limit: int = 200_000) -> list[str]:
    out: list[str] = []
    for name in sorted(os.listdir(source)):
        lines = (source / name).read_text(encoding="utf-8", errors="replace").splitlines()
        body = " ".join(ln.strip() for ln in lines[2:] if ln.strip() and ln.strip() != "Reuter")
        body = re.sub(r"^[A-Z][A-Z .,]+, \w+ \d+ - ", "", body)
        out.extend(s for s in sentences(body) if 6 <= len(s.split()) <= 60)
        if len(out) >= limit:
            break
    return out


def write(folder: Path, n: int, when: dt.datetime, headline: str, body: list[str]) -> None:
    stamp = f"{when.day}-{MONTHS[when.month - 1]}-{when.year} {when:%H:%M:%S}.00"
    text = (
        f"{stamp}\n{headline}\n    NEW YORK, {when:%B} {when.day} - "
        + "\n    ".join(body)
        + "\n Reuter\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{n:07d}.txt").write_text(text, encoding="utf-8")


def generate(n: int, out: Path, seed: int, source: Path) -> None:
    rng = random.Random(seed)
    pool = load_sentences(source)
    start = dt.datetime(1987, 2, 2, 6, 0)
    made = 0
    while made < n:
        when = start + dt.timedelta(minutes=rng.randrange(8 * 7 * 24 * 60))
        body = rng.sample(pool, rng.randint(4, 12))
        headline = " ".join(body[0].split()[:7]).upper().rstrip(".,")
        write(out / "wire", made, when, headline, body)
        made += 1
        if rng.random() < 0.33:
            for _ in range(rng.randint(1, 4)):
                if made >= n:
                    break
                kind = rng.random()
                later = when + dt.timedelta(minutes=rng.randint(5, 20 * 60))
                outlet = "wire"
                if kind < 0.3:  # exact re-send
                    copy = list(body)
                elif kind < 0.6:  # edit: drop a sentence, change a figure
                    copy = [s for s in body if rng.random() > 0.15] or body[:1]
                    copy = [
                        re.sub(
                            r"\d+", lambda m: str(int(m.group(0)) + rng.randint(1, 9)), s, count=1
                        )
                        for s in copy
                    ]
                else:  # partial rewrite by another outlet
                    outlet = rng.choice(OUTLETS[1:])
                    kept = [s for s in body if rng.random() < 0.5] or body[:2]
                    copy = kept + rng.sample(pool, rng.randint(1, 5))
                write(out / outlet, made, later, headline, copy)
                made += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--source",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared/data/reuters-dev",
    )
    a = ap.parse_args()
    generate(a.n, a.out, a.seed, a.source)


if __name__ == "__main__":
    main()
