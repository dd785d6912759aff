"""Work spread over processes, with results in input order (so output never depends on --jobs).

Workers are forked: they inherit the parent's memory (a large list set in ``SHARED`` before the
pool starts is read by index, never pickled), and only results travel back."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: read-only data for forked workers, set by the caller just before a pool starts
SHARED: dict[str, Any] = {}


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def workers(jobs: int) -> int:
    """--jobs N: N processes; 0 means one per available core."""
    return cpu_count() if jobs <= 0 else jobs


def ordered_map(
    fn: Callable[[T], R], items: Sequence[T], jobs: int, chunksize: int = 32, min_items: int = 200
) -> Iterator[R]:
    """``map(fn, items)`` over ``jobs`` processes, results in input order. Small inputs, one
    job, or a platform without fork run in this process."""
    n = workers(jobs)
    if n <= 1 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(fn, items)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(min(n, max(1, len(items) // chunksize))) as pool:
        yield from pool.imap(fn, items, chunksize)
