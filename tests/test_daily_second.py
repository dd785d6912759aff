"""Daily use, second pass (issue 27): each test is named after what a seasoned terminal user
tripped over, and runs the installed command through real pipes, or a real pseudo-terminal
where the terminal is the point (the pager, the progress bar, colour)."""

from __future__ import annotations

import ast
import fcntl
import json
import os
import pty
import random
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from .conftest import ROOT, SAMPLES, newsdedup_exe, run_cli
from .test_redis import RedisServer

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """A command on a real pseudo-terminal that is its controlling terminal (so ``less`` reads
    keys from it), ``cols`` x ``rows``; stdout and/or stderr on the terminal, the rest piped."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        cols: int = 100,
        rows: int = 24,
        stdout_tty: bool = True,
        stderr_tty: bool = False,
        stdin: int | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        base = {k: v for k, v in os.environ.items() if k not in ("PAGER", "LESS", "NO_COLOR")}
        full_env = {
            **base,
            "TERM": "xterm",
            "COLUMNS": str(cols),
            "LINES": str(rows),
            **(env or {}),
        }

        def controlling() -> None:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            [newsdedup_exe(), *args], cwd=cwd, env=full_env,
            stdin=stdin if stdin is not None else slave,
            stdout=slave if stdout_tty else subprocess.PIPE,
            stderr=slave if stderr_tty else subprocess.PIPE,
            preexec_fn=controlling,
        )  # fmt: skip
        os.close(slave)
        self.seen = b""

    def read_until(self, done: Callable[[bytes], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.seen):
            assert time.monotonic() < deadline, self.seen[-2000:]
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the other side is closed (EIO): the process ended
                    return
                if not chunk:
                    return
                self.seen += chunk
            elif self.proc.poll() is not None:
                return

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        """Wait for the end: (exit code, what the terminal showed, the piped stream)."""
        self.read_until(lambda _: False, timeout)
        piped = self.proc.stderr if self.proc.stderr is not None else self.proc.stdout
        rest = piped.read().decode() if piped is not None else ""
        code = self.proc.wait(timeout=30)
        os.close(self.master)
        return code, self.seen.decode(errors="replace").replace("\r\n", "\n"), rest


# ---------------------------------------------------------------------------------------------
# 1. what the code imports is declared; a missing library is one line


def _imported_modules() -> set[str]:
    """Top-level modules that newsdedup's code imports (not its own, not the standard library)."""
    found: set[str] = set()
    for path in (ROOT / "newsdedup").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "newsdedup"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_installing_declares_every_library_the_code_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_norm(re.split(r"[<>=!~ \[;]", d)[0]) for d in project["dependencies"]}
    optional = {
        _norm(re.split(r"[<>=!~ \[;]", d)[0])
        for extra, deps in project["optional-dependencies"].items()
        if extra != "test"
        for d in deps
    }
    dists = metadata.packages_distributions()
    for module in sorted(_imported_modules()):
        names = {_norm(d) for d in dists.get(module, [])}
        assert names, f"{module}: imported, but no installed distribution provides it"
        assert names & (declared | optional), f"{module} ({names}) is not in pyproject.toml"
    # trafilatura's extractor imports lxml.html.clean, a project of its own since lxml 5.2,
    # which trafilatura does not declare: a plain `pip install .` must still bring it
    assert "lxml-html-clean" in declared


def _pages(folder: Path, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"p{i:03d}.html").write_text(
            f"<!doctype html><html><head><title>Fire {i}</title></head><body><article>"
            f"<h1>Fire {i}</h1><p>A fire broke out at the timber yard {i} on Monday night, "
            "firefighters said, and forty people left their homes.</p></article></body></html>",
            encoding="utf-8",
        )


def test_a_missing_library_is_one_clear_line_also_from_worker_processes(tmp_path: Path) -> None:
    # lxml_html_clean made unimportable, as in an environment where pip left it out; the
    # blocker is a sitecustomize on PYTHONPATH, so forked workers have it too
    block = tmp_path / "block"
    block.mkdir()
    (block / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'lxml_html_clean':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Block())\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(block)}
    _pages(tmp_path / "pages", 240)  # over 200 files: read by worker processes with -j2
    for args in (["-j2", str(tmp_path / "pages")], ["-j1", str(tmp_path / "pages" / "p000.html")]):
        r = run_cli("clusters", *args, env=env)
        assert r.returncode == 1 and r.stdout == ""
        assert "Traceback" not in r.stderr
        (line,) = r.stderr.splitlines()
        assert line.startswith("newsdedup: error: a library newsdedup needs is missing: ")
        assert "lxml_html_clean" in line


