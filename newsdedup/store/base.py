"""The abstract store and what its backends share: rows, article encoding, the parameter
check, the lock's wait loop and the figures of ``index stats``.

A store holds, per input file (or record of a container), the :class:`Row` that says whether
the file must be read again, the normalised article, and the story it was in at the last run.
Its contract, tested against every backend by ``tests/test_store_contract.py``:

* :meth:`Store.put`, :meth:`Store.touch` write whole rows in one transaction each; several runs
  may write at once;
* :meth:`Store.articles`, :meth:`Store.remove`, :meth:`Store.save_stories` and
  :meth:`Store.prune` need the store's **lock**, taken explicitly (``with store.locked(): …``,
  or :meth:`Store.lock` … :meth:`Store.unlock` across the steps of one run): the run that reads
  the articles and saves their stories is alone from the read to the save, so the last run to
  save has seen every article written before its read. The lock is dropped by :meth:`close`, and
  a run that dies loses it (a kernel ``flock`` for SQLite, an expiring key for Redis);
* a store made with other sketch parameters or another schema is refused, never mixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..errors import NewsdedupError, UsageError
from ..ingest import display_path
from ..model import Article, article_from_dict, article_to_dict
from ..settings import Settings

#: the layout of a store; a store of another layout is refused until it is rebuilt
STORE_SCHEMA = 1

#: settings a store is bound to: sketches made with others cannot be compared
BOUND_SETTINGS = ("num_perm", "seed", "shingle_size")
_OPTION = {"num_perm": "--num-perm", "seed": "--seed", "shingle_size": "--shingle-size"}

#: how often a run waiting for another's lock tries again: short against a lock held for
#: seconds, long enough not to busy a core (50 polls a second at most)
POLL_SECONDS = 0.05


class StateError(NewsdedupError):
    """The state cannot be used (locked, damaged, not ours)."""


class StateMismatch(UsageError):
    """The state was made with other parameters or another schema (exit 2: the options conflict)."""


class StateFull(StateError):
    """The disk (or Redis' memory) holding the store is full: nothing half-written is kept."""


class StateDamaged(StateError):
    """The store cannot be read back as written: it must be rebuilt."""


class LockLost(StateError):
    """The run's lock lapsed (stopped past its expiry) and another run may have taken the
    store: this run saves nothing."""


class LockNotHeld(StateError):
    """A step that needs the store's lock was called without it (a mistake of the caller)."""


@dataclass(frozen=True)
class Row:
    """What the store knows of one file."""

    key: bytes  # the file's real path, as bytes (Redis: host, NUL, real path)
    ospath: bytes  # the path it was found under
    size: int
    mtime_ns: int
    sha256: str
    parse_key: str
    # the article's day (YYYY-MM-DD) as the timeline dates it (its own date, else inferred from
    # its story; recorded with the stories of each run); empty when the timeline has none
    day: str = ""
    pruned: bool = False


@dataclass
class Matching:
    """What the last run's links were computed from, and the links, saved with its stories so
    that a run whose corpus did not change reuses them, and one whose corpus changed matches
    only what is new against the rest.

    ``basis`` is a fingerprint of the corpus and of everything else the links depend on (see
    :func:`newsdedup.store.incremental.basis`); ``covered`` maps each article the links were
    computed over to its SHA-256; ``links`` holds ``(key_a, key_b, data)``, ``data`` being the
    link's fields as JSON text (``key_a`` is the earlier of the two in walk order)."""

    basis: str = ""
    covered: dict[bytes, str] = field(default_factory=dict)
    links: list[tuple[bytes, bytes, str]] = field(default_factory=list)


def bound_meta(settings: Settings) -> dict[str, str]:
    """The meta values a new store is created with: its schema and the bound parameters."""
    return {"schema": str(STORE_SCHEMA)} | {n: str(getattr(settings, n)) for n in BOUND_SETTINGS}


def check_bound(meta: Mapping[str, str], settings: Settings, where: str, what: str) -> None:
    """Refuse a store of another schema or made with other sketch parameters."""
    if meta.get("schema") != str(STORE_SCHEMA):
        raise StateMismatch(
            f"{where}: {what} schema {meta.get('schema', '?')}, this newsdedup uses "
            f"{STORE_SCHEMA}; add --rebuild-state to make it afresh"
        )
    for name in BOUND_SETTINGS:
        value = str(getattr(settings, name))
        if meta.get(name) != value:
            raise StateMismatch(
                f"{where}: {what} made with {_OPTION[name]} {meta.get(name)}, this run asks "
                f"for {value}; use the same value, or add --rebuild-state to make it afresh"
            )


def parse_key(settings: Settings, shown: str, rel: str) -> str:
    """What a cached normalisation depends on besides the bytes: a change re-parses the file."""
    parts = [
        __version__,
        str(STORE_SCHEMA),
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


def order_key(ospath: bytes) -> tuple[bytes, ...]:
    """The order a folder walk yields files in (components in byte order), so a store's articles
    come in the order of a batch run over the same folder."""
    return tuple(ospath.split(b"/"))


def prunable(rows: Iterable[Row], before: str) -> list[Row]:
    """The rows ``prune(before)`` drops (articles of a day before ``before``; an undated one
    never, its age unknown), in walk order."""
    return sorted(
        (r for r in rows if not r.pruned and r.day and r.day < before),
        key=lambda r: order_key(r.ospath),
    )


def wait_for(attempt: Callable[[], bool], wait: float, fail: Callable[[], NewsdedupError]) -> None:
    """Call ``attempt`` until it succeeds, for at most ``wait`` seconds; then raise ``fail()``."""
    deadline = time.monotonic() + max(wait, 0.0)
    while not attempt():
        if time.monotonic() >= deadline:
            raise fail()
        time.sleep(POLL_SECONDS)


class Store(ABC):
    """A run's store of articles and stories (use as a context manager: closed on exit).

    Backends: :class:`newsdedup.store.sqlite.SQLiteStore` (``--state PATH``),
    :class:`newsdedup.store.redis.RedisStore` (``--index redis://…``) and
    :class:`newsdedup.store.memory.MemoryStore` (a run without either); open one with
    :func:`newsdedup.store.open_store`."""

    #: "sqlite" or "redis", as ``index stats`` reports it
    engine: str = ""
    #: what the store is called in messages (a path, or a URL and prefix)
    location: str = ""
    #: the word for it in messages ("state", "index")
    noun: str = "state"
    #: whether :meth:`put` needs each article's encoding (a store kept in this process keeps
    #: the articles themselves and is given an empty one)
    encoded: bool = True

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._depth = 0  # nesting of lock() calls: the lock is held while above zero
        #: what the run should be told about the store on opening it (warnings)
        self.notes: list[str] = []

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the lock ----------------------------------------------------------------------------

    def lock(self) -> None:
        """Take the store's lock, waiting up to ``wait`` seconds for another run to drop it
        (then :class:`StateError`). Calls nest: the lock is dropped by the matching unlock."""
        if self._depth == 0:
            self._acquire()
        self._depth += 1

    def unlock(self) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            self._release()

    @contextlib.contextmanager
    def locked(self) -> Iterator[Store]:
        """``with store.locked(): …``: the lock held for the block."""
        self.lock()
        try:
            yield self
        finally:
            self.unlock()

    @property
    def holds_lock(self) -> bool:
        return self._depth > 0

    def _need_lock(self, what: str) -> None:
        if self._depth == 0:
            raise LockNotHeld(f"{self.location}: {what} needs the {self.noun}'s lock")

    def _in_use(self, holder: str = "") -> StateError:
        who = f" (pid {holder})" if holder else ""
        return StateError(
            f"{self.location}: {self.noun} in use by another newsdedup run{who}; "
            "try again later or wait for it with --wait SECONDS"
        )

    def damaged(self, detail: str) -> StateDamaged:
        """The one-line error of a store that cannot be read back."""
        return StateDamaged(
            f"{self.location}: {self.noun} damaged ({detail}); run with --rebuild-state to make"
            " it afresh (its files are read again)"
        )

    @abstractmethod
    def _acquire(self) -> None:
        """Take the lock for this process (waiting up to ``self.wait``)."""

    @abstractmethod
    def _release(self) -> None:
        """Drop the lock (never fails: a lock that cannot be dropped lapses)."""

    def close(self) -> None:
        """Drop the lock if held and let go of the store."""
        if self._depth:
            self._depth = 0
            self._release()
        self._disconnect()

    @abstractmethod
    def _disconnect(self) -> None: ...

    # -- files -------------------------------------------------------------------------------

    @abstractmethod
    def key_for(self, realpath: bytes) -> bytes:
        """The store's key of a file."""

    @abstractmethod
    def local_path(self, row: Row) -> str | None:
        """The path to check for the file's existence (None: not this machine's file); a
        record of a container is keyed by its file's path, NUL, and its place in the file."""

    @abstractmethod
    def rows(self) -> dict[bytes, Row]:
        """Every file the store knows, pruned ones included."""

    @abstractmethod
    def put(self, items: Iterable[tuple[Row, Article, bytes]]) -> None:
        """Store parsed articles (row, article, its encoding): one transaction."""

    @abstractmethod
    def touch(self, rows: Iterable[Row]) -> None:
        """Files whose bytes did not change under a new modification time or path."""

    @abstractmethod
    def remove(self, keys: Iterable[bytes]) -> None:
        """Forget these files (needs the lock)."""

    @abstractmethod
    def articles(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        """(key, ospath, encoded article) of every stored, unpruned file, in walk order (needs
        the lock: what a run reads and the stories it saves are one consistent step)."""

    def stored_articles(self) -> Iterator[tuple[bytes, bytes, Article]]:
        """(key, ospath, article) of every stored, unpruned file, in walk order (needs the
        lock); :class:`StateDamaged` for an article that does not decode."""
        for key, ospath, blob in self.articles():
            try:
                art = decode_article(blob)
            except (zlib.error, ValueError, KeyError, TypeError, IndexError) as exc:
                # a blob that does not decode to an article: damaged outside newsdedup
                shown = display_path(os.fsdecode(ospath))
                what = f"the article of {shown} does not read back"
                raise self.damaged(f"{what}: {type(exc).__name__}") from exc
            yield key, ospath, art

    @abstractmethod
    def set_days(self, days: Mapping[bytes, str]) -> None:
        """Record the day of these files' articles as the timeline dates them (needs the lock;
        the files' other fields are kept)."""

    @abstractmethod
    def prune(self, before: str) -> int:
        """Drop the articles dated before ``before`` (YYYY-MM-DD), taking the lock; their files
        are remembered as pruned, so an unchanged file is not read and added again."""

    # -- stories -----------------------------------------------------------------------------

    @abstractmethod
    def stories(self) -> dict[bytes, str]:
        """The story of each article at the last run that saved its stories."""

    @abstractmethod
    def save_stories(self, assign: Mapping[bytes, str], matching: Matching | None = None) -> None:
        """The stories of this run and the links behind them, replacing the last run's, and the
        run counted (one transaction; needs the lock). Without ``matching`` the stored links
        are dropped."""

    @abstractmethod
    def count_run(self) -> None:
        """A run whose stories and links are those saved: only counted (needs the lock)."""

    @abstractmethod
    def matching(self) -> Matching:
        """The links saved by the last run, and what they were computed from (empty if none).
        An article removed or pruned since has left them."""

    # -- figures -----------------------------------------------------------------------------

    @abstractmethod
    def meta(self) -> dict[str, str]:
        """The store's meta values (schema, bound parameters, runs)."""

    def stats(self) -> dict[str, object]:
        """What ``index stats`` prints: parameters, articles, stories, days, sizes."""
        rows = self.rows().values()
        live = [r for r in rows if not r.pruned]
        days = sorted(r.day for r in live if r.day)
        meta = self.meta()
        return {
            "engine": self.engine,
            "location": self.location,
            "schema": int(meta.get("schema", 0)),
            "runs": int(meta.get("runs", 0)),
            **{name: int(meta[name]) for name in BOUND_SETTINGS if name in meta},
            "articles": len(live),
            "pruned": len(rows) - len(live),
            "stories": len(set(self.stories().values())),
            "links": self.count_links(),
            "bytes": sum(r.size for r in live),
            "first_day": days[0] if days else None,
            "last_day": days[-1] if days else None,
            "undated": len(live) - len(days),
            **self._more_stats(live),
        }

    @abstractmethod
    def count_links(self) -> int:
        """How many links the store holds."""

    def _more_stats(self, live: list[Row]) -> dict[str, Any]:
        """Figures of one backend only."""
        return {}
