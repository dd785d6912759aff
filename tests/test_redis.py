"""The shared index (--index redis://…) against a real redis-server started by these tests.

Without redis-server on the machine the tests skip with the reason; CI sets
NEWSDEDUP_REQUIRE_REDIS=1 (and installs Debian's redis-server), so there they fail instead."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SAMPLES, newsdedup_exe, run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throw-away redis-server on a loopback port: no persistence, its own folder."""

    def __init__(self, folder: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            if os.environ.get("NEWSDEDUP_REQUIRE_REDIS"):
                pytest.fail("redis-server is not installed (NEWSDEDUP_REQUIRE_REDIS is set)")
            pytest.skip("redis-server is not installed (Debian package redis-server)")
        self.exe, self.folder, self.port = exe, folder, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.kill()


def test_two_machines_add_halves_at_once(redis_server: RedisServer, data: Path) -> None:
    root = data / "meter-dev"
    url = redis_server.url
    halves = (["--glob=pa/*.txt"], ["--glob=*.txt", "--glob=!pa/*"])
    procs = [
        subprocess.Popen(
            [newsdedup_exe(), "clusters", "--index", url, "--wait", "120", *globs, str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for globs in halves
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    stats = json.loads(run_cli("index", "stats", "--index", url, "-f", "json").stdout)
    assert stats["articles"] == 663 and stats["unindexed"] == 0  # no write lost
    shared = run_cli("clusters", "--index", url)
    batch = run_cli("clusters", "--glob=*.txt", str(root))
    assert shared.returncode == 0 and shared.stdout == batch.stdout


def test_unreachable_redis_is_a_clear_error(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    r = run_cli("timeline", "--index", f"redis://127.0.0.1:{port}/0", str(SAMPLES))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(
        f"newsdedup: error: redis://127.0.0.1:{port}/0: Redis connect failed"
    )
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    r = run_cli("timeline", "--index", "http://example.org/", str(SAMPLES))
    assert r.returncode == 2 and "not a redis:// URL" in r.stderr


def test_redis_restart_mid_run_then_rerun_completes(redis_server: RedisServer, data: Path) -> None:
    root = data / "meter-dev"
    batch = run_cli("clusters", str(root))
    proc = subprocess.Popen(
        [newsdedup_exe(), "clusters", "--index", redis_server.url, str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(1.0)
    redis_server.kill()
    time.sleep(0.5)
    redis_server.start()  # empty: it kept nothing
    out, err = proc.communicate(timeout=300)
    assert "Traceback" not in err
    if proc.returncode != 0:  # failed cleanly: a message, nothing printed
        assert proc.returncode == 1 and out == ""
        assert "run again to complete" in err
    else:  # retried through the restart: then nothing may be missing
        assert out == batch.stdout
    rerun = run_cli("clusters", "--index", redis_server.url, str(root))
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout == batch.stdout


def test_index_bound_to_its_parameters(redis_server: RedisServer) -> None:
    one = str(SAMPLES / "reuters-00001.txt")
    assert run_cli("clusters", "--index", redis_server.url, one).returncode == 0
    r = run_cli("clusters", "--index", redis_server.url, "--num-perm", "64", one)
    assert r.returncode == 2 and "index made with --num-perm 128" in r.stderr
    # another prefix is another corpus, with its own parameters
    r = run_cli(
        "clusters", "--index", redis_server.url, "--index-prefix", "other", "--num-perm", "64", one
    )
    assert r.returncode == 0, r.stderr
    r = run_cli("clusters", "--index", redis_server.url, "--num-perm", "64", "--rebuild-state", one)
    assert r.returncode == 0, r.stderr


def test_new_only_stats_and_prune(redis_server: RedisServer, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    shutil.copytree(
        SAMPLES, folder, ignore=shutil.ignore_patterns("README.md", "reuters-00055.txt")
    )
    url = redis_server.url
    assert run_cli("clusters", "--index", url, str(folder)).returncode == 0
    shutil.copy(SAMPLES / "reuters-00055.txt", folder)
    r = run_cli("clusters", "-f", "jsonl", "--index", url, str(folder), "--new-only")
    assert sorted(Path(json.loads(x)["path"]).name for x in r.stdout.splitlines()) == [
        "reuters-00032.txt", "reuters-00055.txt",
    ]  # fmt: skip
    stats = json.loads(run_cli("index", "stats", "--index", url, "-f", "json").stdout)
    assert stats["articles"] == 15 and stats["stories"] == 8 and stats["runs"] == 2
    r = run_cli("index", "prune", "--older-than", "365d", "--as-of", "1988-01-01", "--index", url)
    assert r.returncode == 0 and "pruned 0 article(s) dated before 1987-01-01" in r.stderr
    r = run_cli("index", "prune", "--older-than", "1y", "--as-of", "1990-01-01", "--index", url)
    assert "pruned 6 article(s)" in r.stderr  # the six 1987 Reuters items
    after = run_cli("clusters", "-f", "jsonl", "--index", url, str(folder), "-v")
    assert "0 new or changed" in after.stderr  # pruned files are not read again
    assert "reuters-0" not in after.stdout and len(after.stdout.splitlines()) == 9
