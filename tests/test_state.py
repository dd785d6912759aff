"""The incremental state (--state): equal to a batch run, safe to kill, one writer at a time,
bound to its parameters. Every test runs the installed command on real data."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import Settings

from .conftest import newsdedup_exe, run_cli


@pytest.fixture(scope="module")
def meter_by_day(tmp_path_factory: pytest.TempPathFactory) -> list[list[Path]]:
    """meter-dev's articles grouped by day, in date order: an article's own date, else (the
    newspapers are undated) its story's first date, as a newsroom would receive them."""
    from .conftest import need_shared

    root = need_shared() / "meter-dev"
    settings = Settings(globs=("*.txt",))
    result = find_stories_in(load([str(root)], settings), settings)
    arts = result.corpus.articles
    days: dict[str, list[Path]] = {}
    for story in result.stories:
        dated = sorted(a.date.value[:10] for m in story.members if (a := arts[m]).date.value)
        for m in story.members:
            day = (arts[m].date.value or (dated[0] if dated else "9999"))[:10]
            days.setdefault(day, []).append(root / arts[m].doc.rel)
    return [days[d] for d in sorted(days)]


def _feed(dest: Path, files: list[Path], root: Path) -> None:
    for f in files:
        target = dest / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)


def _chunks(groups: list[list[Path]], n: int) -> list[list[Path]]:
    """Days in date order, cut into n runs of about equal size."""
    flat = [f for g in groups for f in g]
    size = -(-len(flat) // n)
    out: list[list[Path]] = []
    for g in groups:  # never split a day across runs: a cron run sees whole days
        if not out or len(out[-1]) >= size:
            out.append([])
        out[-1].extend(g)
    return out


def test_incremental_runs_equal_one_batch_run(
    tmp_path: Path, meter_by_day: list[list[Path]]
) -> None:
    from .conftest import need_shared

    root = need_shared() / "meter-dev"
    folder, state = tmp_path / "news", tmp_path / "state.db"
    folder.mkdir()
    runs = _chunks(meter_by_day, 4)
    assert len(runs) >= 3
    for files in runs:
        _feed(folder, files, root)
        r = run_cli("clusters", "--state", str(state), str(folder), "-v")
        assert r.returncode == 0, r.stderr
        assert f"{len(files)} new or changed" in r.stderr  # only the night's files were read
    incremental = r.stdout
    batch = run_cli("clusters", str(folder))
    assert batch.returncode == 0
    assert incremental == batch.stdout  # byte-identical to one batch run over the same files
    # nothing new: nothing read, nothing printed with --new-only
    again = run_cli("clusters", "--state", str(state), str(folder), "--new-only", "-v")
    assert "0 new or changed" in again.stderr
    assert again.stdout.splitlines()[1:] == []


def test_new_only_changed_and_deleted_files(tmp_path: Path) -> None:
    from .conftest import SAMPLES

    folder, state = tmp_path / "news", tmp_path / "s.db"
    shutil.copytree(
        SAMPLES, folder, ignore=shutil.ignore_patterns("README.md", "reuters-00055.txt")
    )
    first = run_cli("clusters", "-f", "jsonl", "--state", str(state), str(folder), "--new-only")
    assert first.returncode == 0
    assert len(first.stdout.splitlines()) == 14  # the first run: every story is new
    # a reprint arrives: only its story is printed, with the article it joined
    shutil.copy(SAMPLES / "reuters-00055.txt", folder)
    r = run_cli("clusters", "-f", "jsonl", "--state", str(state), str(folder), "--new-only")
    names = sorted(
        Path(line.split('"path": "')[1].split('"')[0]).name for line in r.stdout.splitlines()
    )
    assert names == ["reuters-00032.txt", "reuters-00055.txt"]
    # touched but unchanged: not new
    os.utime(folder / "reuters-00001.txt", (1, 1))
    r = run_cli("clusters", "--state", str(state), str(folder), "--new-only", "-v")
    assert "0 new or changed" in r.stderr and len(r.stdout.splitlines()) == 1
    # changed content: new; deleted: gone from the store and the output
    (folder / "reuters-00001.txt").write_text(
        "COCOA\n\nA different text about cocoa prices in Bahia.\n"
    )
    (folder / "reuters-00888.txt").unlink()
    r = run_cli("clusters", "-f", "jsonl", "--state", str(state), str(folder), "-v")
    assert "1 new or changed" in r.stderr
    assert "reuters-00888" not in r.stdout and len(r.stdout.splitlines()) == 14
    db = sqlite3.connect(state)
    assert db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 14
    # stories of the store without naming any path
    stored = run_cli("clusters", "-f", "jsonl", "--state", str(state))
    assert stored.returncode == 0 and stored.stdout == r.stdout


def test_killed_run_leaves_a_consistent_store(tmp_path: Path, data: Path) -> None:
    folder, state = data / "meter-dev", tmp_path / "s.db"
    batch = run_cli("clusters", str(folder))
    for delay in (0.4, 1.0, 1.8, 2.6):
        proc = subprocess.Popen(
            [newsdedup_exe(), "clusters", "--state", str(state), str(folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if state.exists():
            db = sqlite3.connect(state)
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            db.close()
    done = run_cli("clusters", "--state", str(state), str(folder))
    assert done.returncode == 0, done.stderr
    assert done.stdout == batch.stdout


def _hold_lock(state: Path) -> int:
    fd = os.open(str(state) + ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_second_run_waits_or_fails_clearly(tmp_path: Path) -> None:
    from .conftest import SAMPLES

    state = tmp_path / "s.db"
    fd = _hold_lock(state)
    try:
        r = run_cli("clusters", "--state", str(state), str(SAMPLES / "reuters-00001.txt"))
        assert r.returncode == 1
        assert "state in use by another newsdedup run" in r.stderr and "--wait" in r.stderr
        threading.Timer(1.0, os.close, [fd]).start()
        start = time.monotonic()
        r = run_cli(
            "clusters", "--wait", "30", "--state", str(state), str(SAMPLES / "reuters-00001.txt")
        )
        assert r.returncode == 0, r.stderr
        assert time.monotonic() - start >= 0.9
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


def test_two_runs_at_once_never_corrupt(tmp_path: Path) -> None:
    from .conftest import SAMPLES

    state, folder = tmp_path / "s.db", tmp_path / "news"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("README.md"))
    first = ["pa", "guardian", "star"]
    halves = ([f"--glob={n}/*" for n in first], [f"--glob=!{n}/*" for n in first])
    procs = []
    for globs in halves:
        procs.append(subprocess.Popen(
            [newsdedup_exe(), "clusters", "--wait", "60", "--state", str(state), *globs, str(folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        ))  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    both = run_cli("clusters", "--state", str(state))
    assert both.stdout == run_cli("clusters", str(folder)).stdout


def test_state_bound_to_its_parameters_and_schema(tmp_path: Path) -> None:
    from .conftest import SAMPLES

    state, one = tmp_path / "s.db", str(SAMPLES / "reuters-00001.txt")
    assert run_cli("clusters", "--state", str(state), one).returncode == 0
    for opt, value in (("--num-perm", "64"), ("--seed", "7"), ("--shingle-size", "4")):
        r = run_cli("clusters", opt, value, "--state", str(state), one)
        assert r.returncode == 2
        assert f"state made with {opt}" in r.stderr and "--rebuild-state" in r.stderr
    r = run_cli("clusters", "--num-perm", "64", "--rebuild-state", "--state", str(state), one)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(state)
    with db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    db.close()
    r = run_cli("clusters", "--num-perm", "64", "--state", str(state), one)
    assert r.returncode == 2 and "state schema 0" in r.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    r = run_cli("clusters", "--state", str(junk), one)
    assert r.returncode == 1 and "not a newsdedup state file" in r.stderr
    assert r.stderr.count("\n") == 1  # one line, no traceback


def test_index_stats_and_prune_on_a_local_state(tmp_path: Path) -> None:
    from .conftest import SAMPLES

    state, folder = tmp_path / "s.db", tmp_path / "news"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("README.md"))
    assert run_cli("clusters", "--state", str(state), str(folder)).returncode == 0
    r = run_cli("index", "stats", "--state", str(state), "-f", "json")
    stats = json.loads(r.stdout)
    assert (stats["engine"], stats["articles"], stats["stories"], stats["runs"]) == (
        "sqlite",
        15,
        8,
        1,
    )
    assert stats["first_day"] == "1987-02-26"
    text = run_cli("index", "stats", "--state", str(state)).stdout
    assert "articles      15" in text
    r = run_cli(
        "index", "prune", "--older-than", "1y", "--as-of", "1990-01-01", "--state", str(state)
    )
    assert r.returncode == 0 and "pruned 6 article(s) dated before 1989-01-01" in r.stderr
    after = run_cli("clusters", "--state", str(state), str(folder), "-v")
    assert "0 new or changed" in after.stderr and "reuters-" not in after.stdout
    assert run_cli("index", "prune", "--older-than", "soon", "--state", str(state)).returncode == 2
    assert run_cli("index", "stats").returncode == 2


def _children(pid: int) -> set[int]:
    """Every descendant of a live process (from /proc)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            with contextlib.suppress(OSError), open(f"/proc/{p}/task/{t}/children") as fh:
                kids = {int(x) for x in fh.read().split()}
                todo.extend(kids - out)
                out |= kids
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_issue17_killed_run_takes_its_workers_and_lock_with_it(tmp_path: Path, data: Path) -> None:
    """kill -9 of a --state run with --jobs 2: no worker survives holding the state's lock, and
    the next run starts at once (issue 17, item 2)."""
    folder, state = data / "meter-dev", tmp_path / "s.db"
    proc = subprocess.Popen(
        [newsdedup_exe(), "clusters", "--jobs", "2", "--state", str(state), str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    kids: set[int] = set()
    deadline = time.monotonic() + 120
    while not kids and proc.poll() is None and time.monotonic() < deadline:
        kids = _children(proc.pid)
        time.sleep(0.02)
    assert kids, "the run forked no workers"
    kids |= _children(proc.pid)
    proc.send_signal(signal.SIGKILL)  # the workers are mid-task (each takes 256 articles)
    proc.wait()
    deadline = time.monotonic() + 0.3  # dying with the parent is immediate, not after a task
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [k for k in kids if _alive(k)]
    one = str(folder / "pa")
    r = run_cli("clusters", "--state", str(state), one)  # no --wait: the lock must be free
    for k in survivors:  # do not leave them behind for the rest of the suite
        with contextlib.suppress(OSError):
            os.kill(k, signal.SIGKILL)
    assert not survivors, f"workers outlived their killed parent: {survivors}"
    assert r.returncode == 0, r.stderr
