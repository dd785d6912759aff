"""The local state (``--state PATH``): one SQLite file, and its lock ``PATH.lock``.

* the lock is an exclusive ``fcntl.flock`` on ``PATH.lock``, released by the kernel when a run
  dies; the holder's pid is written in the file for the message a waiting run gives;
* articles are committed in batches, each a transaction of whole rows, the story assignments in
  one transaction: a run killed at any point leaves the file consistent (SQLite's rollback
  journal, ``synchronous = FULL``); several runs may write articles at once (SQLite serialises
  the transactions; a writer waits for a reader up to :data:`BUSY_SECONDS`);
* a file that is an SQLite database of another application (tables, but no newsdedup meta) is
  refused before anything is written to it, journal mode included; every SQLite error becomes
  one line naming the file and what to do (a full disk: free space and run again; a damaged
  file: ``--rebuild-state``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

from ..errors import UsageError
from ..ingest import display_path
from ..model import Article
from ..parallel import close_in_workers, forget_in_workers
from ..settings import Settings
from .base import (
    Matching,
    Row,
    StateDamaged,
    StateError,
    StateFull,
    Store,
    bound_meta,
    check_bound,
    order_key,
    wait_for,
)

P = ParamSpec("P")
T = TypeVar("T")

#: how long a write waits for another run's transaction (SQLite's busy timeout): far longer
#: than any one transaction of this program takes (a batch of articles, the stories of a run)
BUSY_SECONDS = 120.0

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
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
CREATE TABLE assign (key BLOB PRIMARY KEY, story TEXT NOT NULL);
CREATE TABLE matched (key BLOB PRIMARY KEY, sha256 TEXT NOT NULL);
CREATE TABLE links (
    a BLOB NOT NULL, b BLOB NOT NULL, data TEXT NOT NULL, PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX links_b ON links (b)
"""

#: the first bytes of every SQLite database file
_SQLITE_MAGIC = b"SQLite format 3\0"

#: the rows that go with a file and leave with it (the files table itself aside)
_WITH_FILE = (
    "DELETE FROM assign WHERE key = ?",
    "DELETE FROM matched WHERE key = ?",
    "DELETE FROM links WHERE a = ?",
    "DELETE FROM links WHERE b = ?",
)


