"""The incremental state: an SQLite store of normalised articles and their story assignments.

A run with a state reads only the files that are new or changed (same size and modification
time: not read at all; else read and compared by SHA-256), drops the files that are gone, and
then finds the stories of everything the store holds. Normalising a file is the per-file work and
is kept; the corpus-level steps (an outlet's date order and boilerplate, term weights, matching,
clustering) are computed afresh over the whole store, so the stories after many incremental runs
are those of one batch run over the same files.

Guarantees:

* one writer at a time: an exclusive lock on ``STATE.lock`` (``fcntl.flock``: released by the
  kernel when a run dies); a second run waits up to ``wait`` seconds, then fails with a message;
* a run killed at any point leaves the store consistent: articles are committed in batches, each
  a transaction of whole rows, and the story assignments in one transaction at the end;
* a store made with other sketch parameters or another schema is refused, never mixed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from . import __version__
from .errors import NewsdedupError, UsageError
from .model import Article, article_from_dict, article_to_dict
from .parallel import close_in_workers, forget_in_workers
from .settings import Settings

SCHEMA_VERSION = 1

#: settings a store is bound to: sketches made with others cannot be compared
BOUND_SETTINGS = ("num_perm", "seed", "shingle_size")
_OPTION = {"num_perm": "--num-perm", "seed": "--seed", "shingle_size": "--shingle-size"}


def check_bound(meta: dict[str, str], settings: Settings, where: str, what: str) -> None:
    """Refuse a store of another schema or made with other sketch parameters."""
    if meta.get("schema") != str(SCHEMA_VERSION):
        raise StateMismatch(
            f"{where}: {what} schema {meta.get('schema', '?')}, this newsdedup uses "
            f"{SCHEMA_VERSION}; add --rebuild-state to make it afresh"
        )
    for name in BOUND_SETTINGS:
        value = str(getattr(settings, name))
        if meta.get(name) != value:
            raise StateMismatch(
                f"{where}: {what} made with {_OPTION[name]} {meta.get(name)}, this run asks "
                f"for {value}; use the same value, or add --rebuild-state to make it afresh"
            )


class StateError(NewsdedupError):
    """The state cannot be used (locked, damaged, not ours)."""


class StateMismatch(UsageError):
    """The state was made with other parameters or another schema (exit 2: the options conflict)."""


@dataclass(frozen=True)
class Row:
    """What the store knows of one file."""

    key: bytes  # the file's real path, as bytes
    ospath: bytes  # the path it was found under
    size: int
    mtime_ns: int
    sha256: str
    parse_key: str
    day: str = ""  # the article's date (YYYY-MM-DD), else its file's modification day
    pruned: bool = False


class Store(Protocol):
    """What a run needs of a store: :class:`LocalState` (SQLite) and
    :class:`newsdedup.redisindex.RedisIndex` both provide it."""

    def key_for(self, realpath: bytes) -> bytes: ...
    def local_path(self, row: Row) -> str | None: ...
    def rows(self) -> dict[bytes, Row]: ...
    def put(self, items: Iterable[tuple[Row, Article, bytes]]) -> None: ...
    def touch(self, rows: Iterable[Row]) -> None: ...
    def remove(self, keys: Iterable[bytes]) -> None: ...
    def articles(self) -> Iterator[tuple[bytes, bytes, bytes]]: ...
    def assignments(self) -> dict[bytes, str]: ...
    def save_assignments(self, assign: dict[bytes, str]) -> None: ...


def parse_key(settings: Settings, shown: str, rel: str) -> str:
    """What a cached normalisation depends on besides the bytes: a change re-parses the file."""
    parts = [
        __version__,
        str(SCHEMA_VERSION),
        shown,
        rel,
        repr(settings.dayfirst),
        repr(settings.use_mtime),
        repr(settings.source_from_path),
    ]
    if settings.fields:  # only when given, so the keys of stores made before stay valid
        parts.append(repr(settings.fields))
    return hashlib.blake2b(
        "\x00".join(parts).encode("utf-8", "surrogateescape"), digest_size=12
    ).hexdigest()


def encode_article(art: Article) -> bytes:
    text = json.dumps(article_to_dict(art), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 6)


def decode_article(blob: bytes) -> Article:
    return article_from_dict(json.loads(zlib.decompress(blob).decode("utf-8", "surrogatepass")))


def prunable(rows: Iterable[Row], before: str) -> list[Row]:
    """The rows ``prune(before)`` drops (articles of a day before ``before``), in walk order."""
    return sorted(
        (r for r in rows if not r.pruned and r.day < before), key=lambda r: order_key(r.ospath)
    )


def order_key(ospath: bytes) -> tuple[bytes, ...]:
    """The order a folder walk yields files in (components in byte order), so a store's articles
    come in the order of a batch run over the same folder."""
    return tuple(ospath.split(b"/"))


_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    key BLOB PRIMARY KEY,
    ospath BLOB NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    parse_key TEXT NOT NULL,
    day TEXT NOT NULL,
    pruned INTEGER NOT NULL DEFAULT 0,
    article BLOB NOT NULL,
    added INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS assign (key BLOB PRIMARY KEY, story TEXT NOT NULL);
"""


