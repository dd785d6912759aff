"""Every option, declared once: its flag, help and default (taken from :class:`Settings`), in
groups that the commands share (sqlite-utils' ``@output_options`` style), and the one mapping
from options to :class:`Settings`.

A command declares only what is its own (``ctx``, ``paths``) and a parameter ``o: Options``;
:func:`with_options` adds the groups' parameters to its signature for typer, and calls it with
the parsed values gathered in one typed :class:`Options`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import SettingError, UsageError
from ..settings import NUM_PERM_RANGE, SHINGLE_RANGE, THRESHOLD_RANGE, Settings
from .config import load_config

_D = Settings()  # the library's defaults: the options' defaults come from here


# ---------------------------------------------------------------------------------------------
# choices


class TimelineFmt(StrEnum):  # the formats each command offers: every one is real (tests parse each)
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"
    html = "html"


class ClustersFmt(StrEnum):
    tsv = "tsv"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    text = "text"


class PairsFmt(StrEnum):
    tsv = "tsv"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"


class InspectFmt(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


class StatsFmt(StrEnum):
    text = "text"
    json = "json"


class FileType(StrEnum):
    articles = "articles"
    all = "all"


class Level(StrEnum):
    copy = "copy"
    event = "event"
    storyline = "storyline"


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


_TYPES = FileType(_D.types)
_LEVEL = Level(_D.level)

# ---------------------------------------------------------------------------------------------
# the parsed options of any command


@dataclass(frozen=True)
class Options:
    """Every command's options, parsed; an option a command does not have keeps its default."""

    # output
    fmt: str = "text"
    output: Path | None = None
    quiet: bool = False
    verbose: bool = False
    no_pager: bool = False
    stats: bool = False
    # timeline
    color: Color = Color.auto
    no_color: bool = False
    brief: bool = False
    full: bool = False
    dups_only: bool = False
    since: str | None = None
    until: str | None = None
    # input
    files_from: str | None = None
    null: bool = False
    config: Path | None = None
    max_bytes: int = _D.max_bytes
    dayfirst: bool | None = _D.dayfirst
    use_mtime: bool = _D.use_mtime
    source_from_path: str | None = _D.source_from_path
    follow: bool = _D.follow_symlinks
    glob: list[str] | None = None
    file_type: FileType = _TYPES
    field: list[str] | None = None
    jobs: int = _D.jobs  # the command line's --jobs defaults to 0 instead (see JOBS)
    scheduler: str | None = _D.scheduler
    # stories
    level: Level = _LEVEL
    threshold: float = _D.threshold
    window: int = _D.window_days
    num_perm: int = _D.num_perm
    seed: int = _D.seed
    shingle_size: int = _D.shingle_size
    fail_on_duplicates: bool = False
    # state
    state: Path | None = None
    index: str | None = None
    index_prefix: str = "newsdedup"
    wait: float = 0.0
    rebuild_state: bool = False
    new_only: bool = False
    # index prune
    older_than: str = ""
    as_of: str | None = None
    dry_run: bool = False

    @property
    def stored(self) -> bool:
        """A state or an index keeps the corpus between runs."""
        return self.state is not None or self.index is not None


_OPTION_NAMES = frozenset(f.name for f in fields(Options))

#: the option that sets each Settings field: the CLI names it in a message about the setting
FLAG_OF = {
    "max_bytes": "--max-bytes", "follow_symlinks": "--follow", "globs": "--glob",
    "types": "--type", "dayfirst": "--dayfirst", "use_mtime": "--use-mtime",
    "source_from_path": "--source-from-path", "num_perm": "--num-perm", "seed": "--seed",
    "shingle_size": "--shingle-size", "threshold": "--threshold", "window_days": "--window",
    "level": "--level", "jobs": "--jobs", "fields": "--field",
    "scheduler": "--scheduler",
}  # fmt: skip