def _guarded(
    method: Callable[Concatenate[SQLiteStore, P], T],
) -> Callable[Concatenate[SQLiteStore, P], T]:
    """SQLite's errors in a store method as one-line :class:`StateError` s naming the file."""

    def guarded(self: SQLiteStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _state_error(self.path, exc) from exc

    guarded.__doc__, guarded.__name__ = method.__doc__, method.__name__
    return guarded


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
        _refuse_foreign(path)
        if rebuild:
            with self.locked():
                for suffix in ("", "-journal", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path + suffix)
        self.db = _connect(path, bound_meta(settings))
        try:
            check_bound(self.meta(), settings, self.path, self.noun)
        except BaseException:
            self.db.close()
            raise

    def _disconnect(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    # -- parameters --------------------------------------------------------------------------

    @_guarded
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
        with contextlib.suppress(OSError):  # the pid is only for a waiting run's message
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

    @_guarded
    def rows(self) -> dict[bytes, Row]:
        cur = self.db.execute(
            "SELECT key, ospath, size, mtime_ns, sha256, parse_key, day, pruned FROM files"
        )
        return {
            key: Row(key, ospath, size, mtime_ns, sha, pk, day, bool(pruned))
            for key, ospath, size, mtime_ns, sha, pk, day, pruned in cur
        }

    @_guarded
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

    @_guarded
    def touch(self, rows: Iterable[Row]) -> None:
        with self.db:
            self.db.executemany(
                "UPDATE files SET size = ?, mtime_ns = ?, ospath = ? WHERE key = ?",
                [(r.size, r.mtime_ns, r.ospath, r.key) for r in rows],
            )

    @_guarded
    def remove(self, keys: Iterable[bytes]) -> None:
        self._need_lock("removing files")
        gone = [(k,) for k in keys]
        with self.db:
            self.db.executemany("DELETE FROM files WHERE key = ?", gone)
            for sql in _WITH_FILE:
                self.db.executemany(sql, gone)

    @_guarded
    def articles(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        self._need_lock("reading the articles")
        cur = self.db.execute("SELECT key, ospath, article FROM files WHERE pruned = 0")
        return iter(sorted(cur, key=lambda r: (order_key(r[1]), r[0])))

    @_guarded
    def set_days(self, days: Mapping[bytes, str]) -> None:
        self._need_lock("recording the articles' days")
        with self.db:
            self.db.executemany(
                "UPDATE files SET day = ? WHERE key = ?", [(d, k) for k, d in days.items()]
            )

    @_guarded
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

    @_guarded
    def stories(self) -> dict[bytes, str]:
        return dict(self.db.execute("SELECT key, story FROM assign"))

    @_guarded
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

    @_guarded
    def count_run(self) -> None:
        self._need_lock("counting a run")
        with self.db:
            self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'runs'")

    @_guarded
    def matching(self) -> Matching:
        return Matching(
            self.meta().get("matched", ""),
            dict(self.db.execute("SELECT key, sha256 FROM matched")),
            list(self.db.execute("SELECT a, b, data FROM links")),
        )

    @_guarded
    def count_links(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM links").fetchone()[0])

    def _more_stats(self, live: list[Row]) -> dict[str, object]:
        return {"store_bytes": os.path.getsize(self.path)}


def _refuse_foreign(path: str) -> None:
    """Refuse, before anything is written to it, a file that is not a newsdedup state: an SQLite
    database with tables but no newsdedup meta (another application's), or any other file that
    is not empty. A newsdedup state that cannot be read (damaged) passes: it is opened and
    found damaged, or rebuilt with ``--rebuild-state``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateError(f"{path}: cannot read the state: {exc.strerror}") from exc
    if not head:
        return  # an empty file: a new state
    keep = "left as it is: give --state a path of its own (a new file)"
    if not head.startswith(_SQLITE_MAGIC):
        raise StateError(f"{path}: not a newsdedup state file (not an SQLite database); {keep}")
    # bytes 18-19: 2 for a database in WAL mode, which newsdedup's states never are
    foreign = len(head) >= 20 and 2 in head[18:20]
    if not foreign:
        tables = _tables(path)
        foreign = tables is not None and bool(tables) and not tables.get("meta")
    if foreign:
        what = "an SQLite database of another application"
        raise StateError(f"{path}: not a newsdedup state file ({what}); {keep}")


def _tables(path: str) -> dict[str, bool] | None:
    """The tables of an SQLite file, read only, each with whether it is newsdedup's meta
    table (one that has the schema row); None if it cannot be read now (damaged, busy, or a
    hot journal to roll back: it is judged when opened)."""
    try:
        ro = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=BUSY_SECONDS)
    except sqlite3.Error:
        return None
    try:
        names = [n for (n,) in ro.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = dict.fromkeys(names, False)
        if "meta" in out:
            row = ro.execute("SELECT 1 FROM meta WHERE key = 'schema'").fetchone()
            out["meta"] = row is not None
        return out
    except sqlite3.Error:
        return None
    finally:
        ro.close()


def _connect(path: str, meta: Mapping[str, str]) -> sqlite3.Connection:
    """Open the state, creating its tables and meta in one transaction when it is new (so a
    racing run never sees tables without meta)."""
    try:
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise _state_error(path, exc) from exc
    try:
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("PRAGMA synchronous = FULL")
        if not _has_meta(db):
            db.execute("BEGIN IMMEDIATE")
            try:
                if not _has_meta(db):  # another run may have made it while this one waited
                    names = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
                    if names:  # tables made by another program since the check
                        raise StateError(f"{path}: not a newsdedup state file (other tables)")
                    for statement in _TABLES.split(";"):
                        db.execute(statement)
                    db.executemany("INSERT INTO meta VALUES (?, ?)", [*meta.items(), ("runs", "0")])
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        db.isolation_level = "DEFERRED"  # implicit transactions, ended by ``with db`` blocks
    except sqlite3.Error as exc:
        db.close()
        raise _state_error(path, exc) from exc
    except BaseException:
        db.close()
        raise
    return db


def _has_meta(db: sqlite3.Connection) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    if found.fetchone() is None:
        return False
    return db.execute("SELECT 1 FROM meta WHERE key = 'schema'").fetchone() is not None


def _state_error(path: str, exc: sqlite3.Error) -> StateError:
    """One line for an SQLite error: the file, what happened and what to do."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return StateFull(f"{path}: the disk holding the state is full; free space and run again")
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StateDamaged(
            f"{path}: state damaged ({exc}); run with --rebuild-state to make it afresh (its"
            " files are read again)"
        )
    if primary == sqlite3.SQLITE_IOERR:
        return StateError(f"{path}: cannot write the state ({exc}): is the disk full or failing?"
                          " free space and run again")  # fmt: skip
    if primary == sqlite3.SQLITE_BUSY:
        return StateError(f"{path}: state busy for {BUSY_SECONDS:.0f} s ({exc}); run again")
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return StateError(f"{path}: cannot open the state for writing ({exc})")
    return StateError(f"{path}: state error ({exc})")


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
