"""The library entry points that tie the stages together (no I/O to the terminal here)."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .errors import InputError, UsageError
from .ingest import (
    STDIN,
    Found,
    PassedOver,
    discover,
    document_from_bytes,
    read_inputs,
)
from .model import Article, Skipped
from .normalise import finalise, parse
from .settings import Settings

if TYPE_CHECKING:
    from .cluster import Story
    from .match import Link
    from .merge import Entry
    from .store import Matching, Store

#: progress(stage, done, total): called as work advances (total 0 when unknown)
Progress = Callable[[str, int, int], None]


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
    #: the store the corpus was read from, whose lock is held until its stories are found;
    #: ``for_this_run``: made by :func:`load` for this run alone (no state): it keeps nothing
    store: Store | None = field(default=None, repr=False, compare=False)
    for_this_run: bool = False


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def discover_all(paths: Iterable[str], settings: Settings) -> list[Found | Skipped]:
    """Every input, in discovery order (a list: the total is known before reading starts);
    files passed over by their name are left out (see :func:`discover_counted`)."""
    return discover_counted(paths, settings)[0]


#: files found between two progress calls of discovery: often enough for a live count on a
#: slow disk, rarely enough that the calls cost nothing next to a stat per file
DISCOVER_TICK = 256


def discover_counted(
    paths: Iterable[str], settings: Settings, progress: Progress | None = None
) -> tuple[list[Found | Skipped], int]:
    """Every input in discovery order, and how many walked files were passed over;
    ``progress("discover", found, 0)`` as files are found (the total is not known)."""
    tick = progress or _quiet
    items: list[Found | Skipped] = []
    passed = 0
    for n, item in enumerate(discover(paths, settings), 1):
        if isinstance(item, PassedOver):
            passed += 1
        else:
            items.append(item)
        if n % DISCOVER_TICK == 0:
            tick("discover", len(items), 0)
    tick("discover", len(items), 0)
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

    Every run reads through a store (:mod:`newsdedup.store.incremental` plans what to read):
    without ``state``, a :class:`newsdedup.store.MemoryStore` made for this run, whose corpus is
    every input in the order found. With ``state`` (a :class:`newsdedup.store.Store`, see
    :func:`newsdedup.store.open_store`), only new or changed files are read; the corpus is every
    file the store holds. Either way the store's lock is held from reading the corpus until
    :func:`find_stories_in` has its stories (and, with a state, saves them; or the store is
    closed)."""
    tick = progress or _quiet
    paths = list(paths)
    if state is not None and STDIN in paths:
        raise UsageError("'-' (an article on standard input) cannot be kept in a state")
    items, passed = discover_counted(paths, settings, tick)
    tick("read", 0, len(items))  # reading starts now: its first results come a chunk later
    if state is not None and settings.scheduler is not None:
        raise UsageError("a Dask scheduler is not used with a state (--state, --index) yet")
    if settings.scheduler is None:
        from .store import MemoryStore
        from .store.incremental import load_stored

        own = state is None
        store = MemoryStore(settings) if state is None else state
        corpus = load_stored(items, settings, store, tick, stdin, for_this_run=own)
        corpus.passed_over, corpus.store, corpus.for_this_run = passed, store, own
        return _pass_over(corpus)
    # on a Dask cluster: read input by input, in order, by the cluster's workers
    from .distributed import read_parse

    articles: list[Article] = []
    skipped: list[Skipped] = []
    with collector_paused():  # no reference cycles among articles (see load_stored)
        for done in read_parse(items, settings, stdin, tick):  # says how far it got
            (skipped if isinstance(done, Skipped) else articles).append(done)  # type: ignore[arg-type]
        # finalising makes many small objects (paragraph keys) and no cycles either
        articles = finalise(articles, settings)
    return _pass_over(Corpus(articles, skipped, passed_over=passed))


def _pass_over(corpus: Corpus) -> Corpus:
    """Walked files that are not articles by their content join those passed over by their
    name: counted, not reported as skipped (one rule for every file that is not an article)."""
    kept = [s for s in corpus.skipped if not s.not_article]
    corpus.passed_over += len(corpus.skipped) - len(kept)
    corpus.skipped = kept
    return corpus


