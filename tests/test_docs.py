"""The README documents every option of every command, and nothing else (issue 14): an
option added without a line in the README's tables, or documented for a command that does not
have it, fails here."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import typer.main

from newsdedup.cli import app

from .conftest import ROOT, newsdedup_exe

COMMANDS = ("inspect", "timeline", "clusters", "pairs", "index stats", "index prune")
_SCOPE = re.compile(r"`(index stats|index prune|inspect|timeline|clusters|pairs)`")
_FLAG = re.compile(r"--[a-z][a-z0-9-]*")


def _command(name: str) -> Any:
    """The click command behind ``newsdedup NAME`` (``index stats``: a command of a group)."""
    found: Any = typer.main.get_command(app)
    for word in name.split():
        found = found.commands[word]
    return found


def options_in_help(name: str) -> set[str]:
    """The long options ``newsdedup NAME --help`` lists."""
    out: set[str] = set()
    for param in _command(name).params:
        if param.param_type_name == "option":
            out |= {o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")}
    return out - {"--help"}


def options_in_readme() -> dict[str, set[str]]:
    """Per command, the options of the README's option tables: a table is one whose first
    column names options; the commands it is for are named (in backticks) in the line before it."""
    documented: dict[str, set[str]] = {c: set() for c in COMMANDS}
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("| option |"):
            i += 1
            continue
        before = next(ln for ln in reversed(lines[:i]) if ln.strip())
        scope = set(_SCOPE.findall(before))
        assert scope, f"README line {i}: say which commands the table is for: {before!r}"
        i += 2  # the header and the |---| line
        while i < len(lines) and lines[i].startswith("|"):
            first = re.split(r"(?<!\\)\|", lines[i])[1]  # a cell may hold an escaped \|
            flags = set(_FLAG.findall(first))
            assert flags, f"README line {i + 1}: an option table's row names no option"
            for command in scope:
                documented[command] |= flags
            i += 1
    return documented


def test_every_option_in_help_is_in_the_readme_and_the_other_way_round() -> None:
    documented = options_in_readme()
    for command in COMMANDS:
        shown = options_in_help(command)
        assert shown - documented[command] == set(), f"{command}: not in the README"
        assert documented[command] - shown == set(), f"{command}: in the README, not in --help"


def test_the_story_commands_share_their_options() -> None:
    """timeline, clusters and pairs read, find stories and keep state alike (issue 14: pairs
    had drifted, lacking --use-mtime and --fail-on-duplicates)."""
    clusters, pairs = options_in_help("clusters"), options_in_help("pairs")
    assert clusters == pairs
    assert {"--use-mtime", "--fail-on-duplicates"} <= pairs
    assert options_in_help("timeline") > clusters


# ---------------------------------------------------------------------------------------------
# issue 27, item 15: the README's console examples are what the program prints

_ELIDED = "…"  # a line of only this in an example stands for any number of lines left out


def console_examples() -> list[tuple[int, str, list[str]]]:
    """The README's console examples on ``samples/``: (line number, command, the output
    shown). Examples on folders a reader has and the project does not (``corpus/``) are
    illustrations and are not run."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    out: list[tuple[int, str, list[str]]] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        i += 1
        current: tuple[int, str, list[str]] | None = None
        while i < len(lines) and lines[i].strip() != "```":
            line = lines[i]
            if line.startswith("$ "):
                if current:
                    out.append(current)
                command = line[2:].split("  #")[0].strip()  # a comment after two spaces
                current = (i + 1, command, [])
            elif current:
                current[2].append(line)
            i += 1
        if current:
            out.append(current)
        i += 1
    runnable = []
    for where, command, shown in out:
        while shown and not shown[-1].strip():
            shown.pop()
        if "samples/" in command:
            runnable.append((where, command, shown))
    return runnable


def _matches(shown: list[str], actual: list[str]) -> bool:
    """Do the lines shown appear in the actual output in order, each ``…`` line standing for
    any lines left out (and the output ending where the example ends unless it ends in ``…``)?"""
    if not shown:
        return not actual

    def match(s: int, a: int) -> bool:
        if s == len(shown):
            return a == len(actual)
        if shown[s].strip() == _ELIDED:
            return any(match(s + 1, k) for k in range(a, len(actual) + 1))
        return a < len(actual) and actual[a] == shown[s] and match(s + 1, a + 1)

    return match(0, 0)


def test_readme_console_examples_match_the_program() -> None:
    """Each console example of the README that runs on ``samples/`` is run as shown (through
    the shell, so pipes to ``head`` and ``jq`` are real) and its output compared with the
    lines shown; an example that shows newsdedup's own lines (``newsdedup: …``) is compared
    with stdout then stderr. On a change of output, run the example and paste what it prints."""
    examples = console_examples()
    assert len(examples) >= 4, "the README's console examples on samples/ were not found"
    exe_dir = str(Path(newsdedup_exe()).parent)
    env = {**os.environ, "PATH": f"{exe_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1",
           "COLUMNS": "100", "LC_ALL": "C.UTF-8"}  # fmt: skip
    env.pop("NEWSDEDUP_CONFIG", None)
    failures = []
    for where, command, shown in examples:
        r = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        actual = r.stdout.splitlines()
        if any(line.startswith("newsdedup: ") for line in shown):
            actual += r.stderr.splitlines()
        while actual and not actual[-1].strip():
            actual.pop()
        if r.returncode != 0 or not _matches(shown, actual):
            failures.append(f"README line {where}: $ {command}\n" + "\n".join(actual))
    assert not failures, "the README's examples differ from the program:\n\n" + "\n\n".join(
        failures
    )
