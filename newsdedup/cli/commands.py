"""The commands. Each turns its options into library calls and hands the results to a
printer; the options are declared in :mod:`.options`, the output in :mod:`.output`."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING

import typer

from ..errors import UsageError
from ..ingest import display_path
from ..model import Skipped
from ..settings import Settings
from .app import EXIT_DUPLICATES, EXIT_ERROR, app, index_app
from .help import HelpCommand, examples
from .inputs import inputs, iso_date, parse_age
from .options import (
    AS_OF,
    CLUSTERS_FMT,
    DRY_RUN,
    FIND_OPTIONS,
    INPUT_OPTIONS,
    INSPECT_FMT,
    OLDER_THAN,
    OUTPUT_OPTIONS,
    PAIRS_FMT,
    QUIET,
    STATS_FMT,
    STORE_OPTIONS,
    TIMELINE_FMT,
    TIMELINE_OPTIONS,
    WAIT,
    Options,
    Paths,
    settings_from,
    with_options,
)
from .output import (
    Messages,
    PipeClosed,
    check_output,
    is_stdout,
    output,
    pager_wanted,
    plural,
    summary,
    use_color,
)
from .progress import Bar, progress_wanted

if TYPE_CHECKING:
    from ..merge import Entry
    from ..pipeline import Result
    from ..store import Store


# ---------------------------------------------------------------------------------------------
# what the commands share


@contextlib.contextmanager
def open_store(o: Options, settings: Settings, existing: bool = False) -> Iterator[Store | None]:
    """The run's store: a local SQLite state (--state), Redis (--index), or none; ``existing``:
    one a run made (index stats, index prune)."""
    if o.state is None and o.index is None:  # no store: its modules are not even imported
        yield None
        return
    from ..store import open_store as open_backend

    store = open_backend(
        None if o.state is None else str(o.state), o.index, settings, wait=o.wait,
        rebuild=o.rebuild_state, prefix=o.index_prefix, existing=existing,
    )  # fmt: skip
    if store is None:
        yield None
        return
    with store:
        for note in store.notes:  # shown even with -q: something happened to the store
            print(f"newsdedup: warning: {note}", file=sys.stderr)
        yield store


@contextlib.contextmanager
def find(
    ctx: typer.Context, paths: list[str] | None, o: Options, msg: Messages, bar: Bar
) -> Iterator[Result]:
    """The shared body of the story commands: inputs, state, progress, load, match, and
    ``--new-only``; the command writes its report in the ``with`` block. With ``--new-only``
    the stories are saved as reported only when the block ends without an error: after ``-o``
    is in place, or stdout written and flushed (a report that failed is made again by the
    next run, never lost)."""
    from ..pipeline import find_stories_in, load

    check_output(o.output)
    settings = settings_from(o)
    if o.new_only and not o.stored:
        raise typer.BadParameter(
            "needs --state PATH or --index URL", ctx=ctx, param_hint="--new-only"
        )
    if o.scheduler and o.stored:
        raise typer.BadParameter(
            "is not used with --state or --index yet", ctx=ctx, param_hint="--scheduler"
        )
    given, stdin = inputs(ctx, paths, o.files_from, o.null, o.stored)
    with contextlib.ExitStack() as stack:
        if settings.scheduler is not None:  # its client (and a local cluster) closed at the end
            from ..distributed import session

            stack.enter_context(session())
        store = stack.enter_context(open_store(o, settings))
        corpus = load(given, settings, store, bar, stdin)
        msg.skipped(corpus.skipped)
        msg.debug(
            plural(len(corpus.articles), "article")
            + (f", {len(corpus.fresh)} new or changed" if store is not None else "")
            + (f", {corpus.passed_over} passed over" if corpus.passed_over else "")
        )
        # the bar stays up for the merge (the command's `with bar` takes it off the screen,
        # on an error too)
        result = find_stories_in(corpus, settings, store, bar, save=not o.new_only)
        bar.enter("cluster", len(result.stories))
        msg.debug(
            f"{plural(len(result.links), 'link')}, "
            f"{plural(len(result.stories), 'story', 'stories')}"
        )
        if not o.new_only:
            yield result
            return
        yield result.only_changed()
        from ..store.incremental import save_pending

        save_pending(result)  # the report is out: its stories now count as reported


def write(
    o: Options,
    bar: Bar,
    command: str,
    key: str,
    records: Iterable[Mapping[str, object]],
    skipped: Sequence[Skipped],
    columns: Sequence[str] = (),
    text: Callable[[IO[str]], None] | None = None,
    rows: Callable[[], Iterable[Mapping[str, object]]] | None = None,
) -> None:
    """Results to their destination (-o, a pager or stdout): a machine format by its writer,
    any other by the command's ``text`` printer. The progress bar leaves the screen first.
    Quitting the pager before the end is a normal end, as in git: the run goes on to its
    summary line and exit code."""
    from ..render.writers import MACHINE_FORMATS, write_records

    bar.close()
    paged = pager_wanted(o.no_pager, o.output)
    try:
        with output(o.output, paged) as out:
            if o.fmt in MACHINE_FORMATS or text is None:
                write_records(out, o.fmt, command, key, records, skipped, columns, rows)
            else:
                text(out)
    except PipeClosed:
        if not paged:
            raise  # the reader of a pipe went away (| head): a quiet end


def _chunks(chunks: Iterable[str]) -> Callable[[IO[str]], None]:
    def write_all(out: IO[str]) -> None:
        for chunk in chunks:
            out.write(chunk)

    return write_all


def finish(
    msg: Messages,
    bar: Bar,
    o: Options,
    line: str,
    skipped: Sequence[Skipped],
    duplicates: bool = False,
) -> None:
    """The end of a run: the summary line, --stats, and the exit code. The duplicates signal
    (asked for with --fail-on-duplicates) wins over skipped inputs, which are reported on
    stderr either way."""
    msg.warn(line)
    if o.stats:
        for row in bar.report():
            msg.error(row)
    if o.fail_on_duplicates and duplicates:
        raise typer.Exit(EXIT_DUPLICATES)
    if skipped:
        raise typer.Exit(EXIT_ERROR)


def _story_line(result: Result, sizes: Iterable[int]) -> str:
    """The summary line of a story command (``sizes``: articles of each story printed)."""
    c, shown = result.corpus, list(sizes)
    several = sum(1 for n in shown if n > 1)
    return summary(len(c.articles), len(c.skipped), c.passed_over, len(shown), several)


def _has_duplicates(result: Result) -> bool:
    return any(len(s.members) > 1 for s in result.stories)


def _start(o: Options) -> tuple[Messages, Bar]:
    return Messages(o.quiet, o.verbose), Bar(progress_wanted(o.quiet))


# ---------------------------------------------------------------------------------------------
# commands


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "newsdedup inspect article.txt",
        "newsdedup inspect - < article.txt",
        "newsdedup inspect -f jsonl corpus/ | jq .headline.value",
    ),
)
@with_options(INSPECT_FMT, OUTPUT_OPTIONS, INPUT_OPTIONS)
def inspect(ctx: typer.Context, paths: Paths = None, *, o: Options) -> None:
    """Show each file's normalised fields with provenance, its clean paragraphs and what was removed."""
    from ..pipeline import load
    from ..render.records import article_record
    from ..render.text import inspect_text

    check_output(o.output)
    msg, bar = _start(o)
    settings = settings_from(o)
    with bar:
        given, stdin = inputs(ctx, paths, o.files_from, o.null, False)
        corpus = load(given, settings, progress=bar, stdin=stdin)
        msg.skipped(corpus.skipped)
        bar.enter("write", len(corpus.articles))
        records = (article_record(a) for a in corpus.articles)
        write(o, bar, "inspect", "articles", records, corpus.skipped, text=_chunks(inspect_text(corpus.articles)))  # fmt: skip
    line = summary(len(corpus.articles), len(corpus.skipped), corpus.passed_over)
    finish(msg, bar, o, line, corpus.skipped)


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "newsdedup clusters corpus/",
        "find corpus -name '*.txt' -newer stamp -print0 | newsdedup clusters -0 --state s.db",
        "newsdedup clusters -f jsonl corpus/ | jq -r 'select(.story_size > 1) | .path'",
    ),
)
@with_options(CLUSTERS_FMT, FIND_OPTIONS)
def clusters(ctx: typer.Context, paths: Paths = None, *, o: Options) -> None:
    """One record per article: its story id, outlet, agency, date, and its link to the story's base."""
    from ..render.records import CLUSTER_COLUMNS, cluster_records
    from ..render.text import clusters_text

    msg, bar = _start(o)
    with bar, find(ctx, paths, o, msg, bar) as result:
        bar.enter("write", sum(len(s.members) for s in result.stories))
        write(o, bar, "clusters", "articles", cluster_records(result), result.skipped,
              CLUSTER_COLUMNS, _chunks(clusters_text(result)))  # fmt: skip
    line = _story_line(result, (len(s.members) for s in result.stories))
    finish(msg, bar, o, line, result.skipped, _has_duplicates(result))


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "newsdedup timeline corpus/",
        "newsdedup timeline --brief --dups-only --since 2024-04-01 corpus/",
        "newsdedup timeline -f markdown -o report.md corpus/pa corpus/sun",
        "newsdedup timeline -f html -o report.html corpus/",
        "newsdedup timeline --state s.db --new-only -q -o new.txt corpus/",
    ),
)
@with_options(TIMELINE_FMT, TIMELINE_OPTIONS, FIND_OPTIONS)
def timeline(ctx: typer.Context, paths: Paths = None, *, o: Options) -> None:
    """The merged, source-annotated timeline: one entry per story, in date order (the stories
    of one storyline together)."""
    from ..render.records import TIMELINE_COLUMNS, story_record, timeline_rows

    msg, bar = _start(o)
    if o.brief and o.fmt != "text":
        raise UsageError(
            f"--brief is a text layout; with --format {o.fmt} every story is written in full"
            " (leave out --brief, or pick fields with jq)"
        )
    since, until = iso_date(o.since, "--since"), iso_date(o.until, "--until")
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}: no day is in that range")
    if o.fmt == "html" and is_stdout(o.output) and sys.stdout.isatty():
        raise UsageError(
            "an HTML report is a page for a browser, not for a terminal: write it to a file"
            " with -o report.html (or pipe it)"
        )
    with bar, find(ctx, paths, o, msg, bar) as result:
        entries = result.timeline(since, until, o.dups_only, bar)
        bar.enter("write", len(entries))
        write(o, bar, "timeline", "stories", (story_record(e) for e in entries), result.skipped,
              TIMELINE_COLUMNS, _timeline_printer(o, result, entries),
              lambda: timeline_rows(entries))  # fmt: skip
    line = _story_line(result, (len(e.sources) for e in entries))
    finish(msg, bar, o, line, result.skipped, _has_duplicates(result))


