"""`make bench`: time newsdedup against the textbook datasketch pipeline, on the same files.

For each corpus (``reuters-dev``, then generated corpora of ``BENCH_N`` articles) it runs
(a) ``newsdedup clusters`` end to end and (b) ``benchmarks/reference.py``, each as a fresh
process, ``BENCH_REPEAT`` times (median), and prints articles/s, MB/s, peak RSS and the ratio
(b)/(a) (above 1: newsdedup is faster). With several generated sizes it also prints how time
grows from the smallest to the largest.

Environment: BENCH_N (comma-separated sizes, default 20000; the full run is
20000,100000,200000), BENCH_REPEAT (default 3), BENCH_DIR (where corpora are generated, default a
temporary folder), NEWSDEDUP_SHARED (default ../shared).

Then each generated corpus runs on a Dask cluster of two one-thread workers started here
(``benchmarks/dask_cluster.py``): time, CPU per article on the workers, peak RSS per worker and
of the client, bytes shipped per article.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("NEWSDEDUP_SHARED", ROOT.parent / "shared"))


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one fresh process; its stdout is discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:  # a failed run must never pass for a fast one
        sys.exit(f"bench: {' '.join(cmd[:3])} failed ({proc.returncode}): {err[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def size_of(folder: Path) -> tuple[int, float]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files) / 1e6


def bench(name: str, folder: Path, repeat: int, one_job: bool = False) -> dict[str, float]:
    """Rows for newsdedup (all cores, and with ``one_job`` also ``-j1``, the rensa script and
    ``timeline``) and the reference on ``folder``, and the ratios; returns each row's median wall
    seconds under its label and its median CPU seconds under ``label + " cpu"``."""
    n, mb = size_of(folder)
    exe = str(Path(sys.executable).parent / "newsdedup")
    ours = [exe, "clusters", "-q", "-o", os.devnull, str(folder)]
    ref = [sys.executable, str(HERE / "reference.py"), str(folder)]
    runs_of = [("newsdedup", ours), ("reference", ref)]
    if one_job:
        runs_of.insert(1, ("newsdedup -j1", [*ours[:2], "-j1", *ours[2:]]))
        runs_of.insert(2, ("newsdedup timeline", [exe, "timeline", *ours[2:]]))
        if importlib.util.find_spec("rensa") is not None:  # the bench extra
            runs_of.append(
                (
                    "reference (rensa)",
                    [sys.executable, str(HERE / "reference_rensa.py"), str(folder)],
                )
            )
        else:
            print(
                f"| {name} | | | reference (rensa): not installed (pip install -e '.[bench]') | | | | |"
            )
    rows: dict[str, float] = {}
    for label, cmd in runs_of:
        runs = [measure_cpu(cmd) for _ in range(repeat)]
        secs = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = max(r[2] for r in runs)
        rows[label], rows[label + " cpu"] = secs, cpu
        print(
            f"| {name} | {n:,} | {mb:.1f} | {label} | {secs:.2f} ({cpu:.2f} CPU) | {n / secs:,.0f} |"
            f" {mb / secs:.2f} | {rss:,.0f} |",
            flush=True,
        )
    ratio = rows["reference"] / rows["newsdedup"]
    print(f"| {name} | | | ratio reference/newsdedup | {ratio:.2f}× | | | |", flush=True)
    return {"n": n, **rows}


def targets(rows: dict[str, float], seeds: dict[str, float]) -> None:
    """Issue 26's targets, each with the figure of this run."""
    cpu = rows["newsdedup -j1 cpu"] / rows["reference cpu"]
    wall = rows["reference"] / rows["newsdedup"]
    tl = rows["newsdedup timeline"] / rows["newsdedup"]
    print("\n| target | this run | goal |\n|---|---|---|")
    print(f"| reuters-dev CPU at one job / datasketch script CPU | {cpu:.2f}× | ≤ 1.0× |")
    if "reference (rensa) cpu" in rows:
        print(f"| reuters-dev CPU at one job / rensa script CPU (next anchor) | "
              f"{rows['newsdedup -j1 cpu'] / rows['reference (rensa) cpu']:.2f}× | |")  # fmt: skip
    print(
        f"| reuters-dev: datasketch script wall / newsdedup wall (default jobs) | {wall:.2f}× | ≥ 1.5× |"
    )
    print(f"| reuters-dev: timeline wall / clusters wall | {tl:.2f}× | ≤ 1.3× |")
    if seeds:
        print(f"| a run over two files, wall | {seeds['newsdedup']:.2f} s | ≤ 0.3 s |")


def bench_pages(folder: Path, repeat: int) -> None:
    """Saved pages per second: ``newsdedup clusters`` over web-dev's pages as a fresh process
    (all cores, then ``-j1``), median wall time and the CPU seconds it used."""
    n, mb = size_of(folder)
    exe = str(Path(sys.executable).parent / "newsdedup")
    for label, jobs in (("newsdedup", []), ("newsdedup -j1", ["-j1"])):
        cmd = [exe, "clusters", "-q", *jobs, "-o", os.devnull, str(folder)]
        runs = [measure_cpu(cmd) for _ in range(repeat)]
        secs = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(
            f"| web-dev pages | {n:,} | {mb:.1f} | {label} | {secs:.2f} | {n / secs:,.0f} pages/s"
            f" ({cpu:.2f} s CPU) | {mb / secs:.2f} | {max(r[2] for r in runs):,.0f} |",
            flush=True,
        )


def measure_cpu(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user and system, workers included) and peak RSS (MB) of one
    fresh process."""
    before = os.times()
    secs, rss = measure(cmd)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return secs, cpu, rss


def main() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_N", "20000").split(",") if x.strip()]
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    print(f"newsdedup benchmark: {os.cpu_count()} cores, median of {repeat} run(s)\n")
    print("| corpus | articles | MB | pipeline | seconds (CPU) | articles/s | MB/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    seeds = SHARED / "data/seeds"
    seeds_rows: dict[str, float] = {}
    if seeds.is_dir():  # a run over two files: start-up cost (imports) is most of it
        seeds_rows = bench("seeds (2 files)", seeds, max(repeat, 5))
    pages = SHARED / "data/web-dev/pages"
    if pages.is_dir():
        bench_pages(pages, repeat)
    reuters = SHARED / "data/reuters-dev"
    if reuters.is_dir():
        targets(bench("reuters-dev", reuters, repeat, one_job=True), seeds_rows)
    else:
        print(f"(skipped reuters-dev: not found at {reuters})")
    if not sizes or not reuters.is_dir():
        return
    base = (
        Path(os.environ["BENCH_DIR"])
        if "BENCH_DIR" in os.environ
        else Path(tempfile.mkdtemp(prefix="newsdedup-bench-"))
    )
    results = []
    dask_runs: list[Path] = []
    for n in sizes:
        folder = base / f"gen-{n}"
        if not folder.is_dir():
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), str(n), str(folder)], check=True
            )
        results.append(bench(f"generated {n:,}", folder, repeat if n <= 20000 else 1))
        dask_runs.append(folder)
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(f"\ngrowth {a['n']:,} → {b['n']:,} articles ({b['n'] / a['n']:.0f}× the input): "
              f"newsdedup {b['newsdedup'] / a['newsdedup']:.1f}× the time, "
              f"reference {b['reference'] / a['reference']:.1f}× the time")  # fmt: skip
    # the same corpora on a Dask cluster of two local workers (--scheduler; the dask extra)
    from dask_cluster import bench_dask

    for folder in dask_runs:
        bench_dask(folder)


if __name__ == "__main__":
    main()
