"""newsdedup: find the same news story across outlets and print a merged, annotated timeline.

The library API (no command line needed; run from the project's folder)::

    >>> from newsdedup import LinkKind, Settings, find_stories
    >>> result = find_stories(["samples/000_a0dfa486038019e8.txt",
    ...                        "samples/002_a201a40dc613b11f.txt"], Settings())
    >>> [story] = result.stories
    >>> [a.source_name() for a in result.articles_of(story)]
    ['AFP', 'The Moscow Times']
    >>> [(str(link.kind), link.kind is LinkKind.SHARED_PASSAGES) for link in result.links]
    [('shared passages', True)]
    >>> [entry] = result.timeline(since="2024-04-01")
    >>> entry.date, [s.tag for s in entry.sources], result.skipped
    ('2024-04-09', ['A', 'B'], [])

``find_stories`` reads, normalises, links and clusters; the two steps are also there apart
(:func:`newsdedup.pipeline.load`, then :func:`newsdedup.pipeline.find_stories_in`), and the
printers of every output format in :mod:`newsdedup.render`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import InputError, NewsdedupError, NoInputError, SettingError, UsageError
from .model import Article, Document, Field, FieldSource, LinkKind, Removed, Skipped
from .pipeline import Corpus, Progress, Result, find_stories_in, load
from .render import SCHEMA_VERSION
from .settings import Settings

if TYPE_CHECKING:
    from .cluster import Story
    from .match import Link
    from .merge import Entry
    from .store import Store

__version__ = "0.1.0"

#: the defaults, as the command line's without options (but ``jobs``: see Settings)
DEFAULTS = Settings()


def find_stories(
    paths: Iterable[str],
    settings: Settings = DEFAULTS,
    *,
    store: Store | None = None,
    progress: Progress | None = None,
) -> Result:
    """Read every article under ``paths`` (files or folders), and find its stories.

    With ``store`` (an open :class:`newsdedup.store.SQLiteStore` or another store), only new or
    changed files are read, the stories cover every article the store holds, and
    ``Result.changed`` names those that are new or grew. ``progress(stage, done, total)`` is
    called as the work advances. Inputs that cannot be used are in ``Result.skipped``; a bad
    setting or path raises a :class:`NewsdedupError`."""
    corpus = load(paths, settings, store, progress)
    return find_stories_in(corpus, settings, store, progress)


__all__ = [
    "DEFAULTS",
    "SCHEMA_VERSION",
    "Article",
    "Corpus",
    "Document",
    "Entry",
    "Field",
    "FieldSource",
    "InputError",
    "Link",
    "LinkKind",
    "NewsdedupError",
    "NoInputError",
    "Progress",
    "Removed",
    "Result",
    "SettingError",
    "Settings",
    "Skipped",
    "Story",
    "UsageError",
    "__version__",
    "find_stories",
    "find_stories_in",
    "load",
]


def __getattr__(name: str) -> object:
    """``Link``, ``Story`` and ``Entry`` on first use: their modules import numpy."""
    if name == "Link":
        from .match import Link

        return Link
    if name == "Story":
        from .cluster import Story

        return Story
    if name == "Entry":
        from .merge import Entry

        return Entry
    raise AttributeError(f"module 'newsdedup' has no attribute {name!r}")
