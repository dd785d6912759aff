"""Where results go: stdout, a pager, or a file written atomically; and the messages on stderr
(``newsdedup:``-prefixed, ``-q`` keeps only errors) with the summary line that ends a run."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import NewsdedupError
from ..model import Skipped


def is_stdout(path: Path | None) -> bool:
    return path is None or str(path) == "-"


def check_output(path: Path | None) -> None:
    """Before any work: the folder of ``-o FILE`` must exist and be writable (a long run must
    not end in an error about its output)."""
    if path is None or is_stdout(path):
        return
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
        and is_stdout(output)
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
def output(path: Path | None, pager: bool = False) -> Iterator[IO[str]]:
    """stdout (also for ``-``); or for a regular file a temporary file beside it, renamed over
    it when all went well (atomic: readers never see half a file) with the mode of the file it
    replaces, or for a new file 0666 less the umask; or a device or FIFO written directly.
    Errors name the user's path, never the temporary file."""
    if is_stdout(path) and pager:
        with _paged() as out:
            yield out
        return
    if path is None or is_stdout(path):
        try:
            yield sys.stdout
            sys.stdout.flush()
        except BrokenPipeError as exc:
            raise PipeClosed from exc
        return
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
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())  # on the disk before it replaces the old file
        except OSError as exc:  # a full disk: the old file, if any, is left as it was
            raise NewsdedupError(f"{path}: {exc.strerror}; the file was not written") from exc
        try:
            os.replace(tmp, target)
            _sync_folder(folder)  # the rename itself on the disk: the report is durable
        except OSError as exc:
            raise NewsdedupError(f"{path}: {exc.strerror}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def use_color(choice: str, no_color: bool, stream: IO[str] = sys.stdout) -> bool:
    """Resolved once: never when asked, NO_COLOR set, TERM=dumb or not a terminal (for auto)."""
    if no_color or choice == "never":
        return False
    if choice == "always":
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def plural(n: int, one: str, many: str | None = None) -> str:
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
    article, 2 skipped``; ``no stories`` when nothing matched."""
    parts = [plural(articles, "article")]
    if stories is not None:
        if stories == 0:
            parts.append("no stories")
        else:
            parts.append(plural(stories, "story", "stories"))
            parts.append(f"{several or 0:,} with more than one article")
    if pairs is not None:
        parts.append(plural(pairs, "linked pair"))
    if skipped:
        parts.append(f"{skipped:,} skipped")
    if passed_over:
        parts.append(f"{passed_over:,} passed over")
    return ", ".join(parts)
