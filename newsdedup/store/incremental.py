"""A run with a store: read only new or changed files into it, then take the corpus from it.

A file with the same size, modification time, parse key and path as stored is not read at all;
one with a new time stamp is read and compared by SHA-256, and re-normalised only if its bytes
changed. Files gone from the disk leave the store; files merely not named this run stay.

The lock: new articles are written without it (whole rows, one transaction per batch), then
:func:`load_stored` takes the store's lock before it drops the files that are gone and reads the
corpus, and :func:`record_stories` releases it once the stories are saved (or the store's
``close`` does, if the run stops before). So a run's read and its save are one step that no other
run comes between, and the last run to save has seen every article written before its read.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from ..errors import InputError
from ..ingest import Found, display_path, read_document, read_inputs
from ..model import Article, Skipped
from ..normalise import finalise, parse
from ..settings import Settings
from ..web import container_kind
from .base import Row, Store, decode_article, encode_article, parse_key

if TYPE_CHECKING:
    from ..pipeline import Corpus, Progress, Result

#: parsed articles committed to a store per transaction: a killed run loses at most this much
#: parsing, and one transaction stays small (a few MB of compressed articles)
BATCH = 256


def load_stored(
    items: list[Found | Skipped], settings: Settings, store: Store, tick: Progress
) -> Corpus:
    """Add the new and changed inputs among ``items`` to ``store``, then take the lock (held
    until :func:`record_stories`) and return every article the store holds, in walk order;
    ``fresh`` holds the indices of those read in this run."""
    from ..pipeline import Corpus

    known: dict[bytes, Row] = store.rows()
    fresh: set[bytes] = set()
    pending: list[tuple[Row, Article, bytes]] = []
    touched: list[Row] = []
    gone: list[bytes] = []
    skipped: list[Skipped] = []
    for n, item in enumerate(items, 1):
        tick("read", n, len(items))
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        key = store.key_for(os.fsencode(os.path.realpath(item.ospath)))
        ospath = os.fsencode(item.ospath)
        pk = parse_key(settings, display_path(item.ospath), display_path(item.rel))
        row = known.get(key)
        try:
            st = os.stat(item.ospath)
        except OSError:
            st = None
        if container_kind(item.rel) is not None:
            items_put, bad, old = _container(item, settings, known, key, ospath, pk, st)
            skipped.extend(bad)
            gone.extend(old)
            for new, art in items_put:
                pending.append((new, art, encode_article(art)))
                fresh.add(new.key)
            if len(pending) >= BATCH:
                store.put(pending)
                pending = []
            continue
        if (
            row is not None
            and st is not None
            and (row.size, row.mtime_ns, row.parse_key, row.ospath)
            == (st.st_size, st.st_mtime_ns, pk, ospath)
        ):
            continue  # unchanged: not even read
        try:
            doc = read_document(item, settings)
        except InputError as exc:
            skipped.append(Skipped(exc.path, exc.reason))
            if row is not None:
                gone.append(key)  # a file that went bad leaves the store (and is reported)
            continue
        size = st.st_size if st else doc.size
        mtime_ns = st.st_mtime_ns if st else 0
        if row is not None and row.sha256 == doc.sha256 and row.parse_key == pk:
            touched.append(replace(row, ospath=ospath, size=size, mtime_ns=mtime_ns))
            continue  # same bytes, new time stamp
        art = parse(doc, settings)
        new = Row(key, ospath, size, mtime_ns, doc.sha256, pk, day(art))
        pending.append((new, art, encode_article(art)))
        fresh.add(key)
        if len(pending) >= BATCH:
            store.put(pending)
            pending = []
    if pending:
        store.put(pending)
    if touched:
        store.touch(touched)
    # files that are gone from the disk leave the store; files merely not named this run stay
    for key, row in known.items():
        where = store.local_path(row)
        if key not in fresh and where is not None and not os.path.exists(where):
            gone.append(key)
    store.lock()  # released by record_stories once this corpus' stories are saved
    if gone:
        store.remove(gone)
    keys: list[bytes] = []
    articles: list[Article] = []
    stored = list(store.articles())
    for n, (key, _ospath, blob) in enumerate(stored, 1):
        keys.append(key)
        articles.append(decode_article(blob))
        tick("load", n, len(stored))
    corpus = Corpus(finalise(articles, settings), skipped, keys)
    corpus.fresh = {i for i, k in enumerate(keys) if k in fresh}
    return corpus


def _container(
    item: Found,
    settings: Settings,
    known: dict[bytes, Row],
    key: bytes,
    ospath: bytes,
    pk: str,
    st: os.stat_result | None,
) -> tuple[list[tuple[Row, Article]], list[Skipped], list[bytes]]:
    """A container file with a store: each record is a row keyed by the file's key, NUL and
    its place in the file. An unchanged file (every row's size, time, parse key and path as
    now) is not read; a changed one is read whole and replaces all of its rows.

    Returns the rows to store, the records skipped, and the keys of rows to drop."""
    prefix = key + b"\0"
    mine = [k for k in known if k.startswith(prefix)]
    if (
        mine
        and st is not None
        and all(
            (known[k].size, known[k].mtime_ns, known[k].parse_key, known[k].ospath)
            == (st.st_size, st.st_mtime_ns, pk, ospath)
            for k in mine
        )
    ):
        return [], [], []
    size = st.st_size if st else 0
    mtime_ns = st.st_mtime_ns if st else 0
    rows: list[tuple[Row, Article]] = []
    bad: list[Skipped] = []
    for n, doc in enumerate(read_inputs(item, settings)):
        if isinstance(doc, Skipped):
            bad.append(doc)
            continue
        art = parse(doc, settings)
        rkey = prefix + b"%09d" % n  # zero-padded: rows sort in file order
        rows.append((Row(rkey, ospath, size, mtime_ns, doc.sha256, pk, day(art)), art))
    kept = {r.key for r, _ in rows}
    return rows, bad, [k for k in mine if k not in kept]


def day(art: Article) -> str:
    """The day an article counts as for pruning: its date; for an ambiguous numeric date
    (12/07/99, settled only later by its outlet's other files) the later of its two readings;
    else its file's modification day."""
    if art.date.value:
        return art.date.value[:10]
    if art.pending_date is not None:
        from ..dates import make_iso

        first, second, year = art.pending_date[:3]
        days = [d for d in (make_iso(year, second, first), make_iso(year, first, second)) if d]
        if days:
            return max(days)[:10]
    return time.strftime("%Y-%m-%d", time.gmtime(art.doc.mtime)) if art.doc.mtime else ""


def record_stories(result: Result, store: Store) -> set[str]:
    """Save the story of every stored article and release the lock :func:`load_stored` took;
    return the stories that are new or grew: those with an article new or changed in this run,
    or made of articles of several earlier stories."""
    try:
        before: dict[bytes, str] = store.stories()
        keys = result.corpus.keys
        changed: set[str] = set()
        now: dict[bytes, str] = {}
        for story in result.stories:
            earlier: set[str | None] = set()
            for m in story.members:
                now[keys[m]] = story.id
                earlier.add(before.get(keys[m]))
                if m in result.corpus.fresh:
                    earlier.add(None)
            if None in earlier or len(earlier) > 1:
                changed.add(story.id)
        with store.locked():
            store.save_stories(now)
    finally:
        store.unlock()
    return changed
