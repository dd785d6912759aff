"""One pipeline over a store: a run without a state reads through a memory store made for it,
a stored run through the same planner and reader (with --jobs workers), and links saved by
field name come back as they were."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from newsdedup.model import Field, Link, LinkKind
from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import Settings
from newsdedup.store import MemoryStore, open_store
from newsdedup.store.incremental import _link, _link_data

from .conftest import run_cli

STORY = (
    "The harbour authority said on Tuesday that the northern pier would close for repairs "
    "until the end of the summer, and that ferries would use the southern berth meanwhile."
)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_run_without_state_reads_through_its_own_memory_store_in_the_order_named(
    tmp_path: Path,
) -> None:
    b = [_write(tmp_path / "b", f"{n}.txt", f"{STORY} Item {n}.") for n in ("2", "10")]
    a = [_write(tmp_path / "a", "1.txt", "A different report on the grain harvest in the east.")]
    settings = Settings()
    corpus = load([str(tmp_path / "b"), str(tmp_path / "a")], settings)
    assert isinstance(corpus.store, MemoryStore) and corpus.for_this_run
    # as found: the folders in the order named, each in byte order of names (not walk order
    # over both, which a kept store gives)
    assert [art.doc.path for art in corpus.articles] == [str(p) for p in (b[1], b[0], a[0])]
    assert corpus.store.holds_lock  # from reading the corpus until its stories are found
    result = find_stories_in(corpus, settings)
    assert not corpus.store.holds_lock
    assert result.changed is None  # nothing was stored before: nothing is new "since"
    assert sorted(len(s.members) for s in result.stories) == [1, 2]


def test_stored_run_reads_with_jobs_and_equals_one_job_and_batch(
    tmp_path: Path, data: Path
) -> None:
    # more files than a run reads in its own process (pipeline.READ_MIN_FILES): workers read
    corpus = tmp_path / "wire"
    corpus.mkdir()
    for src in sorted((data / "reuters-dev").iterdir())[:320]:
        shutil.copy2(src, corpus / src.name)
    outs = {}
    for label, extra in (
        ("state -j2", ["--state", str(tmp_path / "two.db"), "-j2"]),
        ("state -j1", ["--state", str(tmp_path / "one.db"), "-j1"]),
        ("batch -j2", ["-j2"]),
    ):
        done = run_cli("clusters", "-q", "-f", "jsonl", *extra, str(corpus))
        assert done.returncode == 0, done.stderr
        outs[label] = done.stdout
    assert outs["state -j2"] == outs["state -j1"] == outs["batch -j2"]
    assert len(outs["batch -j2"].splitlines()) == 320
    with open_store(state=str(tmp_path / "two.db"), settings=Settings()) as store:
        assert store is not None and store.stats()["articles"] == 320


def test_saved_links_are_read_back_by_field_name() -> None:
    link = Link(
        3, 9, LinkKind.SAME_EVENT, 0.625, 0.25, 0.5, 2, 0.75, ("Harbour", "1987"), 0.9, None
    )
    data = _link_data(link)
    saved = json.loads(data)
    assert isinstance(saved, dict) and "a" not in saved and "b" not in saved
    assert saved["kind"] == "same event" and saved["p_storyline"] is None
    assert _link(3, 9, data) == link
    # the order the fields are written in does not matter: each is read by its name
    shuffled = json.dumps(dict(reversed(list(saved.items()))))
    assert _link(3, 9, shuffled) == link


def test_a_shared_memory_store_hands_out_articles_a_run_cannot_change(tmp_path: Path) -> None:
    from newsdedup.store import MemorySpace

    folder = tmp_path / "news"
    _write(folder, "1.txt", STORY)
    settings = Settings()
    space = MemorySpace()  # kept by the caller across runs, as a state file is
    first = load([str(folder)], settings, MemoryStore(settings, space))
    first.articles[0].body.append("a paragraph the first run added")
    first.articles[0].outlet = Field("Changed by the run", "inferred")
    find_stories_in(first, settings)
    second = load([str(folder)], settings, MemoryStore(settings, space))
    assert second.articles[0].body == [STORY] and second.fresh == set()  # not read again
    assert second.articles[0].outlet.value != "Changed by the run"
    assert find_stories_in(second, settings).changed == set()  # nothing new since the first
