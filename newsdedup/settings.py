"""One settings object for a run, built once (by the CLI or a library caller)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import UsageError

#: Files larger than this are skipped unless ``max_bytes`` is raised.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

#: the article fields a scraper export's keys can be mapped to with ``--field NAME=KEY``
FIELD_NAMES = ("title", "text", "date", "url", "source", "author")


@dataclass(frozen=True)
class Settings:
    # ingestion
    max_bytes: int = DEFAULT_MAX_BYTES
    follow_symlinks: bool = False
    globs: tuple[str, ...] = ()  # ripgrep style: 'PAT' includes, '!PAT' excludes (walked files)
    types: str = "articles"  # walked files read: "articles" (by name, see ingest), or "all"
    # normalisation
    dayfirst: bool | None = None  # None: decide from evidence, else as given
    use_mtime: bool = False
    source_from_path: str | None = None  # regex with a named group 'outlet'
    # sketching / matching
    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5
    threshold: float = 0.12  # TF-IDF cosine (burst-weighted) needed for a "same facts" link
    window_days: int = 1
    jobs: int = 1  # processes for reading and sketching; 0: one per core
    # scraper exports: 'NAME=KEY' pairs naming the record key of a field (--field)
    fields: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.num_perm < 16 or self.num_perm > 1024:
            raise UsageError("--num-perm must be between 16 and 1024")
        if not 0.0 < self.threshold <= 1.0:
            raise UsageError("--threshold must be in (0, 1]")
        if self.types not in ("articles", "all"):
            raise UsageError("--type must be 'articles' or 'all'")
        if self.jobs < 0:
            raise UsageError("--jobs must be zero (one per core) or more")
        if self.window_days < 0:
            raise UsageError("--window must be zero or more days")
        if self.shingle_size < 2 or self.shingle_size > 12:
            raise UsageError("--shingle-size must be between 2 and 12")
        for pair in self.fields:
            name, eq, key = pair.partition("=")
            if not eq or not key.strip() or name.strip() not in FIELD_NAMES:
                raise UsageError(
                    f"--field {pair!r}: use NAME=KEY with NAME one of {', '.join(FIELD_NAMES)}"
                )
        if self.source_from_path is not None:
            try:
                rx = re.compile(self.source_from_path)
            except re.error as exc:
                raise UsageError(f"--source-from-path: bad regular expression: {exc}") from exc
            if "outlet" not in rx.groupindex:
                raise UsageError(
                    "--source-from-path needs a named group, e.g. '(?P<outlet>[^/]+)/'"
                )