# ---------------------------------------------------------------------------------------------
# 2. random bytes are binary; Western single-byte text is text


def test_random_bytes_are_rejected_as_binary(tmp_path: Path, data: Path) -> None:
    rng = random.Random(27)
    bins = tmp_path / "bins"
    bins.mkdir()
    for i in range(15):
        (bins / f"noext{i}").write_bytes(rng.randbytes(3000))
    (bins / "short").write_bytes(rng.randbytes(200))
    r = run_cli("clusters", "-f", "json", str(bins))
    doc = json.loads(r.stdout)
    assert doc["articles"] == []
    assert len(doc["skipped"]) == 16
    assert all(s["reason"].startswith("binary file") for s in doc["skipped"]), doc["skipped"]
    # real Western text that is not UTF-8 stays text: METER's cp1252/latin-1 newspaper files,
    # a cp1252 line with curly quotes and a euro sign, and UTF-8 with a stray cp1252 byte
    text = tmp_path / "text"
    text.mkdir()
    (text / "cp1252.txt").write_bytes(
        "The minister said \u201cno comment\u201d about the \u20ac5m caf\u00e9 deal on "
        "Tuesday.\n".encode("cp1252")
    )
    (text / "mixed.txt").write_bytes(
        "Le caf\u00e9 a ferm\u00e9 ses portes mardi \u2014 ".encode() + b"d\xe9j\xe0 vu.\n"
    )
    r = run_cli("inspect", "-f", "jsonl", str(text), str(data / "meter-dev" / "sun"))
    assert r.returncode == 0, r.stderr
    encodings = [json.loads(x)["encoding"]["name"] for x in r.stdout.splitlines()]
    assert len(encodings) == 2 + len(list((data / "meter-dev" / "sun").iterdir()))
    assert encodings.count("cp1252") >= 20  # METER's latin-1 newspapers, read as Western text


# ---------------------------------------------------------------------------------------------
# 3. quitting the pager


def test_quitting_pager_exits_0() -> None:
    """`q` in less before the end: exit 0 and the summary line, as git does."""
    term = Terminal(["timeline", "samples"], rows=20)  # $PAGER unset: less with LESS=FRX
    term.read_until(lambda seen: seen.count(b"\n") >= 15)  # the first screen is drawn
    time.sleep(0.3)
    assert term.proc.poll() is None, "less should be waiting for a key"
    term.type(b"q")
    code, _, err = term.finish()
    assert code == 0, err
    assert err == run_cli("timeline", "samples").stderr  # the summary line, as in a pipe
    assert re.fullmatch(r"newsdedup: 15 articles, \d+ stories, .*, 1 passed over\n", err)
    # read to the end, then q: the same
    term = Terminal(["timeline", "samples"], rows=20)
    term.read_until(lambda seen: seen.count(b"\n") >= 15)
    term.type(b"G")
    time.sleep(0.3)
    term.type(b"q")
    code, _, err2 = term.finish()
    assert code == 0 and err2 == err


# ---------------------------------------------------------------------------------------------
# 4. index stats / prune on a state that does not exist