def settings_from(options: Options | Mapping[str, Any]) -> Settings:
    """The run's :class:`Settings` from its options: the one mapping, option by option (a
    mapping of option names is read as :class:`Options`; names that are not options are left
    out). A bad value is a usage error naming the option."""
    o = options if isinstance(options, Options) else _options(options)
    try:
        return Settings(
            max_bytes=o.max_bytes,
            follow_symlinks=o.follow,
            globs=tuple(o.glob or ()),
            types=str(o.file_type),
            dayfirst=o.dayfirst,
            use_mtime=o.use_mtime,
            source_from_path=o.source_from_path,
            num_perm=o.num_perm,
            seed=o.seed,
            shingle_size=o.shingle_size,
            threshold=o.threshold,
            window_days=o.window,
            level=str(o.level),
            jobs=o.jobs,
            scheduler=o.scheduler or None,
            fields=tuple(o.field or ()),
        )
    except SettingError as exc:
        raise UsageError(f"{FLAG_OF.get(exc.setting, exc.setting)} {exc.problem}") from exc


def _options(given: Mapping[str, Any]) -> Options:
    return Options(**{k: v for k, v in given.items() if k in _OPTION_NAMES})


# ---------------------------------------------------------------------------------------------
# each option once

Paths = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files or folders (walked recursively, sorted); '-': an article on standard input.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Opt:
    """An option as typer reads it from a signature: its parameter name and annotation; its
    default is :class:`Options`' unless ``default`` says otherwise (``required``: none)."""

    name: str
    annotation: object
    required: bool = False
    default: object = inspect.Parameter.empty

    def parameter(self) -> inspect.Parameter:
        default = self.default
        if default is inspect.Parameter.empty and not self.required:
            default = getattr(Options(), self.name)
        return inspect.Parameter(
            self.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=self.annotation
        )


def _fmt(choices: type[StrEnum], default: StrEnum) -> Opt:
    # the choices in the help text, where they wrap between words ('[text|json|…]' as a
    # metavar was broken inside a word on 80 columns)
    help_ = "Output format: " + ", ".join(c.value for c in choices) + "."
    option = typer.Option("--format", "-f", help=help_, metavar="FORMAT")
    return Opt("fmt", Annotated[choices, option], default=default)


TIMELINE_FMT = _fmt(TimelineFmt, TimelineFmt.text)
CLUSTERS_FMT = _fmt(ClustersFmt, ClustersFmt.tsv)
PAIRS_FMT = _fmt(PairsFmt, PairsFmt.tsv)
INSPECT_FMT = _fmt(InspectFmt, InspectFmt.text)
STATS_FMT = _fmt(StatsFmt, StatsFmt.text)

