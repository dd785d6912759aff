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

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from functools import cache, partial
from importlib import metadata, resources
from typing import TYPE_CHECKING

from ..ingest import STDIN, Found, display_path
from ..model import Article, Link, LinkKind, Skipped
from ..normalise import finalise
from ..settings import Settings
from ..web import container_kind
from .base import Matching, Row, Store, encode_article, parse_key

if TYPE_CHECKING:
    from ..pipeline import Corpus, Progress, Result

#: bump when what a stored link means changes in a way :func:`basis` cannot see (it already
#: covers newsdedup's own source, its version and those of the libraries matching uses)
MATCHER_VERSION = 1

#: libraries whose behaviour the links depend on (MinHash, term frequencies, vectors)
_MATCH_LIBRARIES = ("datasketch", "numpy", "wordfreq")

#: settings that decide only which files are read, not what the links between the articles
#: read are: a run with other ones over the same articles may reuse the links
_READING_ONLY = frozenset({"max_bytes", "follow_symlinks", "globs", "types", "jobs"})

#: parsed articles committed to a store per transaction: a killed run loses at most this much
#: parsing, and one transaction stays small (a few MB of compressed articles)
BATCH = 256


@dataclass
class _Plan:
    """What a run reads: the inputs to read (indices into the run's items), each one's key,
    path, parse key and file status, and the files it named that the store already has as
    they are now (not read at all)."""

    todo: list[int] = field(default_factory=list)
    keys: dict[int, bytes] = field(default_factory=dict)
    ospaths: dict[int, bytes] = field(default_factory=dict)
    parse_keys: dict[int, str] = field(default_factory=dict)
    stats: dict[int, os.stat_result | None] = field(default_factory=dict)
    #: the keys this run's inputs have (a container's records: its file's key and NUL), in
    #: the order they were named: the corpus order of a store that lives for one run
    named: dict[bytes, int] = field(default_factory=dict)
    #: the store's rows as the plan found them
    known: dict[bytes, Row] = field(default_factory=dict)


#: the key of an article read from standard input (a store that lives for one run only: a
#: kept store refuses it); NUL never appears in a path, so no file has it
STDIN_KEY = b"\0-"


def plan(items: list[Found | Skipped], settings: Settings, store: Store) -> _Plan:
    """Which of ``items`` must be read: every input but a file (or container) whose size,
    modification time, parse key and path are those stored."""
    known = store.rows()
    real = _RealPaths()
    out = _Plan(known=known)
    for i, item in enumerate(items):
        if isinstance(item, Skipped):
            continue
        if item.ospath == STDIN:
            out.keys[i], out.ospaths[i], out.parse_keys[i], out.stats[i] = (
                STDIN_KEY, STDIN_KEY, "", None
            )  # fmt: skip
            out.named.setdefault(STDIN_KEY, i)
            out.todo.append(i)
            continue
        key = store.key_for(os.fsencode(real(item.ospath)))
        ospath = os.fsencode(item.ospath)
        pk = parse_key(settings, display_path(item.ospath), display_path(item.rel))
        try:
            st: os.stat_result | None = os.stat(item.ospath)
        except OSError:
            st = None
        out.keys[i], out.ospaths[i], out.parse_keys[i], out.stats[i] = key, ospath, pk, st
        out.named.setdefault(key, i)
        if st is not None:
            now = (st.st_size, st.st_mtime_ns, pk, ospath)
            if container_kind(item.rel) is not None:
                prefix = key + b"\0"
                mine = [known[k] for k in known if k.startswith(prefix)]
                if mine and all((r.size, r.mtime_ns, r.parse_key, r.ospath) == now for r in mine):
                    continue  # unchanged container: not read
            else:
                row = known.get(key)
                if row is not None and (row.size, row.mtime_ns, row.parse_key, row.ospath) == now:
                    continue  # unchanged: not even read
        out.todo.append(i)
    return out


def _read(
    items: list[Found | Skipped],
    todo: list[int],
    settings: Settings,
    stdin: bytes | None,
    tick: Progress,
) -> Iterator[tuple[int, list[Article | Skipped]]]:
    """The planned inputs read and parsed, each with its index, in order: over ``--jobs``
    workers as a batch run reads (a container gives its records in file order)."""
    from ..parallel import ordered_map
    from ..pipeline import _read_batches, _read_parse

    chosen = [items[i] for i in todo]
    chunk, least = _read_batches(chosen)
    work = partial(_read_parse, settings=settings, stdin=stdin)
    reads = ordered_map(work, chosen, settings.jobs, chunksize=chunk, min_items=least)
    for n, (i, results) in enumerate(zip(todo, reads, strict=True), 1):
        tick("read", n, len(todo))
        yield i, results


