"""Insertion rate of normalised articles into the local state and into the Redis index.

usage: python benchmarks/index_insert.py [CORPUS]   (default ../shared/data/reuters-dev)

Parses the corpus once, then times storing every article (rows, article, signature) and, for
Redis, indexing its signature in datasketch's MinHashLSH (insertion sessions, pipelined), in
batches of 256 as a run does. Starts its own redis-server on a free loopback port; without one
installed it reports the local figure only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsdedup.ingest import discover, read_document  # noqa: E402
from newsdedup.normalise import parse  # noqa: E402
from newsdedup.settings import Settings  # noqa: E402
from newsdedup.store import Row, encode_article  # noqa: E402
from newsdedup.store.incremental import day  # noqa: E402
from newsdedup.store.sqlite import SQLiteStore  # noqa: E402


def _items(corpus: str, settings: Settings) -> list:
    items = []
    for found in discover([corpus], settings):
        if not hasattr(found, "ospath"):
            continue
        try:
            art = parse(read_document(found, settings), settings)
        except Exception:
            continue
        key = os.fsencode(os.path.realpath(found.ospath))
        row = Row(key, os.fsencode(found.ospath), art.doc.size, 0, art.doc.sha256, "", day(art))
        items.append((row, art, encode_article(art)))
    return items


def _timed(store, items: list, finish=None) -> float:
    start = time.perf_counter()
    for i in range(0, len(items), 256):
        store.put(items[i : i + 256])
    if finish is not None:
        finish()
    return time.perf_counter() - start


def main() -> None:
    corpus = sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared/data/reuters-dev")
    settings = Settings()
    items = _items(corpus, settings)
    n = len(items)
    print(f"{n} articles from {corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        with SQLiteStore(os.path.join(tmp, "s.db"), settings) as local:
            t = _timed(local, items)
        print(f"local SQLite state : {t:6.2f} s  {n / t:8,.0f} articles/s")
        with redis_server(tmp) as port:
            if port is None:
                print("redis-server not installed: Redis figure skipped")
                return
            from newsdedup.store.redis import RedisStore

            with RedisStore(f"redis://127.0.0.1:{port}/0", "bench", settings) as index:
                t_write = _timed(index, items)
                start = time.perf_counter()
                with index.locked():
                    index.articles()  # indexes what was written
                t_lsh = time.perf_counter() - start
                t = t_write + t_lsh
                print(f"Redis index        : {t:6.2f} s  {n / t:8,.0f} articles/s "
                      f"(writes {t_write:.2f} s, LSH insertion sessions and reading back {t_lsh:.2f} s)")  # fmt: skip


@contextlib.contextmanager
def redis_server(folder: str) -> Iterator[int | None]:
    """A throw-away redis-server on a free loopback port (its port), None when not installed."""
    exe = shutil.which("redis-server")
    if exe is None:
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", folder], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        yield port
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
