"""The typer application, ``--version``, and :func:`main`, the console-script entry: library
errors become one-line messages, a closed pipe is a quiet end, Ctrl-C exits 130."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from .. import __version__
from ..errors import NewsdedupError
from ..ingest import display_path
from .help import HelpGroup
from .output import PipeClosed

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DUPLICATES = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


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

index_app = typer.Typer(
    cls=HelpGroup,
    help="Look after a state or shared index: its figures, and pruning old articles.",
    no_args_is_help=True,
)
app.add_typer(index_app, name="index")


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
        except ImportError as exc:  # also re-raised here from a worker process
            print(f"newsdedup: error: {missing_library(exc)}", file=sys.stderr)
            code = EXIT_ERROR
        except Exception as exc:  # click's usage errors and anything unexpected
            code = _click_error(exc)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (| head): that is a normal end, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


def missing_library(exc: ImportError) -> str:
    """A library the run needs that is not installed, as one line: what Python said (lxml's
    own message names the project to install) and how to get every dependency."""
    said = " ".join(str(exc).split()) or f"No module named {exc.name!r}"
    return (
        f"a library newsdedup needs is missing: {said} (install newsdedup with pip, which"
        " installs its dependencies: pip install --force-reinstall newsdedup)"
    )


#: the option parser's validation phrases, said as the rest of newsdedup's messages say things
_PHRASES = (
    (re.compile(r"^Invalid value for '([^']+)'(?: / '[^']+')*: "), r"\1: "),
    (re.compile(r"Value error, "), ""),
    (re.compile(r"Input should be less than or equal to "), "must be at most "),
    (re.compile(r"Input should be greater than or equal to "), "must be at least "),
    (re.compile(r"Input should be a valid integer.*$"), "must be a whole number"),
    (re.compile(r"Input should be a valid number.*$"), "must be a number"),
    (re.compile(r"Input should be "), "must be "),
)


def usage_message(exc: Exception) -> str:
    """A usage error from the option parser as one line: what is wrong, and where the help is
    (``--format: 'xml' is not one of …; see 'newsdedup timeline --help'``)."""
    message: Callable[[], str] = getattr(exc, "format_message")  # noqa: B009 - any exception type
    text = " ".join(str(message()).split())
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    text = text.rstrip(".")
    ctx = getattr(exc, "ctx", None)
    where = getattr(ctx, "command_path", None) or "newsdedup"
    return f"{text}; see '{where} --help'"


def _click_error(exc: Exception) -> int:
    """Usage errors from the option parser: its own message, exit 2."""
    if isinstance(exc, BrokenPipeError):
        raise exc
    if isinstance(exc, typer.Abort):
        print("newsdedup: aborted", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(exc, typer.TyperException) and hasattr(exc, "format_message"):
        print(f"newsdedup: error: {usage_message(exc)}", file=sys.stderr)
        code = int(getattr(exc, "exit_code", EXIT_USAGE))
        return EXIT_USAGE if code == 2 else EXIT_ERROR
    if isinstance(exc, OSError):
        name = display_path(exc.filename) if isinstance(exc.filename, str) else ""
        print(
            f"newsdedup: error: {name + ': ' if name else ''}{exc.strerror or exc}", file=sys.stderr
        )
        return EXIT_ERROR
    raise exc
