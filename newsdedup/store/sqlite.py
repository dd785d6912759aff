"""The local state (``--state PATH``): one SQLite file, and its lock ``PATH.lock``.

* the lock is an exclusive ``fcntl.flock`` on ``PATH.lock``, released by the kernel when a run
  dies; the holder's pid is written in the file for the message a waiting run gives;
* articles are committed in batches, each a transaction of whole rows, the story assignments in
  one transaction: a run killed at any point leaves the file consistent (SQLite's rollback
  journal, ``synchronous = FULL``); several runs may write articles at once (SQLite serialises
  the transactions; a writer waits for a reader up to :data:`BUSY_SECONDS`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping

from ..errors import UsageError
from ..ingest import display_path
from ..model import Article
from ..parallel import close_in_workers, forget_in_workers
from ..settings import Settings
from .base import Matching, Row, StateError, Store, bound_meta, check_bound, order_key, wait_for

#: how long a write waits for another run's transaction (SQLite's busy timeout): far longer
#: than any one transaction of this program takes (a batch of articles, the stories of a run)
BUSY_SECONDS = 120.0

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
CREATE TABLE IF NOT EXISTS matched (key BLOB PRIMARY KEY, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS links (
    a BLOB NOT NULL, b BLOB NOT NULL, data TEXT NOT NULL, PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_b ON links (b);
"""

#: the rows that go with a file and leave with it (the files table itself aside)
_WITH_FILE = (
    "DELETE FROM assign WHERE key = ?",
    "DELETE FROM matched WHERE key = ?",
    "DELETE FROM links WHERE a = ?",
    "DELETE FROM links WHERE b = ?",
)


class SQLiteStore(Store):
    """An SQLite state file, opened for one run."""

    engine = "sqlite"
    noun = "state"

    def __init__(
        self,
        path: str,
        settings: Settings,
        wait: float = 0.0,
        rebuild: bool = False,
        existing: bool = False,
    ):
        super().__init__(wait)
        self.path = self.location = path
        self._lock_fd: int | None = None
        if existing and not os.path.exists(path):
            raise UsageError(
                f"{display_path(path)}: No such file or directory (no state there; a run with"
                " --state PATH makes one)"
            )
        if rebuild:
            with self.locked():
                for suffix in ("", "-journal", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path + suffix)
        self.db = _connect(path)
        try:
            self._bind(settings)
        except BaseException:
            self.db.close()
            raise

    def _disconnect(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    # -- parameters --------------------------------------------------------------------------

    def _bind(self, settings: Settings) -> None:
        try:
            with self.db:  # the first run to arrive writes the parameters; a racing one reads them
                self.db.executemany(
                    "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                    [*bound_meta(settings).items(), ("runs", "0")],
                )
            meta = self.meta()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: not a newsdedup state file ({exc})") from exc
        check_bound(meta, settings, self.path, self.noun)

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta"))

    @property
    def runs(self) -> int:
        return int(self.meta().get("runs", 0))

    # -- the lock ----------------------------------------------------------------------------

    def _acquire(self) -> None:
        """An exclusive lock; the kernel drops it if the process dies. The lock belongs to this
        process alone: the descriptor is closed on exec and in forked workers (a child holding
        a copy of it would keep the lock alive after a ``kill -9`` of the run)."""
        lock_path = self.path + ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StateError(f"{lock_path}: cannot open the state's lock: {exc.strerror}") from exc

        def attempt() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        def fail() -> StateError:
            holder = _read_pid(fd)
            os.close(fd)
            return self._in_use(holder)

        wait_for(attempt, self.wait, fail)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        close_in_workers(fd)
        self._lock_fd = fd

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            forget_in_workers(fd)
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- files -------------------------------------------------------------------------------

    def key_for(self, realpath: bytes) -> bytes:
        return realpath

    def local_path(self, row: Row) -> str | None:
        return os.fsdecode(row.key.partition(b"\0")[0])

    def rows(self) -> dict[bytes, Row]:
        cur = self.db.execute(
            "SELECT key, ospath, size, mtime_ns, sha256, parse_key, day, pruned FROM files"
        )
        return {
            key: Row(key, ospath, size, mtime_ns, sha, pk, day, bool(pruned))
            for key, ospath, size, mtime_ns, sha, pk, day, pruned in cur
        }

    def put(self, items: Iterable[tuple[Row, Article, bytes]]) -> None:
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
        with self.db:
            self.db.executemany(
                "UPDATE files SET size = ?, mtime_ns = ?, ospath = ? WHERE key = ?",
                [(r.size, r.mtime_ns, r.ospath, r.key) for r in rows],
            )

    def remove(self, keys: Iterable[bytes]) -> None:
        self._need_lock("removing files")
        gone = [(k,) for k in keys]
        with self.db:
            self.db.executemany("DELETE FROM files WHERE key = ?", gone)
            for sql in _WITH_FILE:
                self.db.executemany(sql, gone)

    def articles(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        self._need_lock("reading the articles")
        cur = self.db.execute("SELECT key, ospath, article FROM files WHERE pruned = 0")
        yield from sorted(cur, key=lambda r: (order_key(r[1]), r[0]))

    def set_days(self, days: Mapping[bytes, str]) -> None:
        self._need_lock("recording the articles' days")
        with self.db:
            self.db.executemany(
                "UPDATE files SET day = ? WHERE key = ?", [(d, k) for k, d in days.items()]
            )

    def prune(self, before: str) -> int:
        with self.locked(), self.db:
            old = self.db.execute(
                "SELECT key FROM files WHERE pruned = 0 AND day != '' AND day < ?", (before,)
            ).fetchall()
            self.db.executemany("UPDATE files SET pruned = 1, article = x'' WHERE key = ?", old)
            for sql in _WITH_FILE:
                self.db.executemany(sql, old)
        self.db.execute("VACUUM")
        return len(old)

    # -- stories -----------------------------------------------------------------------------

    def stories(self) -> dict[bytes, str]:
        return dict(self.db.execute("SELECT key, story FROM assign"))

    def save_stories(self, assign: Mapping[bytes, str], matching: Matching | None = None) -> None:
        self._need_lock("saving the stories")
        matching = matching or Matching()
        with self.db:
            for table in ("assign", "matched", "links"):
                self.db.execute(f"DELETE FROM {table}")  # table names of our own, not input
            self.db.executemany("INSERT INTO assign VALUES (?, ?)", sorted(assign.items()))
            self.db.executemany("INSERT INTO matched VALUES (?, ?)", matching.covered.items())
            self.db.executemany("INSERT INTO links VALUES (?, ?, ?)", matching.links)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('matched', ?)", (matching.basis,))
            self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'runs'")

    def count_run(self) -> None:
        self._need_lock("counting a run")
        with self.db:
            self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'runs'")

    def matching(self) -> Matching:
        return Matching(
            self.meta().get("matched", ""),
            dict(self.db.execute("SELECT key, sha256 FROM matched")),
            list(self.db.execute("SELECT a, b, data FROM links")),
        )

    def count_links(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM links").fetchone()[0])

    def _more_stats(self, live: list[Row]) -> dict[str, object]:
        return {"store_bytes": os.path.getsize(self.path)}


def _connect(path: str) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, timeout=BUSY_SECONDS)
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(_TABLES)
    except sqlite3.DatabaseError as exc:
        raise StateError(f"{path}: not a newsdedup state file ({exc})") from exc
    return db


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
