"""First contact and daily use (issue 17): what a seasoned terminal user trips over. Each test
runs the installed command through real pipes (and a pseudo-terminal where it matters)."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import SAMPLES, newsdedup_exe, run_cli

COMMANDS = ("timeline", "clusters", "pairs", "inspect")


def _offered_formats(command: str) -> list[str]:
    """The formats ``COMMAND --help`` offers (what a user sees)."""
    r = run_cli(command, "--help", env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    (line,) = [ln for ln in r.stdout.splitlines() if "--format" in ln]
    m = re.search(r"Output format: ([a-z]+(?:, [a-z]+)+)\.", line)
    assert m, line
    return m.group(1).split(", ")


def _untsv(cell: str) -> str:
    out, i = [], 0
    while i < len(cell):
        if cell[i] == "\\" and i + 1 < len(cell):
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[cell[i + 1]])
            i += 2
        else:
            out.append(cell[i])
            i += 1
    return "".join(out)


def _parse(fmt: str, text: str) -> list[list[str]] | object:
    """Parse an output as its format says; fails the test if it does not parse."""
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if fmt in ("csv", "tsv"):
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(text, newline="")))
        else:
            rows = [[_untsv(c) for c in line.split("\t")] for line in text.split("\n")[:-1]]
        assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows), fmt
        for row in rows:
            for cell in row:  # no Python repr of a list or dict in a cell
                assert not cell.startswith(("[{", "{'", "['")), (fmt, cell[:60])
        return rows
    if fmt == "html":  # a whole page that parses, with a story in it
        from html.parser import HTMLParser

        class Stories(HTMLParser):
            found = 0

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                self.found += tag == "article" and ("class", "story") in attrs

        parser = Stories()
        parser.feed(text)
        parser.close()
        assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>"), fmt
        assert parser.found > 0, fmt
        return text
    assert text.strip(), fmt
    return text


@pytest.mark.parametrize("command", COMMANDS)
def test_issue17_every_offered_format_is_real(command: str) -> None:
    inputs = [str(SAMPLES / "pa"), str(SAMPLES / "sun"), str(SAMPLES / "reuters-00032.txt"),
              str(SAMPLES / "reuters-00055.txt")]  # fmt: skip
    parsed: dict[str, object] = {}
    for fmt in _offered_formats(command):
        r = run_cli(command, "-f", fmt, *inputs)
        assert r.returncode == 0, (fmt, r.stderr)
        parsed[fmt] = _parse(fmt, r.stdout)
    if "csv" in parsed and "tsv" in parsed:  # one table, two spellings
        assert parsed["csv"] == parsed["tsv"]
    if command == "timeline":
        rows = parsed["tsv"]
        assert isinstance(rows, list)
        head = rows[0]
        for row in rows[1:]:
            cell = dict(zip(head, row, strict=True))
            assert cell["tag"] and cell["source"] and cell["path"], cell
            assert cell["passages"].isdigit()


def _run_umask(args: list[str], umask: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [newsdedup_exe(), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        check=False, preexec_fn=lambda: os.umask(umask),
    )  # fmt: skip


def test_issue17_output_file_mode_error_and_dash(tmp_path: Path) -> None:
    one = str(SAMPLES / "reuters-00001.txt")
    new = tmp_path / "report.txt"
    r = _run_umask(["clusters", "-o", str(new), one], 0o027, tmp_path)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(new.stat().st_mode) == 0o640  # 0666 less the umask, as any new file
    new.chmod(0o604)
    r = _run_umask(["clusters", "-o", str(new), one], 0o077, tmp_path)
    assert stat.S_IMODE(new.stat().st_mode) == 0o604  # an existing file keeps its mode
    # a folder that does not exist: the message names the user's path, not a temporary file
    bad = "/nonexistent/dir/x"
    r = _run_umask(["clusters", "-o", bad, one], 0o022, tmp_path)
    assert r.returncode != 0 and r.stdout == ""
    assert r.stderr == f"newsdedup: error: {bad}: No such file or directory\n"
    # '-' is standard output, not a file named '-'
    r = _run_umask(["clusters", "-o", "-", one], 0o022, tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("path\tstory")
    assert not (tmp_path / "-").exists()


def test_issue17_outlet_from_the_layout_with_listed_files_and_outlet_folders(data: Path) -> None:
    meter = data / "meter-dev"
    walked = run_cli("clusters", "-f", "jsonl", "-g", "*.txt", str(meter))
    assert walked.returncode == 0, walked.stderr
    outlet = {(r := json.loads(x))["path"]: r["outlet"] for x in walked.stdout.splitlines()}
    assert None not in outlet.values()
    find = f"find '{meter}' -name '*.txt' -print0 | sort -z | '{newsdedup_exe()}' clusters -0"
    listed = subprocess.run(["bash", "-o", "pipefail", "-c", f"{find} -f jsonl"],
                            capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    got = {(r := json.loads(x))["path"]: r["outlet"] for x in listed.stdout.splitlines()}
    assert got == outlet  # the same outlets as a run over the folder
    two = run_cli("clusters", "-f", "jsonl", str(meter / "pa"), str(meter / "sun"))
    got = {(r := json.loads(x))["path"]: r["outlet"] for x in two.stdout.splitlines()}
    assert got == {p: o for p, o in outlet.items() if "/pa/" in p or "/sun/" in p}
    listed = "\n".join(
        str(p) for p in sorted((SAMPLES / "pa").glob("*")) + sorted((SAMPLES / "sun").glob("*"))
    )
    # at the storyline level the PA story and the Sun's rewrite of it are one story
    brief = run_cli(
        "timeline", "--brief", "--level", "storyline", "--files-from", "-", stdin=listed + "\n"
    )
    assert brief.returncode == 0 and brief.stdout.count("\n") == 2, brief.stderr
    assert "samples/" not in brief.stdout and "[sun, pa]" in brief.stdout  # names, never paths


def test_issue17_missing_path_is_a_usage_error_and_dash_is_stdin(tmp_path: Path) -> None:
    r = run_cli("timeline", "/nope")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "newsdedup: error: /nope: No such file or directory\n"
    r = run_cli("clusters", str(SAMPLES / "reuters-00001.txt"), str(tmp_path / "gone.txt"))
    assert r.returncode == 2 and "gone.txt: No such file or directory" in r.stderr
    text = (SAMPLES / "reuters-00032.txt").read_text(encoding="utf-8")
    r = run_cli("inspect", "-", stdin=text)  # the article's text from standard input
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("== -\n") and "SENATORS INTRODUCE EXPORT LICENSING" in r.stdout
    r = run_cli("inspect", "-f", "jsonl", "-", stdin=text)
    assert json.loads(r.stdout)["path"] == "-"
    r = run_cli("clusters", "-f", "jsonl", "-", str(SAMPLES / "reuters-00055.txt"), stdin=text)
    assert r.returncode == 0 and len({json.loads(x)["story"] for x in r.stdout.splitlines()}) == 1
    r = run_cli("inspect", "--files-from", "-", stdin=str(SAMPLES / "reuters-00032.txt") + "\n")
    assert r.returncode == 0 and "SENATORS INTRODUCE" in r.stdout
    r = run_cli("inspect", "--files-from", "-", "-", stdin=text)
    assert r.returncode == 2 and "standard input" in r.stderr


def test_issue17_duplicates_signal_wins_over_skipped_inputs(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_bytes((SAMPLES / "reuters-00032.txt").read_bytes())
    (tmp_path / "c.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # a PNG, misnamed
    r = run_cli("clusters", "--fail-on-duplicates", str(tmp_path))
    assert r.returncode == 3, r.stderr
    assert "c.txt: skipped: binary file (PNG image)" in r.stderr  # still reported
    assert run_cli("clusters", str(tmp_path)).returncode == 1
    assert run_cli("timeline", "--fail-on-duplicates", str(tmp_path)).returncode == 3


def test_issue17_only_articles_are_read_from_folders(tmp_path: Path) -> None:
    story = (SAMPLES / "reuters-00032.txt").read_bytes()
    (tmp_path / "a.txt").write_bytes(story)
    (tmp_path / "reuters-00055").write_bytes((SAMPLES / "reuters-00055.txt").read_bytes())
    (tmp_path / "labels.tsv").write_text("path\tstory\na.txt\t1\n")
    (tmp_path / "notes.md").write_text("# Notes\n\nThe council met on Monday to discuss taxes.\n")
    (tmp_path / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (tmp_path / ".hidden").write_text("An editor's backup of the story.\n")
    r = run_cli("clusters", "-f", "jsonl", "-v", str(tmp_path))
    assert r.returncode == 0, r.stderr  # the PNG is no error: it is not an article
    paths = sorted(Path(json.loads(x)["path"]).name for x in r.stdout.splitlines())
    assert paths == ["a.txt", "reuters-00055"]
    assert "4 passed over" in r.stderr and "skipped" not in r.stderr
    r = run_cli("clusters", "-f", "jsonl", "--type", "all", str(tmp_path))
    assert r.returncode == 1 and "scan.png: skipped: binary file" in r.stderr
    assert len(r.stdout.splitlines()) == 5
    r = run_cli("clusters", "-f", "jsonl", "--glob", "*.md", str(tmp_path))
    assert [Path(json.loads(x)["path"]).name for x in r.stdout.splitlines()] == ["notes.md"]
    r = run_cli("clusters", "-f", "jsonl", str(tmp_path / "notes.md"))  # named: always read
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 1


def _on_terminal(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> tuple[int, str, str]:
    """Run with stdout on a pseudo-terminal (stderr a pipe); returns (code, terminal, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [newsdedup_exe(), *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100", **env}, cwd=SAMPLES.parent,
    )  # fmt: skip
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, "hung on a terminal"
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, seen.decode().replace("\r\n", "\n"), err


def test_issue17_pager_on_a_terminal_only_and_a_summary_line(tmp_path: Path) -> None:
    pager = {"PAGER": "sed s/^/PAGED:/"}
    code, seen, err = _on_terminal(["clusters", "samples"], pager)
    assert code == 0 and seen.startswith("PAGED:path\tstory")
    assert err == "newsdedup: 15 articles, 8 stories, 5 with more than one article, 1 passed over\n"
    code, seen, _ = _on_terminal(["clusters", "--no-pager", "samples"], pager)
    assert code == 0 and "PAGED:" not in seen and seen.startswith("path\tstory")
    piped = run_cli("clusters", "samples", env={**os.environ, **pager})
    assert "PAGED:" not in piped.stdout  # never when stdout is not a terminal
    assert piped.stderr == err  # the summary line, as on a terminal
    assert run_cli("clusters", "-q", "samples").stderr == ""
    r = run_cli("timeline", "--stats", "samples")
    assert re.search(r"newsdedup: +read +15 +\d+\.\d\d s", r.stderr), r.stderr
    assert re.search(r"newsdedup: +cluster +8 +\d+\.\d\d s", r.stderr), r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_cli("timeline", str(empty))
    assert (
        r.returncode == 0 and r.stdout == "" and r.stderr == "newsdedup: 0 articles, no stories\n"
    )
    r = run_cli("timeline", "--since", "2030-01-01", "samples")
    assert r.stdout == "" and "no stories" in r.stderr


HELP_ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def _panels(help_text: str) -> dict[str, list[str]]:
    """Rich help panels: title → the option lines in it."""
    panels: dict[str, list[str]] = {}
    current = None
    for line in help_text.splitlines():
        m = re.match(r"\s*╭─ (\w[\w ]*?) ─", line)
        if m:
            current = m.group(1)
            panels[current] = []
        elif current and re.match(r"\s*│\s+(\*\s+)?-", line):
            panels[current].append(line)
    return panels


@pytest.mark.parametrize(
    "command",
    [[], ["timeline"], ["clusters"], ["pairs"], ["inspect"], ["index"], ["index", "stats"],
     ["index", "prune"]],
)  # fmt: skip
def test_issue17_help_is_grouped_and_shows_no_python_types(command: list[str]) -> None:
    r = run_cli(*command, "--help", env=HELP_ENV)
    assert r.returncode == 0
    assert "<bool>" not in r.stdout and "<list[str]>" not in r.stdout and "<str>" not in r.stdout
    panels = _panels(r.stdout)
    assert all(len(lines) <= 16 for lines in panels.values()), {
        k: len(v) for k, v in panels.items()
    }
    if command and command[0] in ("timeline", "clusters", "pairs"):
        assert {"Input", "Stories", "Output", "State"} <= set(panels)
    if command and command[0] in ("timeline", "clusters", "pairs", "inspect"):
        assert "Examples:" in r.stdout and f"newsdedup {command[0]} " in r.stdout
        assert "[PATH]..." in r.stdout  # the usage line names the paths


def test_issue17_short_version_option() -> None:
    r = run_cli("-V")
    assert r.returncode == 0 and r.stdout == run_cli("--version").stdout


def test_issue17_on_80_columns_long_lines_wrap_under_themselves() -> None:
    for env in ({}, {"NO_COLOR": "1"}):  # rich on a colour terminal, plain text without
        code, seen, _ = _on_terminal(["timeline", "--no-pager", "samples"],
                                     {"COLUMNS": "80", **env})  # fmt: skip
        assert code == 0
        text = re.sub(r"\x1b\[[0-9;]*m", "", seen)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert len(lines) > 20
        for line in lines:
            assert len(line) <= 80, line
            # a story's first line starts with its date, a storyline's heading with '=='; every
            # other line is indented
            assert line.startswith((" ", "== storyline ")) or re.match(
                r"(\d{4}-\d\d-\d\d|undated)", line
            ), line


def test_issue17_brief_in_fixed_columns_and_not_with_json() -> None:
    r = run_cli("timeline", "--brief", "samples")
    lines = r.stdout.splitlines()
    assert len(lines) == 8
    assert len({ln.index("[") for ln in lines}) == 1  # the sources column starts in one place
    assert len({ln.index("×") for ln in lines}) == 1
    r = run_cli("timeline", "--brief", "-f", "json", "samples")
    assert r.returncode == 2 and r.stdout == "" and "--brief" in r.stderr


def test_issue17_verbose_counts_in_good_english() -> None:
    r = run_cli("clusters", "-v", str(SAMPLES / "reuters-00001.txt"))
    assert "newsdedup: 1 article\n" in r.stderr and "0 links, 1 story\n" in r.stderr
    assert r.stderr.endswith("newsdedup: 1 article, 1 story, 0 with more than one article\n")


def test_issue17_ctrl_c_says_interrupted_and_exits_130(data: Path) -> None:
    proc = subprocess.Popen(
        [newsdedup_exe(), "clusters", "--jobs", "2", str(data / "reuters-dev")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2.0)
    assert proc.poll() is None, "finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == "newsdedup: interrupted\n"


def test_issue17_prune_dry_run_and_ambiguous_dates(tmp_path: Path) -> None:
    import shutil

    folder, state = tmp_path / "news", tmp_path / "s.db"
    shutil.copytree(SAMPLES, folder)  # copied today: every file's time stamp is today
    assert run_cli("clusters", "--state", str(state), str(folder)).returncode == 0
    before = run_cli("index", "stats", "--state", str(state), "-f", "json").stdout
    args = ["index", "prune", "--older-than", "1y", "--as-of", "2001-01-01", "--state", str(state)]
    r = run_cli(*args, "--dry-run")
    assert r.returncode == 0
    went = [line.split("\t") for line in r.stdout.splitlines()]
    # PA's pages say 12/07/99 (ambiguous alone): day first, as PA's other pages settle it and
    # the timeline dates it (issue 27: prune dates articles as the timeline does)
    assert ["1999-07-12", str(folder / "pa" / "2b32148f50.txt")] in went
    assert (
        # six Reuters items of 1987, the PA story of 1999 and the three papers dated from it
        len(went) == 10 and f"would prune {len(went)} articles dated before 2000-01-02" in r.stderr
    )
    assert run_cli("index", "stats", "--state", str(state), "-f", "json").stdout == before
    r = run_cli(*args)
    assert f"pruned {len(went)} article(s)" in r.stderr