def _timeline_printer(
    o: Options, result: Result, entries: list[Entry]
) -> Callable[[IO[str]], None]:
    """The timeline's human formats: --brief, rich on a colour terminal, plain text, markdown,
    html."""
    from ..render import text

    if o.fmt == "markdown":
        return _chunks(text.timeline_markdown(entries, o.full))
    if o.fmt == "html":
        from ..render.html import timeline_html

        c = result.corpus
        return _chunks(timeline_html(entries, len(c.articles), c.skipped, c.passed_over, o.full))
    if o.brief:
        return _chunks(text.timeline_brief(entries))
    import shutil

    # one layout with or without colour: 100 columns, fewer on a narrower terminal
    tty = is_stdout(o.output) and sys.stdout.isatty()
    width = min(100, shutil.get_terminal_size().columns) if tty else 100
    color = is_stdout(o.output) and use_color(o.color, o.no_color, sys.stdout)
    return _chunks(text.timeline_text(entries, o.full, width, wrap_sources=tty, color=color))


@app.command(
    cls=HelpCommand,
    epilog=examples(
        "newsdedup pairs corpus/",
        "newsdedup pairs -f csv -o pairs.csv corpus/",
    ),
)
@with_options(PAIRS_FMT, FIND_OPTIONS)
def pairs(ctx: typer.Context, paths: Paths = None, *, o: Options) -> None:
    """Every linked pair of articles with the kind of link and its scores."""
    from ..render.records import PAIR_COLUMNS, pair_records

    msg, bar = _start(o)
    with bar, find(ctx, paths, o, msg, bar) as result:
        bar.enter("write", len(result.links))
        write(o, bar, "pairs", "pairs", pair_records(result), result.skipped, PAIR_COLUMNS)
    c = result.corpus
    line = summary(len(c.articles), len(c.skipped), c.passed_over, pairs=len(result.links))
    finish(msg, bar, o, line, result.skipped, _has_duplicates(result))


