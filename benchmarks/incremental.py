"""Issue 25's figures for runs with a state: a nightly run, a run with nothing new, and whether
incremental runs agree with one batch run.

usage: python benchmarks/incremental.py [CORPUS ...]   (default ../shared/data/reuters-dev, then
meter-dev for the agreement figure)

For the first corpus, the 100 articles with the latest dates (undated ones count as latest; ties by
path) are the night's new files and the rest is the state. Timed as fresh processes (median of
``BENCH_REPEAT`` runs, each on a fresh copy of the state):

- ``nightly``: ``newsdedup clusters --state S new/`` on the state, against the 100 files alone
  (``newsdedup clusters new/``, no state); target ≤ 3×;
- ``nothing new``: the same command once the 100 are in the state; target ≤ 1.5× the 100 alone;
- the same with Redis (``--index``; a redis-server started here, one run: building the index is
  the slow part) when ``redis-server`` is installed.

For every corpus, the files in date order are fed to one state in five steps, then the stories of
the last step are compared with those of one batch run over the same files (adjusted Rand index
over articles; target ≥ 0.999).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from index_insert import redis_server

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("NEWSDEDUP_SHARED", HERE.parent.parent / "shared"))
EXE = str(Path(sys.executable).parent / "newsdedup")
NEW = 100  # the night's new files (issue 25: "100 new files into a 10.6k store")
STEPS = 5  # the date-ordered steps of the agreement figure (issue 25)


def run(args: list[str]) -> float:
    """Wall seconds of one fresh ``newsdedup`` process (stdout discarded; failure is fatal)."""
    start = time.perf_counter()
    proc = subprocess.run([EXE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.exit(f"bench: newsdedup {' '.join(args[:4])} failed: {proc.stderr.decode()[-500:]}")
    return time.perf_counter() - start


def stories(args: list[str]) -> dict[str, str]:
    """path → story of ``newsdedup clusters -f jsonl ARGS``."""
    out = subprocess.run(
        [EXE, "clusters", "-q", "-f", "jsonl", *args], capture_output=True, check=True
    ).stdout
    recs = [json.loads(line) for line in out.splitlines()]
    return {r["path"]: r["story"] for r in recs}


def dated_order(corpus: Path) -> list[Path]:
    """The corpus's files by date (undated last), then path: what a newsroom receives in turn."""
    out = subprocess.run(
        [EXE, "clusters", "-q", "-f", "jsonl", str(corpus)], capture_output=True, check=True
    ).stdout
    recs = [json.loads(line) for line in out.splitlines()]
    recs.sort(key=lambda r: (r["date"] or "9999", r["path"]))
    return [Path(r["path"]) for r in recs]


def place(files: list[Path], corpus: Path, into: Path) -> None:
    """Copy ``files`` under ``into`` at their paths relative to ``corpus``."""
    for f in files:
        dest = into / f.relative_to(corpus)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)


def ari(a: dict[str, str], b: dict[str, str]) -> float:
    """Adjusted Rand index of two clusterings of the same keys."""
    keys = sorted(a)

    def c2(n: int) -> float:
        return n * (n - 1) / 2

    both = sum(c2(n) for n in Counter((a[k], b[k]) for k in keys).values())
    sa = sum(c2(n) for n in Counter(a[k] for k in keys).values())
    sb = sum(c2(n) for n in Counter(b[k] for k in keys).values())
    expected = sa * sb / c2(len(keys))
    top = (sa + sb) / 2
    return 1.0 if top == expected else (both - expected) / (top - expected)


def nightly(corpus: Path, order: list[Path], tmp: Path, repeat: int) -> None:
    base, new = tmp / "night" / "base", tmp / "night" / "new"
    place(order[:-NEW], corpus, base)
    place(order[-NEW:], corpus, new)
    state = tmp / "night.db"
    run(["clusters", "-q", "-o", os.devnull, "--state", str(state), str(base)])
    alone = statistics.median(
        run(["clusters", "-q", "-o", os.devnull, str(new)]) for _ in range(repeat)
    )
    first, again = [], []
    for _ in range(repeat):
        copy = tmp / "night-copy.db"
        shutil.copy2(state, copy)
        args = ["clusters", "-q", "-o", os.devnull, "--state", str(copy), str(new)]
        first.append(run(args))
        again.append(run(args))
        copy.unlink()
    n = len(order) - NEW
    print(f"| {corpus.name}: {NEW} alone, no state | {alone:.2f} s | |")
    print(f"| {NEW} new into a {n:,}-article SQLite state | {statistics.median(first):.2f} s"
          f" = {statistics.median(first) / alone:.1f}× alone | ≤ 3× |")  # fmt: skip
    print(f"| nothing new (SQLite) | {statistics.median(again):.2f} s"
          f" = {statistics.median(again) / alone:.1f}× alone | ≤ 1.5× |")  # fmt: skip
    with redis_server(str(tmp)) as port:
        if port is None:
            print("| Redis | redis-server not installed | |")
            return
        index = ["--index", f"redis://127.0.0.1:{port}/0"]
        run(["clusters", "-q", "-o", os.devnull, *index, str(base)])
        t = run(["clusters", "-q", "-o", os.devnull, *index, str(new)])
        t0 = run(["clusters", "-q", "-o", os.devnull, *index, str(new)])
        print(
            f"| {NEW} new into a {n:,}-article Redis index (one run) | {t:.2f} s = {t / alone:.1f}× alone | ≤ 3× |"
        )
        print(f"| nothing new (Redis, one run) | {t0:.2f} s = {t0 / alone:.1f}× alone | |")


def agreement(corpus: Path, order: list[Path], tmp: Path) -> None:
    fed = tmp / f"fed-{corpus.name}"
    state = tmp / f"fed-{corpus.name}.db"
    step = -(-len(order) // STEPS)
    for i in range(0, len(order), step):
        place(order[i : i + step], corpus, fed)
        run(["clusters", "-q", "-o", os.devnull, "--state", str(state), str(fed)])
    incremental = stories(["--state", str(state), str(fed)])
    batch = stories([str(fed)])
    print(f"| {corpus.name}: {STEPS} date-ordered steps vs one batch run, ARI | "
          f"{ari(batch, incremental):.4f} | ≥ 0.999 |")  # fmt: skip


def main() -> None:
    corpora = [Path(p) for p in sys.argv[1:]] or [
        SHARED / "data/reuters-dev",
        SHARED / "data/meter-dev",
    ]
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    print("\n| runs with a state (issue 25) | figure | target |\n|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="newsdedup-incr-") as t:
        tmp = Path(t)
        for k, corpus in enumerate(c for c in corpora if c.is_dir()):
            order = dated_order(corpus)
            if k == 0:
                nightly(corpus, order, tmp, repeat)
            agreement(corpus, order, tmp)


if __name__ == "__main__":
    main()
