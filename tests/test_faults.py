"""Nothing lost under faults (issue 29): each of the seven faults a fault-injection run found,
made again with real processes, signals, a real redis-server, a small full disk (tmpfs) and
real SQLite files; each test failed before the fix."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SAMPLES, newsdedup_exe, run_cli
from .test_redis import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.kill()


def _mount_small_disk(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError as exc:
        pytest.skip(f"cannot mount a small tmpfs for a full disk: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs for a full disk: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A small tmpfs (a disk that fills: 200 KiB unless the test is parametrised with another
    size), unmounted after the test."""
    where = tmp_path / "disk"
    _mount_small_disk(where, getattr(request, "param", "200k"))
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; returns the filler (delete it to free the space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (65536, 4096, 512, 1):  # down to the last partial block
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def _one_line_error(stderr: str, *words: str) -> None:
    """The run failed with one ``newsdedup: error:`` line holding ``words``, no traceback."""
    errors = [ln for ln in stderr.splitlines() if ln.startswith("newsdedup: error:")]
    assert "Traceback" not in stderr, stderr
    assert len(errors) == 1, stderr
    for w in words:
        assert w in errors[0], errors[0]


def _stories(report: str) -> set[tuple[str, ...]]:
    """The stories of a ``timeline -f jsonl`` report, each as its sorted member paths."""
    out: set[tuple[str, ...]] = set()
    for line in report.splitlines():
        record = json.loads(line)
        out.add(tuple(sorted(s["path"] for s in record["sources"])))
    return out


def _copy(files: list[Path], root: Path, dest: Path) -> None:
    for f in files:
        target = dest / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)


# ---------------------------------------------------------------------------------------------
# 1. a --new-only report is never lost


def test_new_only_report_on_a_full_disk_is_made_again(
    small_disk: Path, tmp_path: Path, data: Path
) -> None:
    root = data / "meter-dev"
    state = tmp_path / "n.db"
    everything = run_cli("timeline", "-f", "jsonl", "--glob=*.txt", str(root))
    assert everything.returncode == 0
    _fill(small_disk)
    full = small_disk / "new.jsonl"
    args = ("timeline", "--new-only", "-f", "jsonl", "--glob=*.txt", "--state", str(state))
    r = run_cli(*args, "-o", str(full), str(root))
    assert r.returncode == 1 and r.stdout == ""
    _one_line_error(r.stderr, str(full), "No space left on device")
    assert not full.exists()
    again = run_cli(*args, "-o", str(tmp_path / "new.jsonl"), str(root))
    assert again.returncode == 0, again.stderr
    report = (tmp_path / "new.jsonl").read_text(encoding="utf-8")
    assert _stories(report) == _stories(everything.stdout)  # all 132 reported, none lost
    third = run_cli(*args, str(root))
    assert third.returncode == 0 and third.stdout == "" and "no stories" in third.stderr