#: files read a batch in a worker: enough that a worker's round trips cost nothing beside the
#: reading (plain text reads in well under a millisecond a file)
READ_CHUNK = 32
#: fewer files than this are read in this process (a pool of workers costs ~50 ms to start) …
READ_MIN_FILES = 200
#: … unless they hold this many bytes: saved pages take ~20 ms each to read (trafilatura and
#: htmldate), so 4 MB of them (~20 pages) is already seconds of work to share, and 4 MB of
#: plain text reads in ~0.3 s, not much less than a pool's start and a few batches
READ_PARALLEL_BYTES = 4 << 20
#: … then read in batches of two: a few slow pages must not hold one worker while the other
#: waits (results are kept in input order whatever the batch)
READ_SMALL_CHUNK = 2


def _read_batches(items: list[Found | Skipped]) -> tuple[int, int]:
    """(batch size, least files for workers) for reading ``items``: few files of many bytes
    (saved pages) are shared out too, in small batches."""
    if len(items) >= READ_MIN_FILES:
        return READ_CHUNK, READ_MIN_FILES
    total = 0
    for item in items:
        if isinstance(item, Found) and item.ospath != STDIN:
            with contextlib.suppress(OSError):  # gone or unreadable: reading will say so
                total += os.stat(item.ospath).st_size
    if total >= READ_PARALLEL_BYTES:
        return READ_SMALL_CHUNK, 2
    return READ_CHUNK, READ_MIN_FILES


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


@dataclass
class Result:
    """Stories found in a corpus, with the links behind them.

    ``changed`` (with a state): ids of the stories that are new or gained articles since the
    last run."""

    corpus: Corpus
    links: list[Link]
    stories: list[Story]
    changed: set[str] | None = None
    #: found with ``save=False``: the store whose lock is held until the stories are saved
    #: (:func:`newsdedup.store.incremental.save_pending`), and the links to save with them
    store: Store | None = field(default=None, repr=False, compare=False)
    matching: Matching | None = field(default=None, repr=False, compare=False)

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
        self,
        since: str | None = None,
        until: str | None = None,
        dups_only: bool = False,
        progress: Progress | None = None,
    ) -> list[Entry]:
        """The merged timeline: one entry per story in date order (undated last; the stories of
        one storyline together); ``since``
        and ``until`` (ISO dates, inclusive) keep stories overlapping them, ``dups_only`` those
        of several articles. ``progress("merge", done, stories)`` as stories are merged."""
        from .merge import timeline

        return timeline(self, since, until, dups_only, progress)

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
    save: bool = True,
) -> Result:
    """Link and cluster the corpus' articles into stories; with ``state`` (the store the
    corpus was loaded from), reuse or extend the links of the last run, record the stories and
    say which are new or grew since the last run. ``save=False`` records them only when
    :func:`newsdedup.store.incremental.save_pending` is called (once their report is out)."""
    with collector_paused():
        return _find_stories(corpus, settings, state, progress, save)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a stage that makes many small objects and no
    reference cycles (articles, paragraph keys, sets, tuples, links), on again after it (if it
    was on). Each full collection walks every object alive, the whole corpus included, and
    allocations trigger them: with it paused matching reuters-dev at one job costs 8% less CPU,
    at the same peak memory (nothing there waits for the collector to be freed)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _find_stories(
    corpus: Corpus,
    settings: Settings,
    state: Store | None,
    progress: Progress | None,
    save: bool,
) -> Result:
    from .levels import find_links, stories_at

    store = state if state is not None else corpus.store
    if store is not None:
        from .store.incremental import find_stories_stored

        return find_stories_stored(corpus, settings, store, progress, save)
    # a corpus read on a Dask cluster (or made by the caller): features on the cluster's workers
    tick = progress or _quiet
    table = None
    if settings.scheduler is not None:
        from .distributed import build_features

        table = build_features(corpus.articles, settings, progress)
    links = find_links(corpus.articles, settings, progress, table)
    tick("cluster", 0, 0)
    result = Result(corpus, *stories_at(corpus.articles, links, settings, settings.level))
    tick("cluster", len(result.stories), len(result.stories))
    return result
