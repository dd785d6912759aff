"""One settings object for a run, built once (by the CLI or a library caller)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import SettingError

#: Files larger than this are skipped unless ``max_bytes`` is raised: it bounds the memory of
#: one file, and a news article (even a saved page) is well under 1 MB, so 10 MiB is no article.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

#: bounds of the sketch parameters: below 16 permutations a MinHash estimate is too coarse to
#: tell a reprint (Jaccard >= 0.8) from a rewrite, above 1024 it costs time for no gain in
#: precision; shingles of 2-12 words (below 2, single-word overlap; above 12, one edit hides a
#: sentence)
NUM_PERM_RANGE = (16, 1024)
SHINGLE_RANGE = (2, 12)
#: bounds of the "same facts" threshold: a cosine of 1 is the highest there is, and below 0.01
#: every pair sharing a common word would link
THRESHOLD_RANGE = (0.01, 1.0)

#: what a story can be, finest first (see newsdedup.levels)
LEVELS = ("copy", "event", "storyline")

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
    num_perm: int = 128  # MinHash permutations: the estimate's error ~ 1/sqrt(128) = 0.09
    seed: int = 1  # any fixed value: the same seed gives the same output
    shingle_size: int = 5  # words per shingle: an edit breaks only the 5 shingles around it
    # TF-IDF cosine (burst-weighted) needed for a "same facts" link: measured on METER and
    # reuters-2017 (README "Story options": 0.12 gives METER F1 0.94, 0.15 0.92, 0.2 0.89)
    threshold: float = 0.12
    window_days: int = 1  # one event's reports fall within a day (its morning-after papers)
    # what a story is: "copy" (text reuse), "event" (one event's reports in any form) or
    # "storyline" (an event and its reactions and next steps); copies nest in events, events in
    # storylines. "event" by default: precision first (see the README's story levels)
    level: str = "event"
    # processes for reading and sketching; 0: one per core. The library's default is 1: it does
    # not fork worker processes inside a caller's process (a notebook, a server, a test run)
    # unless asked; the command line asks for one per core (its --jobs defaults to 0)
    jobs: int = 1
    # a Dask scheduler's address (tcp://HOST:PORT), or 'local:N' for a cluster of N worker
    # processes on this machine: reading and features run on its workers (newsdedup.distributed)
    scheduler: str | None = None
    # scraper exports: 'NAME=KEY' pairs naming the record key of a field (--field)
    fields: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lo, hi = NUM_PERM_RANGE
        if not lo <= self.num_perm <= hi:
            raise SettingError("num_perm", f"must be between {lo} and {hi}")
        lo_t, hi_t = THRESHOLD_RANGE
        if not lo_t <= self.threshold <= hi_t:
            raise SettingError("threshold", f"must be between {lo_t} and {hi_t}")
        if self.level not in LEVELS:
            raise SettingError("level", f"must be one of {', '.join(LEVELS)}")
        if self.types not in ("articles", "all"):
            raise SettingError("types", "must be 'articles' or 'all'")
        if self.jobs < 0:
            raise SettingError("jobs", "must be zero (one per core) or more")
        if self.scheduler is not None:
            local, colon, count = self.scheduler.partition(":")
            if not self.scheduler.strip():
                raise SettingError("scheduler", "needs an address (tcp://HOST:PORT or local:N)")
            if local == "local" and colon and not (count.isdigit() and int(count) >= 1):
                raise SettingError("scheduler", "local:N needs N, one worker process or more")
        if self.window_days < 0:
            raise SettingError("window_days", "must be zero or more days")
        lo, hi = SHINGLE_RANGE
        if not lo <= self.shingle_size <= hi:
            raise SettingError("shingle_size", f"must be between {lo} and {hi}")
        for pat in self.globs:
            problem = glob_problem(pat)
            if problem:
                raise SettingError("globs", f"{pat!r}: {problem}")
        for pair in self.fields:
            name, eq, key = pair.partition("=")
            if not eq or not key.strip() or name.strip() not in FIELD_NAMES:
                raise SettingError(
                    "fields", f"{pair!r}: use NAME=KEY with NAME one of {', '.join(FIELD_NAMES)}"
                )
        if self.source_from_path is not None:
            try:
                rx = re.compile(self.source_from_path)
            except re.error as exc:
                raise SettingError(
                    "source_from_path", f"is a bad regular expression: {exc}"
                ) from exc
            if "outlet" not in rx.groupindex:
                raise SettingError(
                    "source_from_path", "needs a named group, e.g. '(?P<outlet>[^/]+)/'"
                )


def glob_problem(pattern: str) -> str | None:
    """What is wrong with a ``--glob`` pattern, or None. ``fnmatch`` reads a ``[`` without its
    ``]`` as a plain character, so ``'['`` would quietly match nothing: ripgrep calls it an
    error, and so do we (a cron job must not turn a typo into an empty report)."""
    pat = pattern[1:] if pattern.startswith("!") else pattern
    if not pat:
        return "an empty pattern"
    i = 0
    while i < len(pat):
        if pat[i] == "[":
            j = i + 1
            if j < len(pat) and pat[j] == "!":
                j += 1
            if j < len(pat) and pat[j] == "]":  # a ']' first in a class is the character
                j += 1
            end = pat.find("]", j)
            if end < 0:
                return "unclosed character class '[' (write '[[]' for a literal '[')"
            i = end
        i += 1
    return None