def load_stored(
    items: list[Found | Skipped],
    settings: Settings,
    store: Store,
    tick: Progress,
    stdin: bytes | None = None,
    for_this_run: bool = False,
) -> Corpus:
    """Add the new and changed inputs among ``items`` to ``store`` (read as :func:`plan`
    decides, over ``--jobs`` workers), then take the lock (held until :func:`record_stories`)
    and return every article the store holds, in walk order; ``fresh`` holds the indices of
    those read in this run. ``for_this_run``: the store lives for this run alone (a run
    without a state): its corpus is in the order the inputs were named, as they were found."""
    from ..pipeline import Corpus, collector_paused

    todo = plan(items, settings, store)
    known = todo.known
    fresh: set[bytes] = set()
    pending: list[tuple[Row, Article, bytes]] = []
    touched: list[Row] = []
    gone: list[bytes] = []
    skipped: list[Skipped] = []
    results = dict.fromkeys(todo.todo, True)
    reads = _read(items, todo.todo, settings, stdin, tick)
    # the articles make no reference cycles: the cyclic collector, which walks every object
    # made so far each time enough have been made, has nothing to find while they pile up
    # (reuters-dev with workers: unpickling 11,000 articles 0.78 s with it, 0.11 s without)
    with collector_paused():
        for i, item in enumerate(items):
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            if i not in results:
                continue  # unchanged: not read
            got = next(reads)[1]
            key, ospath, pk, st = todo.keys[i], todo.ospaths[i], todo.parse_keys[i], todo.stats[i]
            if container_kind(item.rel) is not None:
                prefix = key + b"\0"
                kept: set[bytes] = set()
                for n, done in enumerate(got):
                    if isinstance(done, Skipped):
                        skipped.append(done)
                        continue
                    rkey = prefix + b"%09d" % n  # zero-padded: rows sort in file order
                    new = _row(rkey, ospath, pk, st, done)
                    pending.append((new, done, encode_article(done) if store.encoded else b""))
                    fresh.add(rkey)
                    kept.add(rkey)
                gone.extend(k for k in known if k.startswith(prefix) and k not in kept)
            else:
                done = got[0]
                row = known.get(key)
                if isinstance(done, Skipped):
                    skipped.append(done)
                    if row is not None:
                        gone.append(key)  # a file that went bad leaves the store (reported)
                    continue
                new = _row(key, ospath, pk, st, done)
                if row is not None and row.sha256 == new.sha256 and row.parse_key == pk:
                    touched.append(replace(row, ospath=ospath, size=new.size,
                                           mtime_ns=new.mtime_ns))  # fmt: skip
                    continue  # same bytes, new time stamp: the stored article stands
                pending.append((new, done, encode_article(done) if store.encoded else b""))
                fresh.add(key)
            if len(pending) >= BATCH:
                store.put(pending)
                pending = []
    if pending:
        store.put(pending)
    if touched:
        store.touch(touched)
    # files that are gone from the disk leave the store; files merely not named this run stay
    # (and so do those that are no longer regular files: a folder or a FIFO put in a file's
    # place is not that article any more)
    for key, row in known.items():
        where = store.local_path(row)
        if key not in fresh and where is not None and not _regular(where):
            gone.append(key)
    store.lock()  # released by record_stories once this corpus' stories are saved
    if gone:
        store.remove(gone)
    stored = list(store.stored_articles())
    if for_this_run:  # as named: files in the order found, a container's records in file order
        stored.sort(key=lambda r: (todo.named[r[0].partition(b"\0")[0] or STDIN_KEY], r[0]))
    keys: list[bytes] = []
    articles: list[Article] = []
    for n, (key, _ospath, art) in enumerate(stored, 1):
        keys.append(key)
        articles.append(art)
        if store.encoded:
            tick("load", n, len(stored))
    if for_this_run:
        # the corpus holds the articles now, and nothing is kept for a next run: the store
        # lets go of its rows (a kilobyte an article: 26 MB at 20,000 generated articles)
        store.remove(keys)
    # finalising makes many small objects (paragraph keys) and no cycles either
    # (reuters-dev: 0.27 s with the collector, 0.17 s without)
    with collector_paused():
        articles = finalise(articles, settings)
    corpus = Corpus(articles, skipped, keys)
    corpus.fresh = {i for i, k in enumerate(keys) if k in fresh}
    return corpus