def test_index_commands_refuse_a_state_that_does_not_exist(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    for args in (["stats"], ["prune", "--older-than", "90d"]):
        r = run_cli("index", *args, "--state", str(typo))
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.startswith(f"newsdedup: error: {typo}: No such file or directory")
        assert list(tmp_path.iterdir()) == []  # no state, no lock file made
    # a Redis index under a prefix that holds none: the same, and nothing written to Redis
    server = RedisServer(tmp_path)
    try:
        for args in (["stats"], ["prune", "--older-than", "90d"]):
            r = run_cli("index", *args, "--index", server.url, "--index-prefix", "typo")
            assert r.returncode == 2 and r.stdout == ""
            assert r.stderr == (
                f"newsdedup: error: {server.url}: no index under the prefix 'typo' (a run with"
                " --index makes one)\n"
            )
        import redis

        assert redis.Redis.from_url(server.url).keys("*") == []
        one = str(SAMPLES / "reuters-00001.txt")
        assert (
            run_cli("clusters", "--index", server.url, "--index-prefix", "ok", one).returncode == 0
        )
        r = run_cli("index", "stats", "--index", server.url, "--index-prefix", "ok", "-f", "json")
        assert r.returncode == 0 and json.loads(r.stdout)["articles"] == 1
    finally:
        server.kill()


# ---------------------------------------------------------------------------------------------
# 5. prune and stats date articles as the timeline does


def test_prune_and_stats_date_articles_as_the_timeline_does(tmp_path: Path) -> None:
    folder, state = tmp_path / "news", tmp_path / "s.db"
    shutil.copytree(SAMPLES, folder)  # copied today: every file's time stamp is today
    r = run_cli("timeline", "-f", "json", "--state", str(state), str(folder))
    assert r.returncode == 0, r.stderr
    day_of: dict[str, str | None] = {}
    for story in json.loads(r.stdout)["stories"]:
        for src in story["sources"]:
            value = src["date"]["value"]
            day_of[src["path"]] = value[:10] if value else None
    dated = sorted((d, p) for p, d in day_of.items() if d)
    undated = [p for p, d in day_of.items() if d is None]
    # every dated article would go with a cut-off after all of them, by the timeline's day
    r = run_cli("index", "prune", "--state", str(state), "--older-than", "0d", "--as-of",
                "2100-01-01", "--dry-run")  # fmt: skip
    assert r.returncode == 0, r.stderr
    listed = sorted(tuple(line.split("\t")) for line in r.stdout.splitlines())
    assert listed == dated
    # the PA copy's slug says 12/07/99, which its outlet's other files settle as day first
    assert ("1999-07-12", str(folder / "pa" / "2b32148f50.txt")) in listed
    # a newspaper article dated by inference ("yesterday") counts by that day, not as undated
    assert ("1999-07-13", str(folder / "star" / "71afe252b4.txt")) in listed
    stats = json.loads(run_cli("index", "stats", "--state", str(state), "-f", "json").stdout)
    assert stats["first_day"] == dated[0][0] and stats["last_day"] == dated[-1][0]
    assert stats["last_day"] < "2025-01-01"  # never the files' time stamps (today)
    assert stats["undated"] == len(undated)
    # a cut-off between the days prunes exactly the articles the timeline dates before it
    r = run_cli("index", "prune", "--state", str(state), "--older-than", "0d", "--as-of",
                "2000-01-01")  # fmt: skip
    assert r.returncode == 0
    gone = sum(1 for d, _ in dated if d < "2000-01-01")
    assert f"pruned {gone} article(s)" in r.stderr
    after = json.loads(run_cli("index", "stats", "--state", str(state), "-f", "json").stdout)
    assert after["pruned"] == gone and after["articles"] == len(day_of) - gone


# ---------------------------------------------------------------------------------------------
# 6. an invalid glob, a reversed range


def test_invalid_glob_and_reversed_range_are_usage_errors() -> None:
    r = run_cli("timeline", "--glob", "[", "samples")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("newsdedup: error: --glob '[': unclosed character class")
    r = run_cli("timeline", "--since", "2000-01-01", "--until", "1999-01-01", "samples")
    assert r.returncode == 2 and r.stdout == ""
    assert "--since 2000-01-01 is after --until 1999-01-01" in r.stderr
    # well-formed classes still work, a literal '[' as '[[]'
    r = run_cli("clusters", "-f", "jsonl", "-g", "reuters-0000[0-9].txt", "-g", "!*[[]*", "samples")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# 7. one rule for files that are not articles


def test_files_that_are_not_articles_follow_one_rule(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    tmp_path = tmp_path / "news"
    tmp_path.mkdir()
    (tmp_path / "a.txt").write_bytes((SAMPLES / "reuters-00032.txt").read_bytes())
    (tmp_path / "meta.json").write_text('{"version": 3, "outlets": ["pa", "sun"]}\n')
    (tmp_path / "numbers.json").write_text("[1, 2, 3]\n")
    (tmp_path / "labels.tsv").write_text("path\tstory\na.txt\t1\n")
    for _ in range(2):  # every nightly run alike
        r = run_cli("clusters", "-f", "jsonl", str(tmp_path))
        assert r.returncode == 0, r.stderr  # walked, not articles: passed over, not an error
        assert len(r.stdout.splitlines()) == 1
        assert r.stderr.endswith(", 3 passed over\n") and "skipped" not in r.stderr
    r = run_cli("clusters", "-f", "jsonl", "--state", str(state), str(tmp_path))
    assert r.returncode == 0 and r.stderr.endswith(", 3 passed over\n")
    # named on the command line, a file is read as asked: not an article is an error
    r = run_cli("clusters", str(tmp_path / "meta.json"), str(tmp_path / "a.txt"))
    assert r.returncode == 1
    assert "meta.json: skipped: not an article export (no text field)" in r.stderr
    # the rule is in --help
    help_ = run_cli("clusters", "--help", env={**os.environ, "COLUMNS": "200", "TERM": "dumb"})
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", help_.stdout).split())
    assert "is passed over and counted" in flat
    assert "named or listed is always read" in flat


# ---------------------------------------------------------------------------------------------
# 9. progress for every stage


def test_progress_shows_discovery_and_merge_and_stats_counts_them(tmp_path: Path) -> None:
    files = sorted(str(p) for p in SAMPLES.rglob("*.txt"))
    read_end, write_end = os.pipe()
    term = Terminal(
        ["timeline", "--stats", "--files-from", "-", "-o", str(tmp_path / "out.txt")],
        stdout_tty=False, stderr_tty=True, stdin=read_end,
    )  # fmt: skip
    os.close(read_end)
    # the list arrives a second after newsdedup waits for it (a read of its standard input, as
    # /proc says), so the bar is up (it waits 0.7 s) when discovery starts, however slowly
    # the interpreter started
    deadline = time.monotonic() + 60
    syscall = Path(f"/proc/{term.proc.pid}/syscall")
    while time.monotonic() < deadline and not syscall.read_text().startswith("0 0x0 "):
        time.sleep(0.05)
    time.sleep(1.0)
    os.write(write_end, ("\n".join(files) + "\n").encode())
    os.close(write_end)
    code, screen, _ = term.finish()
    assert code == 0, screen
    shown = ANSI.sub("", screen)
    for stage in ("discover", "read", "merge"):
        assert re.search(rf"newsdedup: {stage}\b", shown), (stage, shown[-3000:])
    stats = dict(
        (m.group(1), m.group(2))
        for m in re.finditer(r"newsdedup: (\w+) +([\d,]*) +\d+\.\d\d s", shown)
    )
    stories = len(
        run_cli(
            "timeline", "--brief", "--files-from", "-", stdin="\n".join(files)
        ).stdout.splitlines()
    )
    assert stats["discover"] == str(len(files)) and stats["merge"] == str(stories), stats


# ---------------------------------------------------------------------------------------------
# 10. colour changes nothing but the colour


def test_colour_does_not_change_the_layout() -> None:
    screens = {}
    for name, env, args in (
        ("always", {}, ["--color", "always"]),
        ("auto", {}, []),
        ("no_color", {"NO_COLOR": "1"}, []),
    ):
        term = Terminal(["timeline", "--no-pager", *args, "samples"], env=env, cols=120)
        code, screen, _ = term.finish()
        assert code == 0
        screens[name] = screen
    assert "\x1b[" in screens["always"] and "\x1b[" in screens["auto"]
    assert "\x1b[" not in screens["no_color"]
    plain = ANSI.sub("", screens["always"])
    assert plain == ANSI.sub("", screens["auto"]) == screens["no_color"]
    lines = plain.splitlines()
    assert max(len(line) for line in lines) <= 100  # 100 columns on a 120-column terminal
    assert any(len(line) > 95 for line in lines)
    assert "shared passages 0." in plain and re.search(r"\[A  \] ", plain)  # tags padded inside
    # coloured into a pipe: the same text as without colour
    piped = run_cli("timeline", "--color", "always", "samples").stdout
    assert "\x1b[" in piped
    assert ANSI.sub("", piped) == run_cli("timeline", "samples").stdout


# ---------------------------------------------------------------------------------------------
# 11. help and messages


def test_help_and_messages_read_well_on_80_columns() -> None:
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb", "NO_COLOR": "1"}
    for command in (["timeline"], ["clusters"], ["pairs"], ["inspect"], ["index", "prune"]):
        r = run_cli(*command, "--help", env=env)
        assert r.returncode == 0
        assert "<path>" not in r.stdout and "<articles|all>" not in r.stdout
        rows = [ln for ln in r.stdout.splitlines() if ln.startswith("│") and ln.endswith("│")]
        # continuation lines of an option's text start at its help column: 38+ characters wide
        starts = [
            len(ln) - len(ln[1:].lstrip()) for ln in rows if ln[1:3] == "  " and ln[1:].strip("│ ")
        ]
        assert starts and 80 - max(starts) - 2 >= 38, (command, max(starts))
    timeline = run_cli("timeline", "--help", env=env).stdout
    assert "markdown" in timeline  # the format list wraps between words, never inside one
    assert re.search(r"--output +-o +FILE", timeline)
    bad = {
        ("-f", "xml"): "newsdedup: error: --format: 'xml' is not one of",
        ("--threshold", "2"): "newsdedup: error: --threshold: must be at most 1",
        ("--jobs", "x"): "newsdedup: error: --jobs: must be a whole number",
        ("--bogus",): "newsdedup: error: No such option: --bogus",
    }
    for args, start in bad.items():
        r = run_cli("timeline", *args, "samples")
        assert r.returncode == 2 and r.stdout == ""
        (line,) = r.stderr.splitlines()  # one line, in newsdedup's words
        assert line.startswith(start), line
        assert "Value error" not in line and "Input should" not in line
        assert line.endswith("see 'newsdedup timeline --help'")


# ---------------------------------------------------------------------------------------------
# 12. words that mislead


def test_sizes_count_articles_and_their_sources() -> None:
    r = run_cli("timeline", "samples")
    assert "source(s)" not in r.stdout
    # the two Reuters reprints: two articles, one source
    block = r.stdout.split("SENATORS INTRODUCE EXPORT LICENSING REFORM BILL")[1]
    assert block.splitlines()[1].endswith("· 2 articles from 1 source")
    assert "· 4 articles from 4 sources" in r.stdout and "· 1 article\n" in r.stdout
    assert r.stderr.endswith("5 with more than one article, 1 passed over\n")
    html = run_cli("timeline", "-f", "html", "samples").stdout
    assert "with more than one article" in html and "source(s)" not in html


# ---------------------------------------------------------------------------------------------
# 13. an HTML report on a terminal


def test_html_on_a_terminal_says_to_use_o(tmp_path: Path) -> None:
    code, screen, err = Terminal(["timeline", "-f", "html", "samples"]).finish()
    assert code == 2 and screen == ""
    assert err.startswith("newsdedup: error: an HTML report is a page for a browser")
    assert "-o report.html" in err
    out = tmp_path / "r.html"  # with -o, or into a pipe, it is written
    code, screen, err = Terminal(["timeline", "-f", "html", "-o", str(out), "samples"]).finish()
    assert code == 0 and out.read_text(encoding="utf-8").startswith("<!doctype html>")


# ---------------------------------------------------------------------------------------------
# 14. a file name with a newline


def test_file_name_with_a_newline_keeps_its_outlet_and_real_path(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "pa").mkdir(parents=True)
    odd = corpus / "a file\nname.txt"
    odd.write_bytes((SAMPLES / "reuters-00001.txt").read_bytes())
    odd_pa = corpus / "pa" / "tab\there.txt"
    odd_pa.write_bytes((SAMPLES / "pa" / "2b32148f50.txt").read_bytes())
    r = run_cli("clusters", "-f", "jsonl", str(corpus))
    got = {json.loads(x)["path"]: json.loads(x)["outlet"] for x in r.stdout.splitlines()}
    assert got == {str(odd): "Reuters", str(odd_pa): "pa"}  # the real names, their outlets
    import csv
    import io

    r = run_cli("clusters", "-f", "csv", str(corpus))
    rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    assert {row["path"] for row in rows} == {str(odd), str(odd_pa)}
    r = run_cli("clusters", "-f", "tsv", str(corpus))
    assert str(odd).replace("\n", "\\n") in r.stdout.splitlines()[1]  # TSV's own escape
    # text for people: escaped, one line each
    r = run_cli("clusters", "-f", "text", str(corpus))
    assert "a file\\nname.txt" in r.stdout and "tab\\there.txt" in r.stdout