def test_new_only_report_killed_while_written_is_made_again(tmp_path: Path, data: Path) -> None:
    """kill -9 while the report is being written (its reader has read one story): the next
    run reports every story, the killed run's ones included."""
    root = data / "meter-dev"
    state, fifo = tmp_path / "n.db", tmp_path / "report.fifo"
    os.mkfifo(fifo)
    args = ["timeline", "--new-only", "-f", "jsonl", "--glob=*.txt", "--state", str(state)]
    proc = subprocess.Popen([newsdedup_exe(), *args, "-o", str(fifo), str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        with open(fifo, "rb") as reader:  # opens once the run writes its report
            first = reader.readline()
            assert first.startswith(b"{")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    everything = run_cli("timeline", "-f", "jsonl", "--glob=*.txt", str(root))
    again = run_cli(*args, str(root))
    assert again.returncode == 0, again.stderr
    assert _stories(again.stdout) == _stories(everything.stdout)


# ---------------------------------------------------------------------------------------------
# 2. a file replaced by a FIFO during a run


def test_file_replaced_by_a_fifo_while_running_is_skipped_not_waited_for(
    tmp_path: Path, data: Path
) -> None:
    """The run is stopped once it reads its first input, the file it reads last (after
    reuters-dev's 11,000: seconds later) is swapped for a FIFO, and the run goes on."""
    many = data / "reuters-dev"
    victim = tmp_path / "late" / "last.txt"
    victim.parent.mkdir()
    shutil.copy2(next(iter(sorted((data / "seeds").iterdir()))), victim)
    proc = subprocess.Popen(
        [newsdedup_exe(), "inspect", "-f", "jsonl", "--jobs", "1", str(many), str(victim.parent)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        fds = Path(f"/proc/{proc.pid}/fd")
        real = os.path.realpath(many)  # /proc names the files by their real paths
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until it opens a file (not a folder being walked)
            try:
                if any(os.readlink(fd).startswith(f"{real}/") for fd in fds.iterdir()):
                    break
            except OSError:
                pass
            time.sleep(0.001)
        else:
            pytest.fail("the run never read an input")
        proc.send_signal(signal.SIGSTOP)
        victim.unlink()
        os.mkfifo(victim)
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=180)  # before: waited for a writer for ever
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1 and "Traceback" not in err  # 1: an input was skipped
    assert f"{victim}: skipped: not a regular file" in err
    assert "last.txt" not in out and len(out.splitlines()) == 11_000


# ---------------------------------------------------------------------------------------------
# 3. a stored path that became a folder or a FIFO


def test_stored_path_that_became_a_folder_or_fifo_leaves_the_state(
    tmp_path: Path, data: Path
) -> None:
    folder, state = tmp_path / "news", tmp_path / "s.db"
    root = data / "meter-dev"
    _copy(sorted(root.glob("pa/*.txt"))[:40] + sorted(root.glob("sun/*.txt"))[:40], root, folder)
    first = run_cli("clusters", "-f", "jsonl", "--state", str(state), str(folder))
    assert first.returncode == 0, first.stderr
    files = sorted(folder.glob("*/*.txt"))
    as_folder, as_fifo = files[0], files[-1]
    as_folder.unlink()
    as_folder.mkdir()
    as_fifo.unlink()
    os.mkfifo(as_fifo)
    batch = run_cli("clusters", "-f", "jsonl", str(folder))
    again = run_cli("clusters", "-f", "jsonl", "--state", str(state), str(folder))
    assert again.returncode == 0, again.stderr
    assert again.stdout == batch.stdout  # before: both still there, the FIFO a story's base
    paths = {json.loads(line)["path"] for line in again.stdout.splitlines()}
    assert len(paths) == len(files) - 2
    stats = json.loads(run_cli("index", "stats", "--state", str(state), "-f", "json").stdout)
    assert stats["articles"] == len(files) - 2


# ---------------------------------------------------------------------------------------------
# 4. a Redis that restarted empty


def test_redis_restarted_empty_between_runs_is_reported(
    redis_server: RedisServer, data: Path
) -> None:
    root = data / "meter-dev"
    url = redis_server.url
    first = run_cli("clusters", "--index", url, "--glob=pa/*.txt", str(root))
    assert first.returncode == 0, first.stderr
    redis_server.kill()
    redis_server.start()  # no persistence: it comes back empty
    for extra in ([], ["--new-only"]):
        r = run_cli("timeline", "--index", url, *extra, "--glob=*.txt", "--glob=!pa/*", str(root))
        assert r.returncode == 1 and r.stdout == ""  # before: exit 0, half the articles
        _one_line_error(r.stderr, url, "is gone", "--rebuild-state")
    rebuilt = run_cli("clusters", "--index", url, "--rebuild-state", "--glob=*.txt", str(root))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout == run_cli("clusters", "--glob=*.txt", str(root)).stdout


def test_redis_index_replaced_by_another_is_reported(redis_server: RedisServer) -> None:
    url, one = redis_server.url, str(SAMPLES)
    assert run_cli("clusters", "--index", url, one).returncode == 0
    other_home = redis_server.folder / "other-machine"
    env = {**os.environ, "XDG_STATE_HOME": str(other_home)}
    rebuilt = run_cli("clusters", "--index", url, "--rebuild-state", one, env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    r = run_cli("clusters", "--index", url, "-q", one)
    assert r.returncode == 0
    assert "newsdedup: warning:" in r.stderr and "made afresh" in r.stderr
    assert "made afresh" not in run_cli("clusters", "--index", url, one).stderr  # once


# ---------------------------------------------------------------------------------------------
# 5. an expired Redis lock


def test_run_whose_redis_lock_expired_cannot_overwrite_a_newer_run(
    redis_server: RedisServer, data: Path
) -> None:
    import redis

    root = data / "meter-dev"
    url = redis_server.url
    client = redis.Redis.from_url(url)
    early = ["--glob=*.txt", "--glob=!sun/*"]  # most of the corpus
    stale = subprocess.Popen(
        [newsdedup_exe(), "clusters", "--index", url, *early, str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        # the lock taken and the pending set flushed: it is reading the articles or matching
        while not (client.exists("newsdedup:lock") and client.exists("newsdedup:meta")
                   and client.scard("newsdedup:lsh-pending") == 0):  # fmt: skip
            assert time.monotonic() < deadline and stale.poll() is None
            time.sleep(0.002)
        stale.send_signal(signal.SIGSTOP)
        assert client.hget("newsdedup:meta", "runs") == b"0"  # it has not saved
        client.pexpire("newsdedup:lock", 1)  # stopped past its lock's expiry
        time.sleep(0.05)
        newer = run_cli("clusters", "--index", url, "--wait", "60", "--glob=*.txt", str(root))
        assert newer.returncode == 0, newer.stderr
        stale.send_signal(signal.SIGCONT)
        out, err = stale.communicate(timeout=120)
    finally:
        if stale.poll() is None:
            stale.kill()
            stale.communicate()
    assert stale.returncode == 1 and out == ""  # before: exit 0, the newer stories replaced
    _one_line_error(err, "lock", "lapsed", "nothing was saved")
    assert client.hlen("newsdedup:assign") == 663
    new = run_cli("timeline", "--index", url, "--new-only", "--glob=*.txt", str(root))
    assert new.returncode == 0 and new.stdout == "" and "no stories" in new.stderr


# ---------------------------------------------------------------------------------------------
# 6. store errors: one line naming the store and the next step


@pytest.mark.parametrize("small_disk", ["4m"], indirect=True)  # room for the first state
def test_state_on_a_full_disk_says_free_space(small_disk: Path, tmp_path: Path, data: Path) -> None:
    root = data / "meter-dev"
    folder, state = tmp_path / "news", small_disk / "s.db"
    _copy(sorted(root.glob("pa/*.txt"))[:10], root, folder)
    assert run_cli("clusters", "--state", str(state), str(folder)).returncode == 0
    _copy(sorted(root.glob("pa/*.txt"))[10:120], root, folder)
    filler = _fill(small_disk)
    r = run_cli("clusters", "--state", str(state), str(folder))
    assert r.returncode == 1 and r.stdout == ""
    _one_line_error(r.stderr, str(state), "full", "free space and run again")
    stats = run_cli("index", "stats", "--state", str(state))  # reading needs no space
    assert stats.returncode == 0 and "articles" in stats.stdout
    filler.unlink()
    again = run_cli("clusters", "--state", str(state), str(folder))
    assert again.returncode == 0, again.stderr
    assert again.stdout == run_cli("clusters", str(folder)).stdout


def _damage_pages(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        for at in range(4096, size, 8192):  # every other page after the first
            fh.seek(at)
            fh.write(b"\xa5" * 4096)


@pytest.mark.parametrize("damage", ["pages", "zlib", "fields"])
def test_damaged_state_names_the_file_and_rebuild(damage: str, tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    assert run_cli("clusters", "--state", str(state), str(SAMPLES)).returncode == 0
    if damage == "pages":
        _damage_pages(state)
    else:
        blob = b"\x78\x9c broken" if damage == "zlib" else zlib.compress(b'{"no":"doc"}')
        with sqlite3.connect(state) as db:
            db.execute("UPDATE files SET article = ?", (blob,))
        db.close()
    r = run_cli("clusters", "--state", str(state), str(SAMPLES))
    assert r.returncode == 1 and r.stdout == ""
    _one_line_error(r.stderr, str(state), "damaged", "--rebuild-state")
    rebuilt = run_cli("clusters", "--state", str(state), "--rebuild-state", str(SAMPLES))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout == run_cli("clusters", str(SAMPLES)).stdout


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_another_applications_sqlite_file_is_refused_untouched(
    journal: str, tmp_path: Path
) -> None:
    app = tmp_path / "app.db"
    db = sqlite3.connect(app)
    db.execute(f"PRAGMA journal_mode = {journal}")
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO users (name) VALUES ('ada')")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)") if journal == "wal" else None
    db.close()
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    for extra in ([], ["--rebuild-state"]):
        r = run_cli("clusters", "--state", str(app), *extra, str(SAMPLES))
        assert r.returncode == 1 and r.stdout == ""  # before: exit 0, five tables added
        _one_line_error(r.stderr, str(app), "not a newsdedup state")
        s = run_cli("index", "stats", "--state", str(app))
        assert s.returncode == 1
        _one_line_error(s.stderr, str(app), "not a newsdedup state")
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert after == before
    with sqlite3.connect(app) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == journal
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master")]
    db.close()
    assert names == ["users"]


# ---------------------------------------------------------------------------------------------
# 7. a full Redis


def test_full_redis_says_so_and_stats_prune_and_rebuild_still_work(
    redis_server: RedisServer, tmp_path: Path, data: Path
) -> None:
    import redis

    root = data / "meter-dev"
    url = redis_server.url
    client = redis.Redis.from_url(url)
    first = run_cli("clusters", "--index", url, "--glob=pa/*.txt", str(root))
    assert first.returncode == 0, first.stderr
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", str(used - 100_000))  # full: the index no longer fits
    more = ["--glob=*.txt", "--glob=!pa/*"]
    for _ in range(2):  # "run again" fails the same way: it must say what to do
        r = run_cli("clusters", "--index", url, *more, str(root))
        assert r.returncode == 1 and r.stdout == ""
        _one_line_error(r.stderr, "Redis is full (maxmemory)", "raise it or prune")
    stats = run_cli("index", "stats", "--index", url, "-f", "json")
    assert stats.returncode == 0, stats.stderr  # before: failed on the full Redis
    assert json.loads(stats.stdout)["articles"] == 282
    pruned = run_cli("index", "prune", "--index", url, "--older-than", "0d", "--as-of",
                     "2100-01-01")  # fmt: skip
    assert pruned.returncode == 0, pruned.stderr
    assert "pruned 282 article(s)" in pruned.stderr
    after = json.loads(run_cli("index", "stats", "--index", url, "-f", "json").stdout)
    assert (after["articles"], after["pruned"]) == (0, 282)
    # the index full again, then made afresh from a small corpus
    client.config_set("maxmemory", str(int(client.info("memory")["used_memory"]) - 10_000))
    rebuilt = run_cli("clusters", "--index", url, "--rebuild-state", str(SAMPLES))
    client.config_set("maxmemory", "0")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout == run_cli("clusters", str(SAMPLES)).stdout


def test_every_locked_redis_write_is_fenced_by_the_lock_token(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the library: a store whose lock lapsed and was taken by another cannot save, count
    a run, remove or prune; prune in chunks of one file gives what one chunk gives."""
    import redis

    import newsdedup.store.redis as backend
    from newsdedup.settings import Settings
    from newsdedup.store import LockLost, open_store

    from .test_store_contract import _item

    def opened() -> backend.RedisStore:
        store = open_store(index=redis_server.url, settings=Settings(), prefix="fence")
        assert isinstance(store, backend.RedisStore)
        return store

    stale, newer = opened(), opened()
    items = [_item(stale, f"{n}.txt", f"2020-01-0{n}") for n in range(1, 4)]
    stale.put(items)
    keys = [r.key for r, _, _ in items]
    stale.lock()
    assert len(list(stale.articles())) == 3
    redis.Redis.from_url(redis_server.url).delete(b"fence:lock")  # its lock lapsed
    with newer.locked():
        newer.save_stories(dict.fromkeys(keys, "s1"))
    for step in (
        lambda: stale.save_stories({keys[0]: "s9"}),
        stale.count_run,
        lambda: stale.remove(keys[:1]),
        lambda: stale.prune("2030-01-01"),
    ):
        with pytest.raises(LockLost, match="lapsed"):
            step()
    assert newer.stories() == dict.fromkeys(keys, "s1") and len(newer.rows()) == 3
    stale.close()
    monkeypatch.setattr(backend, "_PRUNE_CHUNK", 1)
    assert newer.prune("2020-01-03") == 2
    rows = newer.rows()
    assert [rows[k].pruned for k in keys] == [True, True, False]
    assert newer.stories() == {keys[2]: "s1"}
    with newer.locked():
        assert [k for k, _, _ in newer.articles()] == keys[2:]
    newer.close()
