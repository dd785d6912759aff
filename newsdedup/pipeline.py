"""The library entry points that tie the stages together (no I/O to the terminal here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .ingest import ingest
from .model import Article, Skipped
from .normalise import normalise
from .settings import Settings

Progress = Callable[[str, int, int], None]


@dataclass
class Corpus:
    """Normalised articles of one run, in discovery order, and the inputs that were skipped."""

    articles: list[Article]
    skipped: list[Skipped] = field(default_factory=list)


def load(paths: Iterable[str], settings: Settings) -> Corpus:
    """Read and normalise every file under ``paths``; bad files land in ``skipped``."""
    docs, skipped = ingest(paths, settings)
    return Corpus(normalise(docs, settings), skipped)


@dataclass
class Result:
    """Stories found in a corpus, with the links behind them."""

    corpus: Corpus
    links: list  # list[Link]
    stories: list  # list[Story]


def find_stories(corpus: Corpus, settings: Settings) -> Result:
    """Link and cluster the corpus' articles into stories."""
    from .cluster import cluster
    from .match import find_links

    links = find_links(corpus.articles, settings)
    return Result(corpus, links, cluster(corpus.articles, links, settings))
