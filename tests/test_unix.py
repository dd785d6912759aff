"""Unix citizenship: path lists, terminals, progress, configuration, completion."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import subprocess
import time
from pathlib import Path

from .conftest import ROOT, SAMPLES, newsdedup_exe, run_cli


def _bash(cmd: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def test_find_print0_pipe_equals_folder_run(tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    odd.mkdir()
    # a name with a newline and one with a leading dash travel safely only NUL-separated
    (odd / "line\nbreak.txt").write_bytes((SAMPLES / "reuters-00032.txt").read_bytes())
    (odd / "-dash.txt").write_bytes((SAMPLES / "reuters-00055.txt").read_bytes())
    exe = newsdedup_exe()
    piped = _bash(
        f"find '{odd}' -type f -print0 | sort -z | '{exe}' clusters -0 -f jsonl | jq -r .story"
    )
    assert piped.returncode == 0, piped.stderr
    stories = piped.stdout.split()
    assert len(stories) == 2 and stories[0] == stories[1]  # the reprint pair, found by name
    listed = tmp_path / "list.txt"
    listed.write_text(f"{SAMPLES / 'reuters-00032.txt'}\r\n\n{SAMPLES / 'reuters-00055.txt'}\n")
    r = run_cli("clusters", "--files-from", str(listed), "-f", "jsonl")
    assert r.returncode == 0 and len({json.loads(x)["story"] for x in r.stdout.splitlines()}) == 1
    # paths given and listed are read together
    r = run_cli("clusters", "--files-from", "-", str(SAMPLES / "reuters-00001.txt"),
                stdin=f"{SAMPLES / 'reuters-00032.txt'}\n")  # fmt: skip
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3
    r = run_cli("clusters", "--files-from", str(tmp_path / "missing"))
    assert r.returncode == 2 and "--files-from" in r.stderr


def _run_on_pty(
    args: list[str], stdin_tty: bool, stderr_tty: bool, timeout: float = 60
) -> tuple[int, str, bytes]:
    """Run the command with stdin and/or stderr on a pseudo-terminal; returns (exit code,
    stdout, everything written to the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [newsdedup_exe(), *args],
        stdin=slave if stdin_tty else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave if stderr_tty else subprocess.PIPE,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        cwd=ROOT,
    )  # fmt: skip
    os.close(slave)
    seen = b""
    out = b""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    stdout_fd = proc.stdout.fileno()
    open_fds = [master, stdout_fd]
    while open_fds:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"newsdedup {' '.join(args)} hung with a terminal attached")
        ready, _, _ = select.select(open_fds, [], [], 0.1)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal's other side closed (EIO)
                chunk = b""
            if not chunk:
                open_fds.remove(fd)
            elif fd == master:
                seen += chunk
            else:
                out += chunk
        if not ready and proc.poll() is not None and stdout_fd not in open_fds:
            break
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, out.decode(), seen


def test_path_list_from_a_terminal_prints_usage_instead_of_hanging() -> None:
    for args in (["clusters", "--files-from", "-"], ["clusters", "-0"]):
        code, out, _ = _run_on_pty(args, stdin_tty=True, stderr_tty=False, timeout=20)
        assert code == 2 and out == ""


def test_progress_bar_only_on_a_terminal(data: Path) -> None:
    args = ["clusters", str(data / "meter-dev")]
    code, out, seen = _run_on_pty(args, stdin_tty=False, stderr_tty=True)
    assert code == 0
    assert re.search(rb"newsdedup: (read|sketch|verify) .* \d+/\d+", seen)  # counts on the terminal
    assert "\x1b" not in out and out.startswith("path\tstory")  # stdout stays clean
    quiet = _run_on_pty([*args, "-q"], stdin_tty=False, stderr_tty=True)
    assert b"newsdedup:" not in quiet[2]
    piped = run_cli(*args)  # stderr a pipe: no bar, only the summary line
    assert piped.stderr.startswith("newsdedup: 663 articles,") and piped.stderr.count("\n") == 1


def test_config_file_sets_defaults_and_is_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "newsdedup.toml"
    cfg.write_text(
        'format = "jsonl"\nglob = ["!README.md"]\n\n[timeline]\nbrief = true\nformat = "text"\n'
    )
    r = run_cli("clusters", "--config", str(cfg), "samples")
    assert r.returncode == 0 and json.loads(r.stdout.splitlines()[0])["story"]
    r = run_cli("timeline", "--config", str(cfg), "samples")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 8  # brief: a line per story
    r = run_cli("clusters", "--config", str(cfg), "-f", "tsv", "samples")  # the command line wins
    assert r.stdout.startswith("path\tstory")
    env = {**os.environ, "NEWSDEDUP_CONFIG": str(cfg)}
    assert (
        run_cli("clusters", "samples", env=env).stdout
        == run_cli("clusters", "--config", str(cfg), "samples").stdout
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'always'\n")
    r = run_cli("timeline", "--config", str(bad), "samples")
    assert r.returncode == 2 and "bad.toml: unknown key 'colour'" in r.stderr
    bad.write_text("threshold = \n")
    r = run_cli("timeline", "--config", str(bad), "samples")
    assert r.returncode == 2 and "not valid TOML" in r.stderr


def test_completion_script() -> None:
    # typer finds the user's shell among the command's ancestors: run it from bash, as a user
    # would (under a test runner's workers the nearest ancestor shell may be sh; "; exit" keeps
    # bash from handing its process to the command)
    r = subprocess.run(
        ["bash", "-c", f"{shlex.quote(newsdedup_exe())} --show-completion; exit $?"],
        capture_output=True,
        text=True, env={**os.environ, "SHELL": "/bin/bash"}, check=False,
    )  # fmt: skip
    assert r.returncode == 0 and "complete" in r.stdout and "newsdedup" in r.stdout
