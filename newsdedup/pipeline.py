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
