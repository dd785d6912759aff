"""`make bench`, on a Dask cluster: a scheduler and two one-thread workers on this machine (as
an operator starts them), ``newsdedup clusters --scheduler`` over a generated corpus, and the
figures the README's sizing table is computed from:

* wall seconds of the run, and the client's peak RSS (it holds the corpus, the features and
  the candidate pairs);
* CPU seconds the workers spent (reading, parsing, features, and Dask's own work), as articles
  per worker-hour;
* each worker's peak RSS;
* bytes shipped per article: the pickled results of the reading tasks, the articles sent to the
  feature tasks and the feature tables sent back (what Dask moves, measured on the first
  ``SAMPLE`` articles of the corpus in this process).

usage: python benchmarks/dask_cluster.py FOLDER (run.py calls :func:`bench_dask`)
"""

from __future__ import annotations

import os
import pickle
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: articles whose pickled size is measured: a few reading partitions and feature ranges, enough
#: for a steady per-article figure (the generated articles are alike in size)
SAMPLE = 4_096


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _usage() -> tuple[float, float]:
    """On a worker: (CPU seconds so far, peak RSS in MB)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss / 1024


def shipped_per_article(folder: Path) -> float:
    """Bytes Dask moves per article: reading results back, articles out to the feature tasks,
    feature tables back (pickle protocol 5, as Dask sends them)."""
    from newsdedup.distributed import PARTITION_FILES, partitions
    from newsdedup.pipeline import _read_parse, discover_all, finalise
    from newsdedup.settings import Settings
    from newsdedup.sketch import feature_ranges, range_features

    settings = Settings()
    items = discover_all([str(folder)], settings)[:SAMPLE]
    total = 0
    read: list[Any] = []
    for part in partitions(items, PARTITION_FILES):
        got = [d for item in part for d in _read_parse(item, settings)]
        total += len(pickle.dumps(got, protocol=5))
        read.extend(got)
    articles = finalise([a for a in read if not hasattr(a, "reason")], settings)
    for lo, hi in feature_ranges(len(articles)):
        total += len(pickle.dumps(articles[lo:hi], protocol=5))
        total += len(
            pickle.dumps(range_features(articles[lo:hi], settings.shingle_size), protocol=5)
        )
    return total / max(1, len(items))


def bench_dask(folder: Path, workers: int = 2) -> dict[str, float]:
    """Run ``newsdedup clusters`` over ``folder`` on a fresh cluster of ``workers`` workers and
    print its figures."""
    from distributed import Client

    bin_dir = Path(sys.executable).parent
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    host = ["--host", "127.0.0.1", "--no-dashboard"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--port", str(port), *host], **quiet)]  # type: ignore[call-overload]  # fmt: skip
    # the workers import this module for ``_usage`` when ``make bench`` imports it by name
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    for _ in range(workers):
        cmd = [str(bin_dir / "dask"), "worker", address, "--nthreads", "1", *host]
        procs.append(subprocess.Popen(cmd, env=env, **quiet))  # type: ignore[call-overload]
    try:
        client = Client(address, timeout=60)
        client.wait_for_workers(workers, timeout=120)
        before = client.run(_usage)
        n = sum(1 for p in folder.rglob("*") if p.is_file())
        cmd = [str(bin_dir / "newsdedup"), "clusters", "-q", "--scheduler", address,
               "-o", os.devnull, str(folder)]  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        secs = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            sys.exit(f"bench: newsdedup on the Dask cluster failed: {err[-500:]}")
        after = client.run(_usage)
        client.close()
    finally:
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    cpu = sum(after[w][0] - before[w][0] for w in after)
    peaks = sorted(after[w][1] for w in after)
    per_hour = n / (cpu / 3600) if cpu else float("inf")
    shipped = shipped_per_article(folder)
    client_mb = usage.ru_maxrss / 1024
    client_cpu = usage.ru_utime + usage.ru_stime
    print(
        f"\nDask, {workers} workers of 1 thread on this machine, {n:,} articles: {secs:.1f} s;"
        f" workers {cpu:.1f} CPU s ({per_hour:,.0f} articles per worker-hour, reading +"
        f" features); peak RSS per worker {', '.join(f'{p:,.0f}' for p in peaks)} MB;"
        f" client {client_cpu:.1f} CPU s, peak RSS {client_mb:,.0f} MB"
        f" ({client_mb * 1024 / n:,.1f} KB an article);"
        f" shipped {shipped / 1024:,.1f} KB an article",
        flush=True,
    )
    return {"n": n, "seconds": secs, "per_hour": per_hour, "worker_mb": peaks[-1],
            "client_mb": client_mb, "client_cpu": client_cpu, "shipped": shipped}  # fmt: skip


if __name__ == "__main__":
    bench_dask(Path(sys.argv[1]))
