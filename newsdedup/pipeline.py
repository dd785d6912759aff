"""The library entry points that tie the stages together (no I/O to the terminal here)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from .errors import InputError, UsageError
from .ingest import (
    STDIN,
    Found,
    PassedOver,
    discover,
    display_path,
    document_from_bytes,
    read_document,
    read_inputs,
)
from .model import Article, Skipped
from .normalise import finalise, parse
from .parallel import ordered_map
from .settings import Settings
from .web import container_kind

if TYPE_CHECKING:
    from .cluster import Story
    from .match import Link
    from .merge import Entry
    from .state import Row, Store

#: progress(stage, done, total): called as work advances (total 0 when unknown)
Progress = Callable[[str, int, int], None]

_BATCH = 256  # parsed articles committed to a state per transaction


@dataclass
class Corpus:
    """Normalised articles of one run, in discovery order, and the inputs that were skipped.

    With a state, ``keys`` holds each article's key in the store and ``fresh`` the indices of
    the articles read (new or changed) in this run."""

    articles: list[Article]
    skipped: list[Skipped] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)
    fresh: set[int] = field(default_factory=set)
    passed_over: int = 0  # walked files that are not articles by name (--type)


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def discover_all(paths: Iterable[str], settings: Settings) -> list[Found | Skipped]:
    """Every input, in discovery order (a list: the total is known before reading starts);
    files passed over by their name are left out (see :func:`discover_counted`)."""
    return discover_counted(paths, settings)[0]


def discover_counted(paths: Iterable[str], settings: Settings) -> tuple[list[Found | Skipped], int]:
    """Every input in discovery order, and how many walked files were passed over."""
    items: list[Found | Skipped] = []
    passed = 0
    for item in discover(paths, settings):
        if isinstance(item, PassedOver):
            passed += 1
        else:
            items.append(item)
    return items, passed


def load(
    paths: Iterable[str],
    settings: Settings,
    state: Store | None = None,
    progress: Progress | None = None,
    stdin: bytes | None = None,
) -> Corpus:
    """Read and normalise every file under ``paths``; bad files land in ``skipped``. A path
    ``-`` is one article whose bytes are ``stdin`` (read by the caller).

    With ``state`` (a :class:`newsdedup.state.LocalState` or another store with its methods),
    only new or changed files are read; the corpus is every file the store holds."""
    tick = progress or _quiet
    paths = list(paths)
    if state is not None and STDIN in paths:
        raise UsageError("'-' (an article on standard input) cannot be kept in a state")
    items, passed = discover_counted(paths, settings)
    if state is not None:
        corpus = _load_incremental(items, settings, state, tick)
        corpus.passed_over = passed
        return corpus
    articles: list[Article] = []
    skipped: list[Skipped] = []
    work = partial(_read_parse, settings=settings, stdin=stdin)
    for n, results in enumerate(ordered_map(work, items, settings.jobs), 1):
        for done in results:  # a container file gives many, in file order
            (skipped if isinstance(done, Skipped) else articles).append(done)  # type: ignore[arg-type]
        tick("read", n, len(items))
    return Corpus(finalise(articles, settings), skipped, passed_over=passed)


def _read_parse(
    item: Found | Skipped, settings: Settings, stdin: bytes | None = None
) -> list[Article | Skipped]:
    """One input: its parsed articles (several for a container), or why each was skipped
    (runs in a worker with --jobs). ``-`` is one article whose bytes are ``stdin``."""
    if isinstance(item, Skipped):
        return [item]
    if item.ospath == STDIN:
        try:
            return [parse(document_from_bytes(stdin or b"", STDIN, STDIN), settings)]
        except InputError as exc:
            return [Skipped(exc.path, exc.reason)]
    return [
        d if isinstance(d, Skipped) else parse(d, settings) for d in read_inputs(item, settings)
    ]


def _load_incremental(
    items: list[Found | Skipped], settings: Settings, state: Store, tick: Progress
) -> Corpus:
    from .state import Row, decode_article, encode_article, parse_key

    st_ = state
    known: dict[bytes, Row] = st_.rows()
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
        key = st_.key_for(os.fsencode(os.path.realpath(item.ospath)))
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
            if len(pending) >= _BATCH:
                st_.put(pending)
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
        new = Row(key, ospath, size, mtime_ns, doc.sha256, pk, _day(art))
        pending.append((new, art, encode_article(art)))
        fresh.add(key)
        if len(pending) >= _BATCH:
            st_.put(pending)
            pending = []
    if pending:
        st_.put(pending)
    if touched:
        st_.touch(touched)
    # files that are gone from the disk leave the store; files merely not named this run stay
    for key, row in known.items():
        where = st_.local_path(row)
        if key not in fresh and where is not None and not os.path.exists(where):
            gone.append(key)
    if gone:
        st_.remove(gone)
    keys: list[bytes] = []
    articles: list[Article] = []
    stored = list(st_.articles())
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
    """A container file with a state: each record is a row keyed by the file's key, NUL and
    its place in the file. An unchanged file (every row's size, time, parse key and path as
    now) is not read; a changed one is read whole and replaces all of its rows.

    Returns the rows to store, the records skipped, and the keys of rows to drop."""
    from .state import Row

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
        rows.append((Row(rkey, ospath, size, mtime_ns, doc.sha256, pk, _day(art)), art))
    kept = {r.key for r, _ in rows}
    return rows, bad, [k for k in mine if k not in kept]


def _day(art: Article) -> str:
    """The day an article counts as for pruning: its date; for an ambiguous numeric date
    (12/07/99, settled only later by its outlet's other files) the later of its two readings;
    else its file's modification day."""
    if art.date.value:
        return art.date.value[:10]
    if art.pending_date is not None:
        from .dates import make_iso

        first, second, year = art.pending_date[:3]
        days = [d for d in (make_iso(year, second, first), make_iso(year, first, second)) if d]
        if days:
            return max(days)[:10]
    return time.strftime("%Y-%m-%d", time.gmtime(art.doc.mtime)) if art.doc.mtime else ""


@dataclass
class Result:
    """Stories found in a corpus, with the links behind them.

    ``changed`` (with a state): ids of the stories that are new or gained articles since the
    last run."""

    corpus: Corpus
    links: list[Link]
    stories: list[Story]
    changed: set[str] | None = None

    @property
    def articles(self) -> list[Article]:
        """Every article of the run, in discovery order."""
        return self.corpus.articles

    @property
    def skipped(self) -> list[Skipped]:
        """The inputs that could not be used, each with its reason."""
        return self.corpus.skipped

    def articles_of(self, story: Story) -> list[Article]:
        """A story's articles: its base first, then by date and path."""
        return [self.corpus.articles[m] for m in story.members]

    def base_of(self, story: Story) -> Article:
        """The story's base article: the one most strongly linked to the rest."""
        return self.corpus.articles[story.base]

    def link_to_base(self, story: Story, article: Article) -> Link | None:
        """How ``article`` joined ``story``: its link to the base (or its strongest link);
        None for the base itself."""
        for m in story.members:
            if self.corpus.articles[m] is article:
                return story.relation.get(m)
        raise ValueError(f"{article.path} is not in story {story.id}")

    def timeline(
        self, since: str | None = None, until: str | None = None, dups_only: bool = False
    ) -> list[Entry]:
        """The merged timeline: one entry per story in date order (undated last); ``since``
        and ``until`` (ISO dates, inclusive) keep stories overlapping them, ``dups_only`` those
        of several articles."""
        from .merge import timeline

        return timeline(self, since, until, dups_only)

    def only_changed(self) -> Result:
        """The stories that are new or grew since the last run (with a state), and their links."""
        keep = self.changed or set()
        stories = [s for s in self.stories if s.id in keep]
        kept = {m for s in stories for m in s.members}
        links = [ln for ln in self.links if ln.a in kept and ln.b in kept]
        return replace(self, stories=stories, links=links)


def find_stories_in(
    corpus: Corpus,
    settings: Settings,
    state: Store | None = None,
    progress: Progress | None = None,
) -> Result:
    """Link and cluster the corpus' articles into stories; with ``state``, record the stories
    and say which are new or grew since the last run."""
    from .cluster import cluster
    from .match import find_links

    tick = progress or _quiet
    links = find_links(corpus.articles, settings, progress)
    tick("cluster", 0, 0)
    result = Result(corpus, links, cluster(corpus.articles, links, settings))
    if state is not None:
        result.changed = record_stories(result, state)
    return result


def record_stories(result: Result, state: Store) -> set[str]:
    """Save the story of every stored article; return the stories that are new or grew: those
    with an article new or changed in this run, or made of articles of several earlier stories."""
    before: dict[bytes, str] = state.assignments()
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
    state.save_assignments(now)
    return changed
