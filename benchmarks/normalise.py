"""Per-article cost of reading and normalising, at one job: milliseconds an article.

usage: python benchmarks/normalise.py [CORPUS] [REPEAT]
       (default ../shared/data/reuters-dev, best of 3)

Times the three steps of ``pipeline.load`` apart, in this process: reading (``read_inputs``:
open, decode, strip markup, cut paragraphs), ``parse`` (header, dateline, tail, boilerplate) and
``finalise`` (the whole run's decisions). Each figure is the best of REPEAT passes (the machine
is shared: the fastest pass is the one least disturbed). It imports the installed newsdedup, so
``OTHER/.venv/bin/python benchmarks/normalise.py`` measures another checkout with the same script.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from newsdedup.ingest import Found, discover, read_inputs
from newsdedup.model import Document, Skipped
from newsdedup.normalise import finalise, parse
from newsdedup.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    corpus = sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared/data/reuters-dev")
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    settings = Settings()
    found = [f for f in discover([corpus], settings) if isinstance(f, Found)]
    best = {"read": float("inf"), "parse": float("inf"), "finalise": float("inf")}
    docs: list[Document] = []
    for _ in range(repeat):
        start = time.perf_counter()
        docs = [d for f in found for d in read_inputs(f, settings) if not isinstance(d, Skipped)]
        read = time.perf_counter() - start
        start = time.perf_counter()
        articles = [parse(d, settings) for d in docs]
        parsed = time.perf_counter() - start
        start = time.perf_counter()
        finalise(articles, settings)
        final = time.perf_counter() - start
        best = {
            "read": min(best["read"], read),
            "parse": min(best["parse"], parsed),
            "finalise": min(best["finalise"], final),
        }
    n = max(1, len(docs))
    print(f"{corpus}: {len(found):,} files, {len(docs):,} articles, best of {repeat}")
    print("| step | seconds | ms/article |")
    print("|---|---|---|")
    for step, secs in best.items():
        print(f"| {step} | {secs:.2f} | {1000 * secs / n:.3f} |")
    total = sum(best.values())
    print(f"| read + parse + finalise | {total:.2f} | {1000 * total / n:.3f} |")


if __name__ == "__main__":
    main()
