"""The same run on a Dask cluster (``--scheduler``): every piece of Dask code is here, and this
module is imported only when a scheduler is given.

The stages run as they are, only elsewhere: the inputs are cut into partitions in discovery
order and each partition is read and parsed on a worker (:func:`newsdedup.pipeline._read_parse`,
file by file); the results come back in partition order, so the corpus is the one a local run
reads. The corpus-level decisions (:func:`newsdedup.normalise.finalise`) need every article and
run on the client; the features are built on the workers over the same ranges of articles a
local run cuts (:func:`newsdedup.sketch.feature_ranges`), and merged on the client as a local run
merges them. Candidate generation, verification, levels, clustering and rendering run on the
client: the output is byte-identical to a local run.

Tasks carry their inputs (paths, or the articles of one range) rather than data scattered to one
worker beforehand: a worker that dies takes nothing with it that cannot be sent again, so Dask
runs its tasks again on another worker and the output is unchanged.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from .errors import SchedulerError, UsageError
from .ingest import STDIN, Found
from .model import Article, Skipped
from .settings import Settings
from .sketch import FeatureTable, feature_ranges, range_features
from .sketch.table import concat

#: seconds to wait for a scheduler to answer: a scheduler on the network answers in
#: milliseconds, so a few seconds is no false alarm and an address with nothing behind it is an
#: error before the user wonders
CONNECT_TIMEOUT = 5
#: seconds for a local cluster's workers to come up (each is a fresh Python that imports
#: newsdedup, numpy and Dask: ~2 s on a loaded 2-core machine)
LOCAL_START_TIMEOUT = 60
#: files a reading task: plain text reads in ~1 ms a file, so a task is about half a second
#: (well above Dask's ~1 ms a task of scheduling), saved pages (~20 ms each) ten seconds; 100 M
#: articles are 200,000 tasks, within what one scheduler keeps track of
PARTITION_FILES = 512
#: tasks a worker thread may have submitted and not yet fetched: two to run back to back while
#: the client takes a third and a fourth's result (more only piles results up on the workers)
IN_FLIGHT = 4

#: progress(stage, done, total), as in newsdedup.pipeline
Progress = Callable[[str, int, int], None]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise UsageError(
            "--scheduler needs Dask's distributed scheduler: pip install 'newsdedup[dask]'"
        ) from exc
    return distributed


class _Cluster:
    """A client of a scheduler, and the local cluster behind it for ``local:N``."""

    def __init__(self, address: str) -> None:
        distributed = _distributed()
        # Dask logs connection attempts, lost workers and retries on stderr in its own format;
        # what matters reaches the user as a newsdedup error (stderr lines are newsdedup's)
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"distributed\b")
        self.local: Any = None
        kind, _, count = address.partition(":")
        try:
            if kind == "local":
                self.local = distributed.LocalCluster(
                    n_workers=int(count), threads_per_worker=1, processes=True,
                    dashboard_address=":0", silence_logs=logging.CRITICAL,
                )  # fmt: skip
                self.client = distributed.Client(self.local, timeout=LOCAL_START_TIMEOUT)
            else:
                self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
        except Exception as exc:  # whatever answers there may be no Dask scheduler at all
            self.close()
            why = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise SchedulerError(
                f"{address}: cannot connect to a Dask scheduler there ({why})"
            ) from None

    def close(self) -> None:
        client = getattr(self, "client", None)
        with contextlib.suppress(Exception):  # closing what may already be gone
            if client is not None:
                client.close()
        with contextlib.suppress(Exception):
            if self.local is not None:
                self.local.close()


_OPEN: dict[str, _Cluster] = {}


def client(address: str) -> Any:
    """The client of the scheduler at ``address`` (``local:N``: a local cluster of N worker
    processes), connected on first use and kept until :func:`close` (or the end of the process)."""
    found = _OPEN.get(address)
    if found is None:
        if not _OPEN:
            atexit.register(close)
        found = _OPEN[address] = _Cluster(address)
    return found.client


def close() -> None:
    """Close every client this process opened (and shut down its local clusters)."""
    while _OPEN:
        _OPEN.popitem()[1].close()


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Clients opened inside the block are closed when it ends."""
    try:
        yield
    finally:
        close()


def partitions(items: Sequence[Found | Skipped], size: int = PARTITION_FILES) -> list[list[Any]]:
    """``items`` cut into consecutive partitions of ``size`` (discovery order kept)."""
    return [list(items[lo : lo + size]) for lo in range(0, len(items), size)]


#: a worker's threads change its working directory one at a time (see :func:`_read_partition`)
_CWD_LOCK = threading.Lock()