class LocalState:
    """An SQLite state file, opened for one run (use as a context manager)."""

    def __init__(self, path: str, settings: Settings, wait: float = 0.0, rebuild: bool = False):
        self.path = path
        self._lock_fd = _lock(path + ".lock", wait, path)
        try:
            if rebuild:
                for suffix in ("", "-journal", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path + suffix)
            self.db = _connect(path)
            self._check(settings)
        except BaseException:
            _unlock(self._lock_fd)
            raise

    def __enter__(self) -> LocalState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        _unlock(self._lock_fd)

    # -- parameters --------------------------------------------------------------------------

    def _check(self, settings: Settings) -> None:
        try:
            meta = dict(self.db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: not a newsdedup state file ({exc})") from exc
        want = {name: str(getattr(settings, name)) for name in BOUND_SETTINGS}
        if not meta:
            with self.db:
                self.db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("schema", str(SCHEMA_VERSION)), ("runs", "0"), *want.items()],
                )
            return
        check_bound(meta, settings, self.path, "state")

    @property
    def runs(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'runs'").fetchone()
        return int(row[0]) if row else 0

    # -- files -------------------------------------------------------------------------------

    def key_for(self, realpath: bytes) -> bytes:
        """The store's key of a file (its real path)."""
        return realpath

    def local_path(self, row: Row) -> str | None:
        """The path to check for the file's existence (None: not this machine's file); a
        record of a container is keyed by its file's path, NUL, and its place in the file."""
        return os.fsdecode(row.key.partition(b"\0")[0])

    def rows(self) -> dict[bytes, Row]:
        cur = self.db.execute(
            "SELECT key, ospath, size, mtime_ns, sha256, parse_key, day, pruned FROM files"
        )
        return {r[0]: Row(*r[:7], bool(r[7])) for r in cur}  # type: ignore[call-arg]

    def put(self, items: Iterable[tuple[Row, Article, bytes]]) -> None:
        """Store parsed articles (one transaction: all of them or none)."""
        run = self.runs + 1
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                [
                    (r.key, r.ospath, r.size, r.mtime_ns, r.sha256, r.parse_key, r.day, blob, run)
                    for r, _art, blob in items
                ],
            )

    def touch(self, rows: Iterable[Row]) -> None:
        """A file whose bytes did not change under a new modification time."""
        with self.db:
            self.db.executemany(
                "UPDATE files SET size = ?, mtime_ns = ?, ospath = ? WHERE key = ?",
                [(r.size, r.mtime_ns, r.ospath, r.key) for r in rows],
            )

    def remove(self, keys: Iterable[bytes]) -> None:
        with self.db:
            self.db.executemany("DELETE FROM files WHERE key = ?", [(k,) for k in keys])

    def articles(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        """(key, ospath, encoded article) of every stored file, in walk order."""
        cur = self.db.execute("SELECT key, ospath, article FROM files WHERE pruned = 0")
        yield from sorted(cur, key=lambda r: (order_key(r[1]), r[0]))

    def prune(self, before: str) -> int:
        """Drop the articles dated before ``before`` (YYYY-MM-DD). Their files are remembered as
        pruned, so an unchanged file is not read and added again."""
        with self.db:
            cur = self.db.execute(
                "UPDATE files SET pruned = 1, article = x'' WHERE pruned = 0 AND day < ?", (before,)
            )
            self.db.execute(
                "DELETE FROM assign WHERE key IN (SELECT key FROM files WHERE pruned = 1)"
            )
        self.db.execute("VACUUM")
        return cur.rowcount

    # -- stories -----------------------------------------------------------------------------

    def assignments(self) -> dict[bytes, str]:
        return dict(self.db.execute("SELECT key, story FROM assign"))

    def save_assignments(self, assign: dict[bytes, str]) -> None:
        """The stories of this run, replacing the last run's, and the run counted (one
        transaction: a run killed before it leaves the last run's assignments)."""
        with self.db:
            self.db.execute("DELETE FROM assign")
            self.db.executemany("INSERT INTO assign VALUES (?, ?)", sorted(assign.items()))
            self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'runs'")

    def stats(self) -> dict[str, object]:
        files, size, first, last = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(day), MAX(day) FROM files"
            " WHERE pruned = 0"
        ).fetchone()
        pruned = self.db.execute("SELECT COUNT(*) FROM files WHERE pruned = 1").fetchone()[0]
        stories = self.db.execute("SELECT COUNT(DISTINCT story) FROM assign").fetchone()[0]
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        return {
            "engine": "sqlite",
            "location": self.path,
            "schema": int(meta.get("schema", 0)),
            "runs": int(meta.get("runs", 0)),
            **{name: int(meta[name]) for name in BOUND_SETTINGS if name in meta},
            "articles": files,
            "pruned": pruned,
            "stories": stories,
            "bytes": size,
            "first_day": first,
            "last_day": last,
            "store_bytes": os.path.getsize(self.path),
        }


def _connect(path: str) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(_TABLES)
    except sqlite3.DatabaseError as exc:
        raise StateError(f"{path}: not a newsdedup state file ({exc})") from exc
    return db


def _lock(lock_path: str, wait: float, shown: str) -> int:
    """An exclusive lock held for the run; the kernel drops it if the process dies. The lock
    belongs to this process alone: the descriptor is closed on exec and in forked workers
    (a child holding a copy of it would keep the lock alive after a ``kill -9`` of the run)."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StateError(f"{lock_path}: cannot open the state's lock: {exc.strerror}") from exc
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _read_pid(fd)
                os.close(fd)
                who = f" (pid {holder})" if holder else ""
                raise StateError(
                    f"{shown}: state in use by another newsdedup run{who}; "
                    f"try again later or wait for it with --wait SECONDS"
                ) from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    close_in_workers(fd)
    return fd


def _unlock(fd: int) -> None:
    forget_in_workers(fd)
    with contextlib.suppress(OSError):
        os.close(fd)


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