OUTPUT = Opt("output", Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE (atomically) instead of stdout.", metavar="FILE")])  # fmt: skip
QUIET = Opt("quiet", Annotated[bool, typer.Option("--quiet", "-q", help="No messages on stderr but errors.")])  # fmt: skip
VERBOSE = Opt("verbose", Annotated[bool, typer.Option("--verbose", "-v", help="Diagnostics on stderr.")])  # fmt: skip
NO_PAGER = Opt("no_pager", Annotated[bool, typer.Option("--no-pager", help="Do not page output on a terminal ($PAGER, else less -FRX).")])  # fmt: skip
STATS = Opt("stats", Annotated[bool, typer.Option("--stats", help="Times and counts per stage on stderr.")])  # fmt: skip

COLOR = Opt("color", Annotated[Color, typer.Option("--color", help="Colour on a terminal: auto, always, never.", metavar="WHEN")])  # fmt: skip
NO_COLOR = Opt("no_color", Annotated[bool, typer.Option("--no-color", help="Same as --color never.")])  # fmt: skip
BRIEF = Opt("brief", Annotated[bool, typer.Option("--brief", help="One line per story.")])
FULL = Opt("full", Annotated[bool, typer.Option("--full", help="Every passage in full, with the variants.")])  # fmt: skip
DUPS_ONLY = Opt("dups_only", Annotated[bool, typer.Option("--dups-only", help="Only stories with more than one article.")])  # fmt: skip
SINCE = Opt("since", Annotated[str | None, typer.Option("--since", help="Only stories on or after this date (YYYY-MM-DD).")])  # fmt: skip
UNTIL = Opt("until", Annotated[str | None, typer.Option("--until", help="Only stories on or before this date (YYYY-MM-DD).")])  # fmt: skip

FILES_FROM = Opt("files_from", Annotated[str | None, typer.Option("--files-from", help="Read input paths from FILE, one a line ('-': standard input).", metavar="FILE")])  # fmt: skip
NULL = Opt("null", Annotated[bool, typer.Option("--null", "-0", help="Paths in --files-from end with NUL, as from find -print0 (implies --files-from - if not given).")])  # fmt: skip
CONFIG = Opt(
    "config",
    Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML file of option defaults (keys are long option names). Also NEWSDEDUP_CONFIG.",
            envvar="NEWSDEDUP_CONFIG",
            is_eager=True,
            callback=lambda ctx, param, value: load_config(ctx, value),
            metavar="FILE",
        ),
    ],
)
MAX_BYTES = Opt("max_bytes", Annotated[int, typer.Option("--max-bytes", help="Skip files larger than this many bytes.", min=1)])  # fmt: skip
DAYFIRST = Opt("dayfirst", Annotated[bool | None, typer.Option("--dayfirst/--monthfirst", help="Ambiguous numeric dates (12/07/99) are day first; --monthfirst: month first. Used when the outlet's files do not tell.", show_default=False)])  # fmt: skip
USE_MTIME = Opt("use_mtime", Annotated[bool, typer.Option("--use-mtime", help="Date undated files by their modification time (marked mtime).")])  # fmt: skip
SOURCE_FROM_PATH = Opt("source_from_path", Annotated[str | None, typer.Option("--source-from-path", help="Regex with a named group 'outlet' applied to the path below the input folder.", metavar="REGEX")])  # fmt: skip
FOLLOW = Opt("follow", Annotated[bool, typer.Option("--follow", "-L", help="Follow symbolic links (loops detected).")])  # fmt: skip
GLOB = Opt("glob", Annotated[list[str] | None, typer.Option("--glob", "-g", help="Read only files matching PAT; '!PAT' leaves files out (repeatable; folders only).", metavar="PAT")])  # fmt: skip
FILE_TYPE = Opt(
    "file_type",
    Annotated[
        FileType,
        typer.Option(
            "--type",
            "-t",
            help="Walked files to read: 'articles' (.txt, .text, .htm(l), .xhtml, .json(l), .ndjson,"
            " .warc(.gz), no extension; not hidden) or 'all'. An include --glob chooses by itself."
            " A walked file that is not an article (by its name, or a .json with no text field) is"
            " passed over and counted; a file named or listed is always read, and one that is not"
            " an article is skipped with its reason (exit 1).",
            metavar="KIND",
        ),
    ],
)
FIELD = Opt("field", Annotated[list[str] | None, typer.Option("--field", help="Scraper exports (.json, .jsonl): read field NAME (title, text, date, url, source, author) from key KEY (repeatable).", metavar="NAME=KEY")])  # fmt: skip
JOBS = Opt("jobs", Annotated[int, typer.Option("--jobs", "-j", help="Processes to use (0: one per core). Output is the same for any N.", min=0)], default=0)  # fmt: skip
# (--jobs 0: a command uses every core; the library's Settings.jobs is 1, see there)
SCHEDULER = Opt("scheduler", Annotated[str | None, typer.Option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS", help="Run on a Dask cluster: its scheduler (tcp://HOST:PORT), or local:N for N worker processes here. Inputs must be paths the workers can read.", metavar="ADDRESS")])  # fmt: skip

LEVEL = Opt("level", Annotated[Level, typer.Option("--level", help="What a story is: copy (reprints, re-edits, shared passages), event (one event's reports in any form) or storyline (an event with its reactions and next steps).")])  # fmt: skip
THRESHOLD = Opt("threshold", Annotated[float, typer.Option("--threshold", help="Term cosine for a 'same facts' link. Lower finds more rewrites, and more false links.", min=THRESHOLD_RANGE[0], max=THRESHOLD_RANGE[1])])  # fmt: skip
WINDOW = Opt("window", Annotated[int, typer.Option("--window", help="Days that dated articles of one story may span; beyond it only near-identical texts link.", min=0)])  # fmt: skip
NUM_PERM = Opt("num_perm", Annotated[int, typer.Option("--num-perm", help="MinHash permutations: more is more exact and slower.", min=NUM_PERM_RANGE[0], max=NUM_PERM_RANGE[1])])  # fmt: skip
SEED = Opt("seed", Annotated[int, typer.Option("--seed", help="MinHash seed (same seed, same output).")])  # fmt: skip
SHINGLE_SIZE = Opt("shingle_size", Annotated[int, typer.Option("--shingle-size", help="Words per shingle for reprint detection.", min=SHINGLE_RANGE[0], max=SHINGLE_RANGE[1])])  # fmt: skip
FAIL_ON_DUPLICATES = Opt("fail_on_duplicates", Annotated[bool, typer.Option("--fail-on-duplicates", help="Exit 3 if any story has more than one article.")])  # fmt: skip

STATE = Opt("state", Annotated[Path | None, typer.Option("--state", help="SQLite state: read only new or changed files, remember stories between runs.", metavar="PATH")])  # fmt: skip
INDEX = Opt("index", Annotated[str | None, typer.Option("--index", help="Keep the state in Redis instead (redis://HOST:PORT/DB), shared by several machines.", metavar="URL")])  # fmt: skip
INDEX_PREFIX = Opt("index_prefix", Annotated[str, typer.Option("--index-prefix", help="Prefix of the Redis keys: several corpora, one Redis.")])  # fmt: skip
WAIT = Opt("wait", Annotated[float, typer.Option("--wait", help="Seconds to wait for another run holding the state.", min=0)])  # fmt: skip
REBUILD_STATE = Opt("rebuild_state", Annotated[bool, typer.Option("--rebuild-state", help="Discard the state and make it afresh.")])  # fmt: skip
NEW_ONLY = Opt("new_only", Annotated[bool, typer.Option("--new-only", help="With --state: only stories that are new or gained articles.")])  # fmt: skip

OLDER_THAN = Opt("older_than", Annotated[str, typer.Option("--older-than", help="Age to drop: 90d, 12w, 6m (months of 30 days), 1y.")], required=True)  # fmt: skip
AS_OF = Opt("as_of", Annotated[str | None, typer.Option("--as-of", help="Count the age from this date (YYYY-MM-DD), not today.")])  # fmt: skip
DRY_RUN = Opt("dry_run", Annotated[bool, typer.Option("--dry-run", "-n", help="Print what would go (day and path), change nothing.")])  # fmt: skip

# ---------------------------------------------------------------------------------------------
# the groups the commands share

#: where results go and what is said on stderr (every reading command)
OUTPUT_OPTIONS = (OUTPUT, QUIET, VERBOSE, NO_PAGER, STATS)
#: what is read and how it is normalised (every reading command)
INPUT_OPTIONS = (MAX_BYTES, DAYFIRST, USE_MTIME, SOURCE_FROM_PATH, FOLLOW, GLOB, FILE_TYPE,
                 FIELD, JOBS, FILES_FROM, NULL, CONFIG)  # fmt: skip
#: the sketch a state or index is bound to
SKETCH_OPTIONS = (NUM_PERM, SEED, SHINGLE_SIZE)
#: how stories are found (timeline, clusters, pairs)
STORY_OPTIONS = (LEVEL, THRESHOLD, WINDOW, *SKETCH_OPTIONS, FAIL_ON_DUPLICATES)
#: where the state lives (timeline, clusters, pairs)
STATE_OPTIONS = (STATE, WAIT, REBUILD_STATE, NEW_ONLY, INDEX, INDEX_PREFIX)
#: the timeline's own
TIMELINE_OPTIONS = (COLOR, NO_COLOR, BRIEF, FULL, DUPS_ONLY, SINCE, UNTIL)
#: every command that finds stories (timeline, clusters, pairs): these, and its format
FIND_OPTIONS = (*OUTPUT_OPTIONS, *STORY_OPTIONS, *INPUT_OPTIONS, SCHEDULER, *STATE_OPTIONS)
#: a state or index to look after (index stats, index prune)
STORE_OPTIONS = (STATE, INDEX, INDEX_PREFIX, *SKETCH_OPTIONS)


def with_options(
    *groups: Opt | Sequence[Opt],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the options of ``groups``: typer sees them in its signature, and the
    command is called with its own parameters and ``o``, an :class:`Options` of the values."""
    opts = [o for g in groups for o in ((g,) if isinstance(g, Opt) else g)]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        sig = inspect.signature(command, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "o"]
        names = {p.name for p in own}

        @functools.wraps(command)
        def run(**given: Any) -> None:
            mine = {k: given.pop(k) for k in list(given) if k in names}
            command(**mine, o=Options(**given))

        run.__signature__ = sig.replace(  # type: ignore[attr-defined]
            parameters=[*own, *(o.parameter() for o in opts)]
        )
        return run

    return decorate
