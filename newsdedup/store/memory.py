"""A store held in this process' memory: the store of a run without ``--state`` or ``--index``.

It keeps the articles themselves, not their encoding (nothing is written anywhere, so nothing
is encoded or decoded), and lives as long as its :class:`MemorySpace`: a batch run makes a
space of its own, and what the run reads is gone when it ends. Several :class:`MemoryStore`
handles may open one space (as several runs open one state file): they share its rows, stories
and lock, which is what the store contract tests exercise.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from ..model import Article
from ..settings import Settings
from .base import (
    Matching,
    Row,
    Store,
    bound_meta,
    check_bound,
    encode_article,
    order_key,
    wait_for,
)


@dataclass
class MemorySpace:
    """What the handles of one memory store share."""

    meta: dict[str, str] = field(default_factory=dict)
    rows: dict[bytes, Row] = field(default_factory=dict)
    articles: dict[bytes, Article] = field(default_factory=dict)
    assign: dict[bytes, str] = field(default_factory=dict)
    matching: Matching = field(default_factory=Matching)
    #: guards the fields above: handles may be used from several threads at once
    guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: the store's lock (the one a run holds from reading the corpus to saving its stories)
    run_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class MemoryStore(Store):
    """A store in memory, opened on a :class:`MemorySpace` (a new one when none is given)."""

    engine = "memory"
    noun = "store"
    encoded = False  # keeps the articles themselves: put needs no encoding of them

    def __init__(
        self,
        settings: Settings,
        space: MemorySpace | None = None,
        wait: float = 0.0,
        rebuild: bool = False,
    ) -> None:
        super().__init__(wait)
        self.location = "memory"
        self.space = space if space is not None else MemorySpace()
        # a run settles its corpus in place (normalise.finalise): a space that other handles
        # read again hands out copies, so that each reads the articles as they were put; a
        # space of this handle's own is read once, by the run that made it, and hands out its
        # articles themselves (no second set of objects)
        self._copies = space is not None
        if rebuild:
            with self.locked(), self.space.guard:
                fresh = MemorySpace()
                for name in ("meta", "rows", "articles", "assign", "matching"):
                    setattr(self.space, name, getattr(fresh, name))
        with self.space.guard:
            if not self.space.meta:
                self.space.meta.update(bound_meta(settings), runs="0")
            meta = dict(self.space.meta)
        check_bound(meta, settings, self.location, self.noun)

    # -- the lock ----------------------------------------------------------------------------

    def _acquire(self) -> None:
        wait_for(lambda: self.space.run_lock.acquire(blocking=False), self.wait, self._in_use)

    def _release(self) -> None:
        self.space.run_lock.release()

    def _disconnect(self) -> None:
        return None

    # -- files -------------------------------------------------------------------------------

    def key_for(self, realpath: bytes) -> bytes:
        return realpath

    def local_path(self, row: Row) -> str | None:
        return os.fsdecode(row.key.partition(b"\0")[0])

    def rows(self) -> dict[bytes, Row]:
        with self.space.guard:
            return dict(self.space.rows)

    def put(self, items: Iterable[tuple[Row, Article, bytes]]) -> None:
        items = list(items)
        with self.space.guard:
            for row, art, _ in items:
                self.space.rows[row.key] = row
                self.space.articles[row.key] = art
                self.space.assign.pop(row.key, None)

    def touch(self, rows: Iterable[Row]) -> None:
        with self.space.guard:
            for row in rows:
                old = self.space.rows.get(row.key)
                if old is not None:
                    self.space.rows[row.key] = replace(
                        old, size=row.size, mtime_ns=row.mtime_ns, ospath=row.ospath
                    )

    def remove(self, keys: Iterable[bytes]) -> None:
        self._need_lock("removing files")
        gone = set(keys)
        with self.space.guard:
            for key in gone:
                self.space.rows.pop(key, None)
            self._forget(gone)

    def _forget(self, gone: set[bytes]) -> None:
        """The articles, stories and links of these files (the guard held)."""
        space = self.space
        for key in gone:
            space.articles.pop(key, None)
            space.assign.pop(key, None)
            space.matching.covered.pop(key, None)
        space.matching.links = [
            ln for ln in space.matching.links if ln[0] not in gone and ln[1] not in gone
        ]

    def _walk_order(self) -> list[bytes]:
        rows = self.space.rows
        return sorted(
            (k for k, r in rows.items() if not r.pruned),
            key=lambda k: (order_key(rows[k].ospath), k),
        )

    def articles(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        self._need_lock("reading the articles")
        with self.space.guard:
            rows, arts = self.space.rows, self.space.articles
            found = [(k, rows[k].ospath, arts[k]) for k in self._walk_order()]
        return iter([(k, ospath, encode_article(art)) for k, ospath, art in found])

    def stored_articles(self) -> Iterator[tuple[bytes, bytes, Article]]:
        self._need_lock("reading the articles")
        with self.space.guard:
            rows, arts = self.space.rows, self.space.articles
            found = [(k, rows[k].ospath, arts[k]) for k in self._walk_order()]
        if not self._copies:
            return iter(found)
        return iter([(k, ospath, _copy(art)) for k, ospath, art in found])

    def set_days(self, days: Mapping[bytes, str]) -> None:
        self._need_lock("recording the articles' days")
        with self.space.guard:
            for key, day in days.items():
                if key in self.space.rows:
                    self.space.rows[key] = replace(self.space.rows[key], day=day)

    def prune(self, before: str) -> int:
        with self.locked(), self.space.guard:
            old = {
                k for k, r in self.space.rows.items() if not r.pruned and r.day and r.day < before
            }
            for key in old:
                self.space.rows[key] = replace(self.space.rows[key], pruned=True)
            self._forget(old)
        return len(old)

    # -- stories -----------------------------------------------------------------------------

    def stories(self) -> dict[bytes, str]:
        with self.space.guard:
            return dict(self.space.assign)

    def save_stories(self, assign: Mapping[bytes, str], matching: Matching | None = None) -> None:
        self._need_lock("saving the stories")
        matching = matching or Matching()
        with self.space.guard:
            self.space.assign = dict(assign)
            self.space.matching = Matching(
                matching.basis, dict(matching.covered), list(matching.links)
            )
            self.space.meta["matched"] = matching.basis
            self._count()

    def count_run(self) -> None:
        self._need_lock("counting a run")
        with self.space.guard:
            self._count()

    def _count(self) -> None:
        self.space.meta["runs"] = str(int(self.space.meta.get("runs", "0")) + 1)

    def matching(self) -> Matching:
        with self.space.guard:
            m = self.space.matching
            return Matching(m.basis, dict(m.covered), list(m.links))

    # -- figures -----------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        with self.space.guard:
            return dict(self.space.meta)

    def count_links(self) -> int:
        with self.space.guard:
            return len(self.space.matching.links)

    def _more_stats(self, live: list[Row]) -> dict[str, object]:
        # what the articles would take encoded as the other stores keep them
        with self.space.guard:
            arts = [self.space.articles[r.key] for r in live if r.key in self.space.articles]
        return {"store_bytes": sum(len(encode_article(a)) for a in arts)}


def _copy(art: Article) -> Article:
    """An article whose fields can be set, and lists changed, without changing ``art`` (the
    texts themselves are shared: strings do not change)."""
    return replace(art, body=list(art.body), removed=list(art.removed))
