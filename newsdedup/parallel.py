"""Work spread over processes, with results in input order (so output never depends on --jobs).

Workers are forked: they inherit the parent's memory (the data given to :func:`shared_map` is
handed to each worker as it starts, never pickled), and only results travel back. A worker dies with
its parent (``kill -9`` of a run leaves no worker behind), and file descriptors registered with
:func:`close_in_workers` (a state's lock) are closed in every worker, so a worker never holds
them."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")
D = TypeVar("D")
R = TypeVar("R")

#: in a worker only: the data its pool was started with (see :func:`shared_map`); a worker
#: serves one pool and dies with it, so this is never another run's
_POOL_DATA: Any = None


#: descriptors a worker must not keep (a state's ``flock``: the lock belongs to the open file,
#: which a forked child shares, so a child holding a copy would keep the lock after its parent died)
_CLOSE_IN_WORKERS: set[int] = set()

_PR_SET_PDEATHSIG = 1


def close_in_workers(fd: int) -> None:
    """Register ``fd`` to be closed in every worker started from now on."""
    _CLOSE_IN_WORKERS.add(fd)


def forget_in_workers(fd: int) -> None:
    """``fd`` was closed by its owner: stop closing it in workers."""
    _CLOSE_IN_WORKERS.discard(fd)


def _worker_start(parent: int, data: Any = None) -> None:
    """In each forked worker, first thing: die with the parent, drop inherited locks, keep the
    pool's data."""
    import ctypes

    global _POOL_DATA
    _POOL_DATA = data
    try:  # Linux: the kernel sends SIGKILL when the parent dies
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for fd in list(_CLOSE_IN_WORKERS):
        with contextlib.suppress(OSError):
            os.close(fd)
    gc.enable()  # a parent collecting results may have paused it; a worker's own work needs it


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
    if n <= 1 or len(items) < min_items or not _can_fork():
        yield from map(fn, items)
        return
    yield from _pool_map(fn, items, n, chunksize, None)


def _can_fork() -> bool:
    """Can workers be forked here? (multiprocessing is imported only when a run has work
    enough to share: a small run never pays for it)"""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _pool_map(
    fn: Callable[[T], R], items: Sequence[T], n: int, chunksize: int, data: Any
) -> Iterator[R]:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    size = min(n, max(1, len(items) // chunksize))
    with ctx.Pool(size, initializer=_worker_start, initargs=(os.getpid(), data)) as pool:
        yield from pool.imap(fn, items, chunksize)


def shared_map(
    fn: Callable[[D, T], R],
    data: D,
    items: Sequence[T],
    jobs: int,
    chunksize: int = 32,
    min_items: int = 200,
) -> Iterator[R]:
    """:func:`ordered_map` of ``fn(data, item)``: ``data`` (a run's large read-only input) is
    inherited by forked workers as they start, never pickled; only ``items`` travel."""
    n = workers(jobs)
    if n <= 1 or len(items) < min_items or not _can_fork():
        yield from (fn(data, item) for item in items)
        return
    yield from _pool_map(partial(_with_pool_data, fn), items, n, chunksize, data)


def _with_pool_data(fn: Callable[[Any, T], R], item: T) -> R:
    return fn(_POOL_DATA, item)