# ---------------------------------------------------------------------------------------------
# index maintenance


@index_app.command("stats", cls=HelpCommand)
@with_options(STORE_OPTIONS, STATS_FMT)
def index_stats(*, o: Options) -> None:
    """Articles, stories, days covered and size of a state (--state) or index (--index)."""
    if not o.stored:
        raise UsageError("index stats needs --state PATH or --index URL")
    with open_store(o, settings_from(o), existing=True) as store:
        assert store is not None
        figures = store.stats()
    if o.fmt == "json":
        from ..render import SCHEMA_VERSION

        doc = {"schema_version": SCHEMA_VERSION, "command": "index stats", **figures}
        print(json.dumps(doc, sort_keys=True))
    else:
        from ..render.safe import term_safe

        for key, value in figures.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{key:<13} {term_safe(str(shown))}")


@index_app.command(
    "prune",
    cls=HelpCommand,
    epilog=examples(
        "newsdedup index prune --state s.db --older-than 90d --dry-run",
        "newsdedup index prune --index redis://db:6379/0 --older-than 1y",
    ),
)
@with_options(OLDER_THAN, AS_OF, STORE_OPTIONS, WAIT, QUIET, DRY_RUN)
def index_prune(*, o: Options) -> None:
    """Drop articles dated before the cut-off, by the day the timeline gives them (an undated
    one never); their unchanged files are not read again. Stories are recomputed on the next
    run."""
    import datetime as dt

    if not o.stored:
        raise UsageError("index prune needs --state PATH or --index URL")
    days = parse_age(o.older_than)
    as_of = iso_date(o.as_of, "--as-of")
    ref = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    cutoff = (ref - dt.timedelta(days=days)).isoformat()
    msg = Messages(o.quiet, False)
    with open_store(o, settings_from(o), existing=True) as store:
        assert store is not None
        if o.dry_run:
            from ..store import prunable

            old = prunable(store.rows().values(), cutoff)
            with output(None) as out:
                for row in old:
                    out.write(f"{row.day or '-'}\t{display_path(os.fsdecode(row.ospath))}\n")
            msg.warn(f"would prune {plural(len(old), 'article')} dated before {cutoff}")
            return
        n = store.prune(cutoff)
    msg.warn(f"pruned {n} article(s) dated before {cutoff}")
