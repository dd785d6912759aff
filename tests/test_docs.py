"""The README documents every option of every command, and nothing else (issue 14): an
option added without a line in the README's tables, or documented for a command that does not
have it, fails here."""

from __future__ import annotations

import re
from typing import Any

import typer.main

from newsdedup.cli import app

from .conftest import ROOT

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
