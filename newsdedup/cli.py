"""The command line: options → :class:`Settings` → library call → renderer. Nothing else."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from . import __version__
from .errors import NewsdedupError, UsageError
from .ingest import STDIN, display_path
from .model import Skipped
from .settings import DEFAULT_MAX_BYTES, Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DUPLICATES = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


class HelpGroup(typer.core.TyperGroup):
    """The command groups' help: no ``<bool>`` shown for a flag."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False):
                param.metavar = ""
        return params


app = typer.Typer(
    name="newsdedup",
    cls=HelpGroup,
    epilog=(
        "Examples:\n\n"
        "  newsdedup timeline corpus/\n"
        "  find corpus -name '*.txt' -print0 | newsdedup clusters -0 -f jsonl\n"
        "  newsdedup inspect - < article.txt\n\n"
        "newsdedup COMMAND --help shows each command's options."
    ),
    help=(
        "Find the same news story across outlets and print a merged, source-annotated timeline.\n\n"
        "Exit codes: 0 success; 1 runtime error or skipped inputs (the run still completes);"
        " 2 usage error; 3 duplicates found with --fail-on-duplicates; 130 interrupted (Ctrl-C)."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Fmt(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"
    html = "html"


# the formats each command offers: every one of them is real (tests parse each)
class TimelineFmt(StrEnum):
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


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


# ---------------------------------------------------------------------------------------------
# help: options in panels, no type shown for flags and paths, examples in the epilog

_PANELS = {
    "Input": ("files_from", "null", "glob", "file_type", "follow", "max_bytes",
              "dayfirst", "use_mtime", "source_from_path", "jobs", "config"),
    "Stories": ("threshold", "window", "num_perm", "seed", "shingle_size", "fail_on_duplicates"),
    "Output": ("fmt", "output", "brief", "full", "dups_only", "since", "until", "color",
               "no_color", "no_pager", "quiet", "verbose", "stats"),
    "State": ("state", "index", "index_prefix", "wait", "rebuild_state", "new_only"),
}  # fmt: skip
_PANEL_OF = {name: panel for panel, names in _PANELS.items() for name in names}
_METAVARS = {"since": "DATE", "until": "DATE", "as_of": "DATE", "older_than": "AGE",
             "max_bytes": "N", "jobs": "N", "wait": "SECONDS", "index_prefix": "P",
             "seed": "N", "window": "DAYS", "num_perm": "N", "shingle_size": "N",
             "threshold": "X"}  # fmt: skip


class HelpCommand(typer.core.TyperCommand):
    """A command whose help groups options into panels and shows a type only where it tells
    something (not ``<bool>`` for a flag, nor ``<list[str]>`` for the paths)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _tidy(param)
        order = list(_PANELS)  # panels in this order; a panel's options as declared
        self.params.sort(key=lambda p: order.index(_PANEL_OF.get(p.name or "", "Input")))

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if param.name == "help":
                _tidy(param)
                param.rich_help_panel = "Output"
        return params


def _tidy(param: Any) -> None:
    name = param.name or ""
    if isinstance(param, typer.core.TyperArgument):
        param.display_type_rich = lambda ctx: None
        param.metavar = "PATH"
    elif getattr(param, "is_flag", False):
        param.metavar = ""
    elif name in _METAVARS and param.metavar is None:
        param.metavar = _METAVARS[name]
    if name in _PANEL_OF:
        param.rich_help_panel = _PANEL_OF[name]


def _examples(*lines: str) -> str:
    return "Examples:\n\n" + "\n".join(f"  {line}" for line in lines)


# ---------------------------------------------------------------------------------------------
# options shared by every command

Paths = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files or folders (walked recursively, sorted); '-': an article on standard input.",
        show_default=False,
    ),
]
FilesFromOpt = Annotated[
    str | None,
    typer.Option(
        "--files-from",
        help="Read input paths from FILE, one a line ('-': standard input).",
        metavar="FILE",
    ),
]
NullOpt = Annotated[
    bool,
    typer.Option(
        "--null",
        "-0",
        help="Paths in --files-from end with NUL, as from find -print0 (implies --files-from - if not given).",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file of option defaults (keys are long option names). Also NEWSDEDUP_CONFIG.",
        envvar="NEWSDEDUP_CONFIG",
        is_eager=True,
        callback=lambda ctx, param, value: _load_config(ctx, value),
        metavar="FILE",
    ),
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="SQLite state: read only new or changed files, remember stories between runs.",
        metavar="PATH",
    ),
]
IndexOpt = Annotated[
    str | None,
    typer.Option(
        "--index",
        help="Keep the state in Redis instead (redis://HOST:PORT/DB), shared by several machines.",
        metavar="URL",
    ),
]
PrefixOpt = Annotated[
    str,
    typer.Option("--index-prefix", help="Prefix of the Redis keys: several corpora, one Redis."),
]
WaitOpt = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait for another run holding the state.", min=0),
]
RebuildOpt = Annotated[
    bool, typer.Option("--rebuild-state", help="Discard the state and make it afresh.")
]
NewOnlyOpt = Annotated[
    bool,
    typer.Option("--new-only", help="With --state: only stories that are new or gained articles."),
]
_FMT_HELP = "Output format."
TimelineFmtOpt = Annotated[TimelineFmt, typer.Option("--format", "-f", help=_FMT_HELP)]
ClustersFmtOpt = Annotated[ClustersFmt, typer.Option("--format", "-f", help=_FMT_HELP)]
PairsFmtOpt = Annotated[PairsFmt, typer.Option("--format", "-f", help=_FMT_HELP)]
InspectFmtOpt = Annotated[InspectFmt, typer.Option("--format", "-f", help=_FMT_HELP)]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to FILE (atomically) instead of stdout."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No messages on stderr but errors.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Diagnostics on stderr.")]
ColorOpt = Annotated[
    Color, typer.Option("--color", help="Colour on a terminal: auto, always, never.")
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="Same as --color never.")]
MaxBytesOpt = Annotated[
    int, typer.Option("--max-bytes", help="Skip files larger than this many bytes.", min=1)
]
DayfirstOpt = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Order of ambiguous numeric dates (12/07/99) when the outlet's files do not tell.",
        show_default=False,
    ),
]
MtimeOpt = Annotated[
    bool,
    typer.Option(
        "--use-mtime", help="Date undated files by their modification time (marked mtime)."
    ),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source-from-path",
        help="Regex with a named group 'outlet' applied to the path below the input folder.",
        metavar="REGEX",
    ),
]
GlobOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--glob",
        "-g",
        help="Read only files matching PAT; '!PAT' leaves files out (repeatable; folders only).",
        metavar="PAT",
    ),
]
TypeOpt = Annotated[
    FileType,
    typer.Option(
        "--type",
        "-t",
        help="Walked files to read: 'articles' (.txt, .text, .htm(l), .xhtml, .json(l), .ndjson,"
        " .warc(.gz),"
        " no extension; not hidden) or 'all'. An include --glob chooses by itself.",
    ),
]
FieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        help="Scraper exports (.json, .jsonl): read field NAME (title, text, date, url, source,"
        " author) from key KEY (repeatable).",
        metavar="NAME=KEY",
    ),
]
FollowOpt = Annotated[
    bool, typer.Option("--follow", "-L", help="Follow symbolic links (loops detected).")
]
ThresholdOpt = Annotated[
    float,
    typer.Option(
        "--threshold",
        help="Term cosine for a 'same facts' link. Lower finds more rewrites, and more false links.",
        min=0.01,
        max=1.0,
    ),
]
WindowOpt = Annotated[
    int,
    typer.Option(
        "--window",
        help="Days that dated articles of one story may span; beyond it only near-identical texts link.",
        min=0,
    ),
]
NumPermOpt = Annotated[
    int,
    typer.Option(
        "--num-perm", help="MinHash permutations: more is more exact and slower.", min=16, max=1024
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="MinHash seed (same seed, same output).")]
ShingleOpt = Annotated[
    int,
    typer.Option("--shingle-size", help="Words per shingle for reprint detection.", min=2, max=12),
]
JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        help="Processes to use (0: one per core). Output is the same for any N.",
        min=0,
    ),
]
NoPagerOpt = Annotated[
    bool,
    typer.Option("--no-pager", help="Do not page output on a terminal ($PAGER, else less -FRX)."),
]
StatsOpt = Annotated[bool, typer.Option("--stats", help="Times and counts per stage on stderr.")]
FailDupOpt = Annotated[
    bool,
    typer.Option("--fail-on-duplicates", help="Exit 3 if any story has more than one article."),
]


def _is_stdout(path: Path | None) -> bool:
    return path is None or str(path) == "-"


def _check_output(path: Path | None) -> None:
    """Before any work: the folder of ``-o FILE`` must exist and be writable (a long run must
    not end in an error about its output)."""
    if _is_stdout(path):
        return
    assert path is not None
    target = os.path.realpath(path)
    if os.path.isdir(target):
        raise NewsdedupError(f"{path}: Is a directory")
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise NewsdedupError(f"{path}: No such file or directory")
    if not os.access(folder, os.W_OK) and not os.access(target, os.W_OK):
        raise NewsdedupError(f"{path}: Permission denied")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def pager_wanted(no_pager: bool, output: Path | None) -> bool:
    """Page only results bound for a terminal (never for a pipe or a file), as git does."""
    return (
        not no_pager
        and _is_stdout(output)
        and sys.stdout.isatty()
        and os.environ.get("TERM") != "dumb"
    )


def _pager_command() -> tuple[str, dict[str, str]] | None:
    """``$PAGER`` (run by the shell, as git does), else ``less`` with ``LESS=FRX`` unless LESS
    is set: quit if one screen, keep colours, leave the text on the screen. None: no pager."""
    import shlex
    import shutil

    env = dict(os.environ)
    cmd = env.get("PAGER")
    if cmd is None:
        cmd = "less"
        env.setdefault("LESS", "FRX")
    try:
        words = shlex.split(cmd)
    except ValueError:
        return None
    if not words or words[0] == "cat" or shutil.which(words[0]) is None:
        return None
    return cmd, env


@contextlib.contextmanager
def _paged() -> Iterator[IO[str]]:
    """Write through the pager; wait for it (ignoring Ctrl-C, which is the pager's) so the
    terminal is left as it was. Quitting the pager early is a normal end."""
    import io
    import signal
    import subprocess

    found = _pager_command()
    if found is None:
        yield sys.stdout
        return
    cmd, env = found
    sys.stdout.flush()
    proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    pipe = io.TextIOWrapper(proc.stdin, encoding="utf-8", newline="")
    closed = False
    try:
        try:
            yield pipe
            pipe.close()
        except BrokenPipeError:  # the user quit the pager
            closed = True
    finally:
        with contextlib.suppress(OSError):
            pipe.close()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            proc.wait()
        finally:
            signal.signal(signal.SIGINT, old)
    if closed:
        raise PipeClosed


@contextlib.contextmanager
def _output(path: Path | None, pager: bool = False) -> Iterator[IO[str]]:
    """stdout (also for ``-``); or for a regular file a temporary file beside it, renamed over
    it when all went well (atomic: readers never see half a file) with the mode of the file it
    replaces, or for a new file 0666 less the umask; or a device or FIFO written directly.
    Errors name the user's path, never the temporary file."""
    if _is_stdout(path) and pager:
        with _paged() as out:
            yield out
        return
    if _is_stdout(path):
        try:
            yield sys.stdout
            sys.stdout.flush()
        except BrokenPipeError as exc:
            raise PipeClosed from exc
        return
    assert path is not None
    target = Path(os.path.realpath(path))  # a symlink is followed, never replaced
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise NewsdedupError(f"{path}: {exc.strerror}") from exc
    if st is not None and not stat.S_ISREG(st.st_mode):
        # a device (/dev/null, /dev/stdout) or a FIFO: write to it; renaming over it would
        # replace it with a file
        try:
            fh = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise NewsdedupError(f"{path}: {exc.strerror}") from exc
        with fh:
            yield fh
        return
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise NewsdedupError(f"{path}: {exc.strerror}") from exc
    try:
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
        os.fchmod(fd, mode)  # mkstemp makes 0600: keep the file's mode, or a new file's
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise NewsdedupError(f"{path}: {exc.strerror}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class PipeClosed(Exception):
    """stdout's reader went away (``| head``): a normal end. Not an OSError, so click's own
    EPIPE handling (exit 1) never sees it."""


class Messages:
    """stderr messages, prefixed ``newsdedup:``; quiet keeps only errors."""

    def __init__(self, quiet: bool, verbose: bool) -> None:
        self.quiet, self.verbose = quiet, verbose

    def error(self, text: str) -> None:
        print(f"newsdedup: {text}", file=sys.stderr)

    def warn(self, text: str) -> None:
        if not self.quiet:
            print(f"newsdedup: {text}", file=sys.stderr)

    def debug(self, text: str) -> None:
        if self.verbose and not self.quiet:
            print(f"newsdedup: {text}", file=sys.stderr)

    def skipped(self, skipped: list[Skipped]) -> None:
        for s in skipped:
            self.warn(f"{s.path}: skipped: {s.reason}")  # the count is in the summary line


def use_color(choice: Color, no_color: bool, stream: IO[str] = sys.stdout) -> bool:
    """Resolved once: never when asked, NO_COLOR set, TERM=dumb or not a terminal (for auto)."""
    if no_color or choice is Color.never:
        return False
    if choice is Color.always:
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


# option name → Settings field, where they differ
_RENAMED = {
    "window": "window_days",
    "follow": "follow_symlinks",
    "glob": "globs",
    "file_type": "types",
    "field": "fields",
}
_FIELDS = set(Settings.__dataclass_fields__)


def settings_from(options: dict[str, Any]) -> Settings:
    """One Settings from a command's parsed options (its ``locals()``): every command maps its
    options the same way, and options that are not settings are ignored."""
    kw: dict[str, Any] = {}
    for name, value in options.items():
        field = _RENAMED.get(name, name)
        if field in _FIELDS:
            kw[field] = tuple(value or ()) if field in ("globs", "fields") else value
            if field == "types":
                kw[field] = str(value)
    return Settings(**kw)


# ---------------------------------------------------------------------------------------------
# configuration file, input lists, progress, state


def _load_config(ctx: typer.Context, path: Path | None) -> Path | None:
    """Option defaults from a TOML file: top-level keys apply to every command that has the
    option, ``[timeline]``-style tables to that command only. Options given on the command line
    win. Unknown keys are an error naming the file."""
    if path is None or ctx.resilient_parsing:
        return path
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise typer.BadParameter(f"{path}: {exc.strerror}", ctx=ctx) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"{path}: not valid TOML: {exc}", ctx=ctx) from exc
    names = _option_names(ctx.command)
    every = {n for cmd in _all_commands() for n in _option_names(cmd)}  # keys some command knows
    defaults: dict[str, Any] = {}
    section = data.get(ctx.info_name or "", {})
    for scope, table in (("", data), (f"[{ctx.info_name}] ", section)):
        for key, value in table.items():
            if isinstance(value, dict):
                if scope or key not in {c.name for c in _all_commands()}:
                    raise typer.BadParameter(f"{path}: unknown table [{key}]", ctx=ctx)
                continue
            opt = key.replace("_", "-")
            if opt not in every or (scope and opt not in names):
                raise typer.BadParameter(f"{path}: {scope}unknown key {key!r}", ctx=ctx)
            if opt in names:
                defaults[names[opt]] = value
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return path


def _option_names(command: Any) -> dict[str, str]:
    """long option name (no dashes) → parameter name, for a click command."""
    out: dict[str, str] = {}
    for param in getattr(command, "params", []):
        for opt in [*param.opts, *getattr(param, "secondary_opts", [])]:
            if opt.startswith("--") and param.name not in ("config", "help"):
                out[opt[2:]] = param.name
    return out


def _all_commands() -> list[Any]:
    from typer.main import get_command

    group = get_command(app)
    return list(getattr(group, "commands", {}).values())


def _inputs(
    ctx: typer.Context, paths: list[str] | None, files_from: str | None, null: bool, stored: bool
) -> tuple[list[str], bytes | None]:
    """The input paths: those given, then those listed in --files-from (one a line, or NUL-ended
    with -0); and for a path ``-``, the article read from standard input. Reading from a
    terminal would hang: that is a usage error instead. A path given that does not exist is a
    usage error too (a listed one that vanished is skipped, as a file deleted while running)."""
    out = list(paths or [])
    for p in out:
        if p != STDIN and not os.path.lexists(p):
            raise UsageError(f"{display_path(p)}: No such file or directory")
    if null and files_from is None:
        files_from = "-"
    stdin: bytes | None = None
    if STDIN in out:
        if files_from == "-":
            raise UsageError(
                "standard input can hold a list of paths (--files-from -, -0) or an article"
                " (-), not both"
            )
        if sys.stdin.isatty():
            raise UsageError(
                "standard input is a terminal; pipe an article into it (newsdedup inspect - < FILE)"
            )
        stdin = sys.stdin.buffer.read()
    if files_from is not None:
        if files_from == "-":
            if sys.stdin.isatty():
                raise typer.BadParameter(
                    "standard input is a terminal; pipe a list of paths into it "
                    "(find DIR -type f -print0 | newsdedup … -0)",
                    ctx=ctx,
                    param_hint="--files-from -" if not null else "-0",
                )
            data = sys.stdin.buffer.read()
        else:
            try:
                with open(files_from, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise UsageError(f"--files-from {files_from}: {exc.strerror}") from exc
        sep = b"\0" if null else b"\n"
        for raw in data.split(sep):
            if not null:
                raw = raw.rstrip(b"\r")
            if raw:
                out.append(os.fsdecode(raw))
    if not out and not stored:
        raise typer.BadParameter(
            "no input: give PATHs, --files-from FILE (or -), or --state with a stored corpus",
            ctx=ctx,
            param_hint="PATHS",
        )
    return out, stdin


class Bar:
    """A progress bar on stderr, drawn only on a terminal and only once a run has taken long
    enough to need one; a no-op otherwise. Called as ``bar(stage, done, total)``."""

    DELAY = 0.7  # seconds before a bar appears

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled, self._clock = enabled, time.monotonic
        self._start = self._clock()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

        self.stages: dict[str, list[float]] = {}  # stage → [seconds, items] (for --stats)
        self._current = "discover"
        self._mark = self._start

    def enter(self, stage: str, items: int | None = None) -> None:
        """A new stage begins (the previous one ends); ``items`` counts what it handles."""
        now = self._clock()
        row = self.stages.setdefault(self._current, [0.0, 0])
        row[0] += now - self._mark
        self._current, self._mark = stage, now
        row = self.stages.setdefault(stage, [0.0, 0])
        if items is not None:
            row[1] = max(row[1], items)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._current:
            self.enter(stage)
        row = self.stages[stage]
        row[1] = max(row[1], total or done)
        if not self.enabled:
            return
        if self._progress is None:
            if self._clock() - self._start < self.DELAY:
                return
            self._begin()
        task = self._tasks.get(stage)
        if task is None:
            for other in self._tasks.values():  # one stage at a time: the others are done
                self._progress.update(other, visible=False)
            task = self._tasks[stage] = self._progress.add_task(stage, total=total or None)
        self._progress.update(task, completed=done)

    def _begin(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(f"{task.speed:,.0f}/s" if task.speed else "")

        console = Console(
            file=sys.stderr,
            no_color=bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb",
        )
        self._progress = Progress(
            TextColumn("newsdedup: {task.description:<7}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._progress.start()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def report(self) -> list[str]:
        """--stats: one line per stage, its items and seconds, then the total."""
        self.enter("end")
        lines = [f"{'stage':<9} {'items':>7} {'seconds':>9}"]
        for stage, (secs, items) in self.stages.items():
            if stage != "end":
                shown = f"{int(items):,}" if items else ""
                lines.append(f"{stage:<9} {shown:>7} {secs:>7.2f} s")
        lines.append(f"{'total':<9} {'':>7} {self._clock() - self._start:>7.2f} s")
        return lines


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def summary(
    articles: int,
    skipped: int,
    passed_over: int,
    stories: int | None = None,
    several: int | None = None,
    pairs: int | None = None,
) -> str:
    """The one line that ends a run: ``663 articles, 124 stories, 102 with more than one
    source, 2 skipped``; ``no stories`` when nothing matched."""
    parts = [_plural(articles, "article")]
    if stories is not None:
        if stories == 0:
            parts.append("no stories")
        else:
            parts.append(_plural(stories, "story", "stories"))
            parts.append(f"{several or 0:,} with more than one source")
    if pairs is not None:
        parts.append(_plural(pairs, "linked pair"))
    if skipped:
        parts.append(f"{skipped:,} skipped")
    if passed_over:
        parts.append(f"{passed_over:,} passed over")
    return ", ".join(parts)


def progress_wanted(quiet: bool) -> bool:
    return not quiet and os.environ.get("TERM") != "dumb" and sys.stderr.isatty()


@contextlib.contextmanager
def _state(opts: dict[str, Any], settings: Settings) -> Iterator[Any]:
    """The run's store: a local SQLite state (--state), Redis (--index), or none."""
    from .store import open_store

    store = open_store(
        opts.get("state"), opts.get("index"), settings, wait=opts.get("wait", 0.0),
        rebuild=opts.get("rebuild_state", False), prefix=opts.get("index_prefix"),
    )  # fmt: skip
    if store is None:
        yield None
        return
    with store:
        yield store


def _version(value: bool) -> None:
    if value:
        print(f"newsdedup {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Find the same news story across outlets."""


# ---------------------------------------------------------------------------------------------
# commands


@app.command(
    cls=HelpCommand,
    epilog=_examples(
        "newsdedup inspect article.txt",
        "newsdedup inspect - < article.txt",
        "newsdedup inspect -f jsonl corpus/ | jq .headline.value",
    ),
)
def inspect(
    ctx: typer.Context,
    paths: Paths = None,
    fmt: InspectFmtOpt = InspectFmt.text,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    dayfirst: DayfirstOpt = None,
    use_mtime: MtimeOpt = False,
    source_from_path: SourceOpt = None,
    follow: FollowOpt = False,
    glob: GlobOpt = None,
    file_type: TypeOpt = FileType.articles,
    field: FieldOpt = None,
    jobs: JobsOpt = 0,
    files_from: FilesFromOpt = None,
    null: NullOpt = False,
    config: ConfigOpt = None,
    no_pager: NoPagerOpt = False,
    stats: StatsOpt = False,
) -> None:
    """Show each file's normalised fields with provenance, its clean paragraphs and what was removed."""
    from .pipeline import load
    from .render import article_record, inspect_text, write_json_document, write_jsonl

    fmt = Fmt(fmt)
    _check_output(output)
    msg = Messages(quiet, verbose)
    settings = settings_from(locals())
    bar = Bar(progress_wanted(quiet))
    try:
        given, stdin = _inputs(ctx, paths, files_from, null, False)
        corpus = load(given, settings, progress=bar, stdin=stdin)
    finally:
        bar.close()
    msg.skipped(corpus.skipped)
    bar.enter("write", len(corpus.articles))
    with _output(output, pager_wanted(no_pager, output)) as out:
        if fmt is Fmt.json:
            write_json_document(
                out,
                "inspect",
                "articles",
                (article_record(a) for a in corpus.articles),
                corpus.skipped,
            )
        elif fmt is Fmt.jsonl:
            write_jsonl(out, (article_record(a) for a in corpus.articles))
        elif fmt is Fmt.text:
            for chunk in inspect_text(corpus.articles):
                out.write(chunk)
        else:
            raise UsageError(f"inspect has no --format {fmt.value}; use text, json or jsonl")
    msg.warn(summary(len(corpus.articles), len(corpus.skipped), corpus.passed_over))
    if stats:
        for line in bar.report():
            msg.error(line)
    _finish(corpus.skipped)


def _story_summary(msg: Messages, bar: Bar, stats: bool, result: Any, sizes: list[int]) -> None:
    """The summary line of a story command (``sizes``: articles of each story printed), and
    with --stats the figures per stage."""
    c = result.corpus
    several = sum(1 for n in sizes if n > 1)
    msg.warn(summary(len(c.articles), len(c.skipped), c.passed_over, len(sizes), several))
    if stats:
        for line in bar.report():
            msg.error(line)


def _finish(skipped: list[Skipped], duplicates: bool = False) -> None:
    """The exit code of a completed run: the duplicates signal (asked for with
    --fail-on-duplicates) wins over skipped inputs, which are reported on stderr either way."""
    if duplicates:
        raise typer.Exit(EXIT_DUPLICATES)
    if skipped:
        raise typer.Exit(EXIT_ERROR)


def _emit(
    out: IO[str],
    fmt: Fmt,
    command: str,
    key: str,
    records: Iterator[dict[str, Any]],
    columns: list[str],
    skipped: list[Skipped],
    text: Iterator[str] | None = None,
) -> None:
    """Write records in the chosen machine format (or the command's text rendering)."""
    from .render import write_json_document, write_jsonl, write_table

    if fmt is Fmt.json:
        write_json_document(out, command, key, records, skipped)
    elif fmt is Fmt.jsonl:
        write_jsonl(out, records)
    elif fmt in (Fmt.csv, Fmt.tsv):
        write_table(out, columns, records, "," if fmt is Fmt.csv else "\t")
    elif fmt is Fmt.text and text is not None:
        for chunk in text:
            out.write(chunk)
    else:
        raise UsageError(f"{command} has no --format {fmt.value}")


def _match_run(ctx: typer.Context, opts: dict[str, Any], msg: Messages, bar: Bar) -> Any:
    """The shared body of the story commands: inputs, state, progress, load, match."""
    from .pipeline import find_stories, load

    _check_output(opts.get("output"))
    settings = settings_from(opts)
    stored = opts.get("state") is not None or opts.get("index") is not None
    if opts.get("new_only") and not stored:
        raise typer.BadParameter(
            "needs --state PATH or --index URL", ctx=ctx, param_hint="--new-only"
        )
    paths, stdin = _inputs(ctx, opts["paths"], opts["files_from"], opts["null"], stored)
    try:
        with _state(opts, settings) as store:
            corpus = load(paths, settings, store, bar, stdin)
            msg.skipped(corpus.skipped)
            msg.debug(
                _plural(len(corpus.articles), "article")
                + (f", {len(corpus.fresh)} new or changed" if store is not None else "")
                + (f", {corpus.passed_over} passed over" if corpus.passed_over else "")
            )
            result = find_stories(corpus, settings, store, bar)
    finally:
        bar.close()
    bar.enter("cluster", len(result.stories))
    msg.debug(
        f"{_plural(len(result.links), 'link')}, {_plural(len(result.stories), 'story', 'stories')}"
    )
    if opts.get("new_only"):
        keep = result.changed or set()
        result.stories = [s for s in result.stories if s.id in keep]
        kept = {m for s in result.stories for m in s.members}
        result.links = [ln for ln in result.links if ln.a in kept and ln.b in kept]
    return result


@app.command(
    cls=HelpCommand,
    epilog=_examples(
        "newsdedup clusters corpus/",
        "find corpus -name '*.txt' -newer stamp -print0 | newsdedup clusters -0 --state s.db",
        "newsdedup clusters -f jsonl corpus/ | jq -r 'select(.story_size > 1) | .path'",
    ),
)
def clusters(
    ctx: typer.Context,
    paths: Paths = None,
    fmt: ClustersFmtOpt = ClustersFmt.tsv,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    threshold: ThresholdOpt = 0.12,
    window: WindowOpt = 1,
    num_perm: NumPermOpt = 128,
    seed: SeedOpt = 1,
    shingle_size: ShingleOpt = 5,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    dayfirst: DayfirstOpt = None,
    use_mtime: MtimeOpt = False,
    source_from_path: SourceOpt = None,
    follow: FollowOpt = False,
    glob: GlobOpt = None,
    file_type: TypeOpt = FileType.articles,
    field: FieldOpt = None,
    jobs: JobsOpt = 0,
    fail_on_duplicates: FailDupOpt = False,
    files_from: FilesFromOpt = None,
    null: NullOpt = False,
    config: ConfigOpt = None,
    no_pager: NoPagerOpt = False,
    stats: StatsOpt = False,
    state: StateOpt = None,
    wait: WaitOpt = 0.0,
    rebuild_state: RebuildOpt = False,
    new_only: NewOnlyOpt = False,
    index: IndexOpt = None,
    index_prefix: PrefixOpt = "newsdedup",
) -> None:
    """One record per article: its story id, outlet, agency, date, and its link to the story's base."""
    from .render import CLUSTER_COLUMNS, cluster_records, clusters_text

    fmt = Fmt(fmt)
    msg = Messages(quiet, verbose)
    bar = Bar(progress_wanted(quiet))
    result = _match_run(ctx, locals(), msg, bar)
    bar.enter("write", sum(len(s.members) for s in result.stories))
    with _output(output, pager_wanted(no_pager, output)) as out:
        _emit(out, fmt, "clusters", "articles", cluster_records(result), CLUSTER_COLUMNS,
              result.corpus.skipped, clusters_text(result))  # fmt: skip
    _story_summary(msg, bar, stats, result, [len(s.members) for s in result.stories])
    _finish(
        result.corpus.skipped,
        fail_on_duplicates and any(len(s.members) > 1 for s in result.stories),
    )


def _iso_date(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    from .dates import parse_date

    hit = parse_date(value, dayfirst=None)
    if hit is None or hit.iso is None:
        raise UsageError(f"{option}: not a date: {value!r} (use YYYY-MM-DD)")
    return hit.iso[:10]


@app.command(
    cls=HelpCommand,
    epilog=_examples(
        "newsdedup timeline corpus/",
        "newsdedup timeline --brief --dups-only --since 2024-04-01 corpus/",
        "newsdedup timeline -f markdown -o report.md corpus/pa corpus/sun",
        "newsdedup timeline -f html -o report.html corpus/",
        "newsdedup timeline --state s.db --new-only -q -o new.txt corpus/",
    ),
)
def timeline(
    ctx: typer.Context,
    paths: Paths = None,
    fmt: TimelineFmtOpt = TimelineFmt.text,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    color: ColorOpt = Color.auto,
    no_color: NoColorOpt = False,
    brief: Annotated[bool, typer.Option("--brief", help="One line per story.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Every passage in full, with the variants.")
    ] = False,
    dups_only: Annotated[
        bool, typer.Option("--dups-only", help="Only stories with more than one article.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Only stories on or after this date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Only stories on or before this date (YYYY-MM-DD)."),
    ] = None,
    threshold: ThresholdOpt = 0.12,
    window: WindowOpt = 1,
    num_perm: NumPermOpt = 128,
    seed: SeedOpt = 1,
    shingle_size: ShingleOpt = 5,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    dayfirst: DayfirstOpt = None,
    use_mtime: MtimeOpt = False,
    source_from_path: SourceOpt = None,
    follow: FollowOpt = False,
    glob: GlobOpt = None,
    file_type: TypeOpt = FileType.articles,
    field: FieldOpt = None,
    jobs: JobsOpt = 0,
    fail_on_duplicates: FailDupOpt = False,
    files_from: FilesFromOpt = None,
    null: NullOpt = False,
    config: ConfigOpt = None,
    no_pager: NoPagerOpt = False,
    stats: StatsOpt = False,
    state: StateOpt = None,
    wait: WaitOpt = 0.0,
    rebuild_state: RebuildOpt = False,
    new_only: NewOnlyOpt = False,
    index: IndexOpt = None,
    index_prefix: PrefixOpt = "newsdedup",
) -> None:
    """The merged, source-annotated timeline: one entry per story, in date order."""
    from .merge import timeline as build_timeline
    from .render import (
        TIMELINE_COLUMNS,
        timeline_brief,
        timeline_markdown,
        timeline_record,
        timeline_rich,
        timeline_rows,
        timeline_text,
    )  # fmt: skip

    fmt = Fmt(fmt)
    msg = Messages(quiet, verbose)
    if brief and fmt is not Fmt.text:
        raise UsageError(
            f"--brief is a text layout; with --format {fmt.value} every story is written in full"
            " (leave out --brief, or pick fields with jq)"
        )
    first, last = _iso_date(since, "--since"), _iso_date(until, "--until")
    bar = Bar(progress_wanted(quiet))
    result = _match_run(ctx, locals(), msg, bar)
    bar.enter("merge")
    entries = build_timeline(result, first, last, dups_only)
    bar.enter("write", len(entries))
    with _output(output, pager_wanted(no_pager, output)) as out:
        if fmt is Fmt.text and brief:
            for line in timeline_brief(entries):
                out.write(line)
        elif fmt is Fmt.text and _is_stdout(output) and use_color(color, no_color, sys.stdout):
            timeline_rich(entries, out, True, full)
        elif fmt is Fmt.text:
            import shutil

            tty = _is_stdout(output) and sys.stdout.isatty()
            width = min(100, shutil.get_terminal_size().columns) if tty else 100
            for chunk in timeline_text(entries, full, width, wrap_sources=tty):
                out.write(chunk)
        elif fmt is Fmt.markdown:
            for chunk in timeline_markdown(entries, full):
                out.write(chunk)
        elif fmt is Fmt.html:
            from .report import timeline_html

            corpus = result.corpus
            for chunk in timeline_html(
                entries, len(corpus.articles), corpus.skipped, corpus.passed_over, full
            ):
                out.write(chunk)
        elif fmt in (Fmt.csv, Fmt.tsv):
            from .render import write_table

            sep = "," if fmt is Fmt.csv else "\t"
            write_table(out, TIMELINE_COLUMNS, timeline_rows(entries), sep)
        else:
            _emit(out, fmt, "timeline", "stories", (timeline_record(e) for e in entries),
                  TIMELINE_COLUMNS, result.corpus.skipped)  # fmt: skip
    _story_summary(msg, bar, stats, result, [len(e.sources) for e in entries])
    _finish(
        result.corpus.skipped,
        fail_on_duplicates and any(len(s.members) > 1 for s in result.stories),
    )


@app.command(
    cls=HelpCommand,
    epilog=_examples(
        "newsdedup pairs corpus/",
        "newsdedup pairs -f csv -o pairs.csv corpus/",
    ),
)
def pairs(
    ctx: typer.Context,
    paths: Paths = None,
    fmt: PairsFmtOpt = PairsFmt.tsv,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    threshold: ThresholdOpt = 0.12,
    window: WindowOpt = 1,
    num_perm: NumPermOpt = 128,
    seed: SeedOpt = 1,
    shingle_size: ShingleOpt = 5,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    dayfirst: DayfirstOpt = None,
    source_from_path: SourceOpt = None,
    follow: FollowOpt = False,
    glob: GlobOpt = None,
    file_type: TypeOpt = FileType.articles,
    field: FieldOpt = None,
    jobs: JobsOpt = 0,
    files_from: FilesFromOpt = None,
    null: NullOpt = False,
    config: ConfigOpt = None,
    no_pager: NoPagerOpt = False,
    stats: StatsOpt = False,
    state: StateOpt = None,
    wait: WaitOpt = 0.0,
    rebuild_state: RebuildOpt = False,
    new_only: NewOnlyOpt = False,
    index: IndexOpt = None,
    index_prefix: PrefixOpt = "newsdedup",
) -> None:
    """Every linked pair of articles with the kind of link and its scores."""
    from .render import PAIR_COLUMNS, pair_records

    fmt = Fmt(fmt)
    msg = Messages(quiet, verbose)
    bar = Bar(progress_wanted(quiet))
    result = _match_run(ctx, locals(), msg, bar)
    bar.enter("write", len(result.links))
    with _output(output, pager_wanted(no_pager, output)) as out:
        _emit(out, fmt, "pairs", "pairs", pair_records(result), PAIR_COLUMNS, result.corpus.skipped)
    c = result.corpus
    msg.warn(summary(len(c.articles), len(c.skipped), c.passed_over, pairs=len(result.links)))
    if stats:
        for line in bar.report():
            msg.error(line)
    _finish(result.corpus.skipped)


# ---------------------------------------------------------------------------------------------
# index maintenance

index_app = typer.Typer(
    cls=HelpGroup,
    help="Look after a state or shared index: its figures, and pruning old articles.",
    no_args_is_help=True,
)
app.add_typer(index_app, name="index")


@index_app.command("stats", cls=HelpCommand)
def index_stats(
    state: StateOpt = None,
    index: IndexOpt = None,
    index_prefix: PrefixOpt = "newsdedup",
    num_perm: NumPermOpt = 128,
    seed: SeedOpt = 1,
    shingle_size: ShingleOpt = 5,
    fmt: Annotated[StatsFmt, typer.Option("--format", "-f", help=_FMT_HELP)] = StatsFmt.text,
) -> None:
    """Articles, stories, days covered and size of a state (--state) or index (--index)."""
    fmt = Fmt(fmt)
    if state is None and index is None:
        raise UsageError("index stats needs --state PATH or --index URL")
    with _state(locals(), settings_from(locals())) as store:
        figures = store.stats()
    if fmt is Fmt.json:
        print(
            json.dumps({"schema_version": 1, "command": "index stats", **figures}, sort_keys=True)
        )
    elif fmt is Fmt.text:
        from .render import term_safe

        for key, value in figures.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{key:<13} {term_safe(str(shown))}")
    else:
        raise UsageError(f"index stats has no --format {fmt.value}; use text or json")


@index_app.command(
    "prune",
    cls=HelpCommand,
    epilog=_examples(
        "newsdedup index prune --state s.db --older-than 90d --dry-run",
        "newsdedup index prune --index redis://db:6379/0 --older-than 1y",
    ),
)
def index_prune(
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Age to drop: 90d, 12w, 6m (months of 30 days), 1y."),
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Count the age from this date (YYYY-MM-DD), not today."),
    ] = None,
    state: StateOpt = None,
    index: IndexOpt = None,
    index_prefix: PrefixOpt = "newsdedup",
    num_perm: NumPermOpt = 128,
    seed: SeedOpt = 1,
    shingle_size: ShingleOpt = 5,
    wait: WaitOpt = 0.0,
    quiet: QuietOpt = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", "-n", help="Print what would go (day and path), change nothing."),
    ] = False,
) -> None:
    """Drop articles dated (else modified) before the cut-off; their unchanged files are not
    read again. Stories are recomputed on the next run."""
    import datetime as dt

    if state is None and index is None:
        raise UsageError("index prune needs --state PATH or --index URL")
    days = _parse_age(older_than)
    ref = dt.date.fromisoformat(_iso_date(as_of, "--as-of")) if as_of else dt.date.today()
    cutoff = (ref - dt.timedelta(days=days)).isoformat()
    msg = Messages(quiet, False)
    with _state(locals(), settings_from(locals())) as store:
        if dry_run:
            from .store import prunable

            old = prunable(store.rows().values(), cutoff)
            with _output(None) as out:
                for row in old:
                    out.write(f"{row.day or '-'}\t{display_path(os.fsdecode(row.ospath))}\n")
            msg.warn(f"would prune {_plural(len(old), 'article')} dated before {cutoff}")
            return
        n = store.prune(cutoff)
    msg.warn(f"pruned {n} article(s) dated before {cutoff}")


def _parse_age(text: str) -> int:
    import re

    m = re.fullmatch(r"\s*(\d+)\s*([dwmy]?)\s*", text.lower())
    if not m:
        raise UsageError(f"--older-than: not an age: {text!r} (use e.g. 90d, 12w, 6m, 1y)")
    return int(m.group(1)) * {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}[m.group(2)]


# ---------------------------------------------------------------------------------------------
# entry point


class Interrupted(BaseException):
    """Ctrl-C (SIGINT). Not a KeyboardInterrupt, which typer turns into a silent exit 130."""


def _on_sigint(signum: int, frame: Any) -> None:
    raise Interrupted


def main() -> None:
    """Console-script entry: library errors become one-line messages; a closed pipe is quiet;
    Ctrl-C says so and exits 130 (128 + SIGINT, as shells report it)."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if ignored (nohup, &)
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        try:
            rv = app(standalone_mode=False)
            code = rv if isinstance(rv, int) else EXIT_OK
        except typer.Exit as exc:
            code = exc.exit_code
        except NewsdedupError as exc:
            print(f"newsdedup: error: {display_path(str(exc))}", file=sys.stderr)
            code = exc.exit_code
        except (Interrupted, KeyboardInterrupt):
            print("newsdedup: interrupted", file=sys.stderr)
            code = EXIT_INTERRUPTED
        except PipeClosed:
            raise BrokenPipeError from None
        except Exception as exc:  # click's usage errors and anything unexpected
            code = _click_error(exc)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (| head): that is a normal end, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


def _click_error(exc: Exception) -> int:
    """Usage errors from the option parser: its own message, exit 2."""
    if isinstance(exc, BrokenPipeError):
        raise exc
    if isinstance(exc, typer.Abort):
        print("newsdedup: aborted", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(exc, typer.TyperException) and hasattr(exc, "show"):
        exc.show(file=sys.stderr)
        code = int(getattr(exc, "exit_code", EXIT_USAGE))
        return EXIT_USAGE if code == 2 else EXIT_ERROR
    if isinstance(exc, OSError):
        name = display_path(exc.filename) if isinstance(exc.filename, str) else ""
        print(
            f"newsdedup: error: {name + ': ' if name else ''}{exc.strerror or exc}", file=sys.stderr
        )
        return EXIT_ERROR
    raise exc