def _read_partition(
    part: list[Found | Skipped], settings: Settings, stdin: bytes | None, cwd: str
) -> list[Article | Skipped]:
    """On a worker: one partition's articles and skipped inputs, in input order. Relative
    paths are read from the client's working directory ``cwd`` (a path is shown as it was
    given, so it is not made absolute)."""
    from .pipeline import _read_parse

    def read() -> list[Article | Skipped]:
        return [done for item in part for done in _read_parse(item, settings, stdin)]

    relative = any(isinstance(i, Found) and not os.path.isabs(i.ospath) for i in part)
    if not relative:
        return read()
    with _CWD_LOCK:
        before = os.getcwd()
        try:
            os.chdir(cwd)
        except OSError as exc:
            raise SchedulerError(
                f"{cwd}: a worker of the cluster cannot open this folder, where relative input"
                f" paths start ({exc.strerror}); give paths the workers can read"
            ) from None
        try:
            return read()
        finally:
            os.chdir(before)


def _in_order(
    dask: Any, address: str, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]]
) -> Iterator[Any]:
    """``fn(*call)`` for each call on the cluster, results in call order. At most
    ``IN_FLIGHT`` tasks a worker thread are submitted and not yet fetched: the workers keep
    busy while the client takes results, and never hold more than a few results each (the
    cluster forgets a result once it is taken), whatever the size of the corpus. An
    interrupted run leaves no work behind on the cluster."""
    window = IN_FLIGHT * max(1, sum(dask.nthreads().values()))
    pending: deque[Any] = deque()
    calls_left = iter(calls)
    try:
        for call in calls_left:
            pending.append(dask.submit(fn, *call, pure=False))
            if len(pending) >= window:
                yield _take(pending.popleft(), address)
        while pending:
            yield _take(pending.popleft(), address)
    finally:
        dask.cancel(list(pending))


def _take(future: Any, address: str) -> Any:
    try:
        return _result(future, address)
    finally:
        future.release()


def read_parse(
    items: Sequence[Found | Skipped],
    settings: Settings,
    stdin: bytes | None = None,
    progress: Progress | None = None,
) -> list[Article | Skipped]:
    """Read and parse ``items`` on the cluster of ``settings.scheduler``: every input's
    articles (or why it was skipped), in input order."""
    assert settings.scheduler is not None
    dask = client(settings.scheduler)
    parts = partitions(items)
    local = replace(settings, jobs=1)  # a worker is one process already
    here = os.getcwd()
    calls = [
        (part, local, stdin if any(isinstance(i, Found) and i.ospath == STDIN for i in part) else None, here)
        for part in parts
    ]  # fmt: skip
    out: list[Article | Skipped] = []
    done = 0
    for part, got in zip(
        parts, _in_order(dask, settings.scheduler, _read_partition, calls), strict=True
    ):
        out.extend(got)
        done += len(part)
        if progress is not None:
            progress("read", done, len(items))
    return out


def _range_features(articles: list[Article], shingle_size: int) -> FeatureTable:
    """On a worker: the features of one range of articles (a token hasher of the task's own:
    a worker lives on after the run, and no cache outlives the task)."""
    return range_features(articles, shingle_size)


def build_features(
    articles: list[Article], settings: Settings, progress: Progress | None = None
) -> FeatureTable:
    """The features of ``articles`` built on the cluster, range by range, merged here: the
    table :func:`newsdedup.sketch.build_features` makes."""
    assert settings.scheduler is not None
    dask = client(settings.scheduler)
    ranges = feature_ranges(len(articles))
    calls = [(articles[lo:hi], settings.shingle_size) for lo, hi in ranges]
    parts: list[FeatureTable] = []
    for (_, hi), part in zip(
        ranges, _in_order(dask, settings.scheduler, _range_features, calls), strict=True
    ):
        parts.append(part)
        if progress is not None:
            progress("sketch", hi, len(articles))
    return concat(parts)


def _result(future: Any, address: str) -> Any:
    """A task's result; the cluster's failures (its scheduler gone, a task that kept killing
    its workers) as one error naming the scheduler. An error of newsdedup's own is raised as it
    is."""
    distributed = _distributed()
    try:
        return future.result()
    except distributed.client.FutureCancelledError as exc:
        raise SchedulerError(f"{address}: the Dask cluster cancelled the run ({exc})") from None
    except distributed.scheduler.KilledWorker as exc:
        raise SchedulerError(
            f"{address}: a task of the run killed every worker it ran on ({exc})"
        ) from None
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"{address}: lost the Dask scheduler ({exc})") from None