def _row(key: bytes, ospath: bytes, pk: str, st: os.stat_result | None, art: Article) -> Row:
    """The row of an article read now (size and time as the file was before it was read)."""
    size = st.st_size if st else art.doc.size
    mtime_ns = st.st_mtime_ns if st else 0
    return Row(key, ospath, size, mtime_ns, art.doc.sha256, pk, day(art))


def _regular(path: str) -> bool:
    """Whether ``path`` is (or links to) a regular file."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


class _RealPaths:
    """``os.path.realpath`` of many files in few folders: each folder resolved once (a file
    that is itself a symbolic link is resolved whole). The same answers, a tenth of the
    ``lstat`` calls on an archive of thousands of files a folder."""

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        folder, name = os.path.split(path)
        if not name or name in (".", "..") or os.path.islink(path):
            return os.path.realpath(path)
        real = self.folders.get(folder)
        if real is None:
            real = self.folders[folder] = os.path.realpath(folder or ".")
        return os.path.join(real, name)


def day(art: Article) -> str:
    """The day an article counts as until its run records the timeline's (see
    :func:`record_stories`): its own date; for an ambiguous numeric date (12/07/99, settled
    only by its outlet's other files) the later of its two readings; else none. Never the
    file's time (that is a date only with --use-mtime, and then the article's own)."""
    if art.date.value:
        return art.date.value[:10]
    if art.pending_date is not None:
        from ..dates import make_iso

        first, second, year = art.pending_date[:3]
        days = [d for d in (make_iso(year, second, first), make_iso(year, first, second)) if d]
        if days:
            return max(days)[:10]
    return ""


def _record_days(result: Result, store: Store) -> None:
    """Each article's day as the timeline dates it (the date its outlet's files settled, or
    the one inferred from its story), for ``index prune`` and ``index stats``; only the rows
    whose day changed are written."""
    from ..merge import article_days

    keys = result.corpus.keys
    dated = article_days(result.stories, result.corpus.articles)
    rows = store.rows()
    days = {keys[i]: dated.get(i, "") for i in range(len(keys))}
    changed = {k: d for k, d in days.items() if k in rows and rows[k].day != d}
    if changed:
        store.set_days(changed)


def changed_stories(result: Result, store: Store) -> set[str]:
    """The stories of ``result`` that are new or grew since the stories ``store`` holds: those
    with an article new or changed in this run, or made of articles of several earlier
    stories."""
    before: dict[bytes, str] = store.stories()
    keys = result.corpus.keys
    changed: set[str] = set()
    for story in result.stories:
        earlier: set[str | None] = set()
        for m in story.members:
            earlier.add(before.get(keys[m]))
            if m in result.corpus.fresh:
                earlier.add(None)
        if None in earlier or len(earlier) > 1:
            changed.add(story.id)
    return changed


def record_stories(result: Result, store: Store, matching: Matching | None = None) -> set[str]:
    """Save the story of every stored article and release the lock :func:`load_stored` took;
    return the stories that are new or grew (:func:`changed_stories`)."""
    try:
        changed = changed_stories(result, store)
        _save(result, store, matching)
    finally:
        store.unlock()
    return changed


def save_pending(result: Result) -> None:
    """Save the stories of a result found with ``save=False`` (:func:`find_stories_stored`)
    and release the store's lock: the step that marks them as reported, taken once their
    report is written."""
    store = result.store
    if store is None:
        return
    try:
        _save(result, store, result.matching)
    finally:
        result.store = None
        store.unlock()


def _save(result: Result, store: Store, matching: Matching | None) -> None:
    keys = result.corpus.keys
    now = {keys[m]: story.id for story in result.stories for m in story.members}
    with store.locked():
        _record_days(result, store)
        if matching is not None and matching.basis == store.meta().get("matched"):
            store.count_run()  # the same corpus and links: the same stories, kept as saved
        else:
            store.save_stories(now, matching)


# ---------------------------------------------------------------------------------------------
# links kept between runs


@cache
def _code_fingerprint() -> str:
    """newsdedup's own source and the versions of the libraries matching uses: a change to
    either makes the stored links stale."""
    h = hashlib.blake2b(str(MATCHER_VERSION).encode(), digest_size=16)
    root = resources.files("newsdedup")
    todo = [root]
    sources = []
    while todo:
        folder = todo.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                todo.append(entry)
            elif entry.name.endswith(".py"):
                sources.append(entry)
    for entry in sorted(sources, key=lambda e: str(e)):
        h.update(str(entry).encode("utf-8", "surrogateescape") + b"\0" + entry.read_bytes())
    for lib in _MATCH_LIBRARIES:
        try:
            h.update(f"{lib} {metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:  # pragma: no cover - installed with newsdedup
            h.update(lib.encode())
    return h.hexdigest()


def basis(corpus: Corpus, settings: Settings) -> str:
    """A fingerprint of everything a run's links depend on: the articles (key, content, path,
    in corpus order), the settings that shape matching, and the code (:func:`_code_fingerprint`).
    Two runs with the same basis find the same links."""
    h = hashlib.blake2b(_code_fingerprint().encode(), digest_size=16)
    shaping = {f.name: getattr(settings, f.name) for f in fields(settings)}
    h.update(repr(sorted((k, v) for k, v in shaping.items() if k not in _READING_ONLY)).encode())
    for key, art in zip(corpus.keys, corpus.articles, strict=True):
        h.update(b"\0".join([key, art.doc.sha256.encode(), os.fsencode(art.doc.path)]) + b"\1")
    return h.hexdigest()


#: the fields of a link that are saved: every field but its two ends (indices in one run's
#: corpus; the stored link names its ends by their keys)
_LINK_FIELDS = tuple(f.name for f in fields(Link) if f.name not in ("a", "b"))


def _link_data(link: Link) -> str:
    """A link's fields but its two ends, as a JSON object by field name (floats written
    exactly: repr round-trips)."""
    return json.dumps({name: getattr(link, name) for name in _LINK_FIELDS}, separators=(",", ":"))


def _link(a: int, b: int, data: str) -> Link:
    saved = json.loads(data)
    saved["kind"] = LinkKind(saved["kind"])
    saved["specifics"] = tuple(saved.get("specifics", ()))
    return Link(a, b, **saved)


def stored_links(
    corpus: Corpus, settings: Settings, store: Store, progress: Progress | None = None
) -> tuple[list[Link], Matching]:
    """The links of a stored corpus, and what to save for the next run: when the corpus is the
    one the stored links were computed from (same :func:`basis`), they are reused as they are
    and the matcher is not run; else every article is matched afresh, as in a batch run.

    Matching only the new articles against the rest was measured and left out: the stored
    links were computed with the term weights, stock passages and outlet boilerplate of a
    smaller corpus, and the stories drift from a batch run's (ARI 0.965 on meter-dev fed in
    date order in five steps, 0.923 on reuters-dev in five), for little time saved (verifying
    is a fifth of the matcher's time; building every article's features is the rest)."""
    from .. import levels

    fingerprint = basis(corpus, settings)
    prior = store.matching()
    keys = corpus.keys
    covered = {k: a.doc.sha256 for k, a in zip(keys, corpus.articles, strict=True)}
    if prior.basis == fingerprint:
        where = {k: i for i, k in enumerate(keys)}
        links = [_link(where[a], where[b], d) for a, b, d in prior.links]
        links.sort(key=lambda ln: (ln.a, ln.b))
        return links, Matching(fingerprint, covered, prior.links)
    links = levels.find_links(corpus.articles, settings, progress)
    saved = [(keys[ln.a], keys[ln.b], _link_data(ln)) for ln in links]
    return links, Matching(fingerprint, covered, saved)


def find_stories_stored(
    corpus: Corpus,
    settings: Settings,
    store: Store,
    progress: Progress | None = None,
    save: bool = True,
) -> Result:
    """Stories of a corpus read by :func:`load_stored`: links as :func:`stored_links` finds
    them, clustered afresh (clustering is cheap and deterministic), saved with the stories.

    With ``save=False`` nothing is saved yet and the store's lock stays held: the caller
    writes its report of ``result.changed``, then calls :func:`save_pending` (or closes the
    store, which saves nothing: the stories are reported again by the next run)."""
    from ..levels import find_links, stories_at
    from ..pipeline import Result

    try:
        if corpus.for_this_run:  # nothing was stored before and nothing outlives the run
            links, matching = find_links(corpus.articles, settings, progress), None
        else:
            links, matching = stored_links(corpus, settings, store, progress)
        if progress is not None:
            progress("cluster", 0, 0)
        result = Result(corpus, *stories_at(corpus.articles, links, settings, settings.level))
        if progress is not None and corpus.for_this_run:
            progress("cluster", len(result.stories), len(result.stories))
    except BaseException:
        store.unlock()
        raise
    if corpus.for_this_run:
        store.unlock()  # the run's own store: its stories are the result, kept nowhere else
        return result
    if save:
        result.changed = record_stories(result, store, matching)
        return result
    try:
        result.changed = changed_stories(result, store)
    except BaseException:
        store.unlock()
        raise
    result.store, result.matching = store, matching
    return result
