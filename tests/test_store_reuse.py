"""Links kept between runs (issue 16): a run whose corpus did not change reuses the stored
links instead of matching, prints exactly what the last run printed, and any change makes the
run match afresh, so the stories stay those of one batch run."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdedup import levels
from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import Settings
from newsdedup.store import open_store

from .conftest import SAMPLES, run_cli
from .test_redis import RedisServer


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    news = tmp_path / "news"
    shutil.copytree(SAMPLES, news, ignore=shutil.ignore_patterns("README.md", "reuters-00055.txt"))
    return news


@pytest.fixture(params=["state", "index"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The store options of a run: a local state, or a Redis index on a server of its own."""
    if request.param == "state":
        yield ["--state", str(tmp_path / "s.db")]
        return
    server = RedisServer(tmp_path)
    yield ["--index", server.url]
    server.kill()


def _stages(stderr: str) -> set[str]:
    """The stages named by --stats (``newsdedup: sketch  15  0.10 s``)."""
    return {line.split()[1] for line in stderr.splitlines() if line.endswith(" s")}


def test_nothing_new_reuses_the_links_and_prints_the_same(folder: Path, where: list[str]) -> None:
    first = run_cli("clusters", "--stats", *where, str(folder))
    assert first.returncode == 0, first.stderr
    assert {"sketch", "verify"} <= _stages(first.stderr)
    again = run_cli("clusters", "--stats", *where, str(folder))
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert not {"sketch", "verify"} & _stages(again.stderr)  # the matcher did not run
    timeline = run_cli("timeline", "-f", "json", *where)  # the store alone, no path named
    assert timeline.stdout == run_cli("timeline", "-f", "json", str(folder)).stdout
    stats = json.loads(run_cli("index", "stats", "-f", "json", *where).stdout)
    # the store keeps the links of every level: the storyline level's are all of them
    every = run_cli("pairs", "--level", "storyline", str(folder)).stdout
    assert stats["links"] == len(every.splitlines()) - 1  # header


def test_any_change_matches_afresh_as_one_batch_run(folder: Path, where: list[str]) -> None:
    assert run_cli("clusters", *where, str(folder)).returncode == 0
    shutil.copy(SAMPLES / "reuters-00055.txt", folder)  # a reprint arrives
    r = run_cli("clusters", "--stats", *where, str(folder))
    assert "verify" in _stages(r.stderr)
    assert r.stdout == run_cli("clusters", str(folder)).stdout
    (folder / "reuters-00055.txt").unlink()  # and goes: its links go with it
    r = run_cli("pairs", *where, str(folder))
    assert "reuters-00055" not in r.stdout
    assert r.stdout == run_cli("pairs", str(folder)).stdout
    # other matching parameters: the stored links are not theirs
    r = run_cli("clusters", "--stats", "--threshold", "0.3", *where, str(folder))
    assert "verify" in _stages(r.stderr)
    assert r.stdout == run_cli("clusters", "--threshold", "0.3", str(folder)).stdout


def test_library_run_with_nothing_new_never_calls_the_matcher(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    state = str(tmp_path / "lib.db")
    with open_store(state, settings=settings) as store:
        assert store is not None
        first = find_stories_in(load([str(folder)], settings, store), settings, store)

    def no_matching(*args: object, **kw: object) -> None:
        raise AssertionError("the matcher ran although nothing changed")

    monkeypatch.setattr(levels, "find_links", no_matching)
    with open_store(state, settings=settings) as store:
        assert store is not None
        again = find_stories_in(load([str(folder)], settings, store), settings, store)
        assert not store.holds_lock  # released once the stories were saved
    assert again.links == first.links
    assert [(s.id, s.members) for s in again.stories] == [(s.id, s.members) for s in first.stories]
    assert again.changed == set()  # nothing new or grown since the last run


def test_real_paths_resolved_once_a_folder_agree_with_realpath(tmp_path: Path) -> None:
    """A state keys files by their real path; resolving each folder once must give exactly what
    os.path.realpath gives, through linked folders, linked files and '..'."""
    import os

    from newsdedup.store.incremental import _RealPaths

    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.txt").write_text("a")
    (real / "b.txt").write_text("b")
    (tmp_path / "linked").symlink_to(real)  # a linked folder
    (real / "sub" / "c.txt").symlink_to(real / "b.txt")  # a linked file
    paths = [
        str(real / "sub" / "a.txt"),
        str(tmp_path / "linked" / "sub" / "a.txt"),
        str(tmp_path / "linked" / "sub" / "c.txt"),
        str(tmp_path / "linked" / "sub" / ".." / "b.txt"),
        "samples/reuters-00001.txt",
    ]
    resolve = _RealPaths()
    for path in paths + paths:  # the second time from the folders already resolved
        assert resolve(path) == os.path.realpath(path), path
