"""The library API: what a notebook user calls, without the command line."""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import newsdedup
from newsdedup import FieldSource, LinkKind, SettingError, Settings, find_stories

from .conftest import ROOT, SAMPLES


def test_the_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the example names samples/ from the project's folder
    failed, tried = doctest.testmod(newsdedup, optionflags=doctest.ELLIPSIS)
    assert tried >= 5 and failed == 0


def test_a_run_over_samples_needs_no_index_lookups() -> None:
    result = find_stories([str(SAMPLES)])
    assert len(result.articles) == 15 and result.skipped == []
    sizes = sorted(len(result.articles_of(s)) for s in result.stories)
    assert sizes[-1] == 4 and sum(sizes) == len(result.articles)
    for story in result.stories:
        members = result.articles_of(story)
        assert members[0] is result.base_of(story)
        assert result.link_to_base(story, members[0]) is None
        for art in members[1:]:
            link = result.link_to_base(story, art)
            assert link is not None and isinstance(link.kind, LinkKind)
    entries = result.timeline(dups_only=True)
    several = [s for s in result.stories if len(result.articles_of(s)) > 1]
    assert sorted(e.story.id for e in entries) == sorted(s.id for s in several)
    assert all(len(e.sources) > 1 for e in entries)


def test_enums_keep_the_strings_of_the_output_formats() -> None:
    assert LinkKind.SHARED_PASSAGES == "shared passages"
    assert json.dumps({"kind": LinkKind.SAME_FACTS}) == '{"kind": "same facts"}'
    assert f"{FieldSource.INFERRED}" == "inferred"
    assert {k.value for k in LinkKind} == {
        "reprint", "shared passages", "same facts", "flash", "same slug", "same event", "shared background", "same storyline",
    }  # fmt: skip


def test_a_bad_setting_names_the_setting_not_a_flag() -> None:
    with pytest.raises(SettingError) as err:
        Settings(num_perm=4)
    assert err.value.setting == "num_perm" and "--" not in str(err.value)


def test_importing_the_cli_leaves_the_heavy_modules_unloaded() -> None:
    """The command line starts fast: numpy, datasketch, trafilatura, jinja2 and rich's progress
    machinery are imported by the commands that need them, not by ``import newsdedup.cli``."""
    heavy = ("numpy", "scipy", "datasketch", "trafilatura", "jinja2", "rich.progress")
    code = f"import sys, newsdedup.cli; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_a_small_run_imports_no_pool_or_state_backend(tmp_path: Path) -> None:
    """A run over a few plain files starts no pool of workers and keeps no state: it imports
    neither multiprocessing nor a state's backend (SQLite, Redis), a few milliseconds of every
    start each; it reads through the store in memory that every run without a state has."""
    (tmp_path / "a.txt").write_text("PARIS - A wire story.\n\nIt goes on here.\n", "utf-8")
    (tmp_path / "b.txt").write_text("Date: 9 April 2024\n\nLONDON - Another one.\n", "utf-8")
    unused = ("multiprocessing", "newsdedup.store.sqlite", "newsdedup.store.redis", "sqlite3")
    code = (
        "import contextlib, sys\nfrom newsdedup.cli import main\n"
        f"sys.argv = ['newsdedup', 'clusters', '-q', '-f', 'jsonl', {str(tmp_path)!r}]\n"
        "with contextlib.suppress(SystemExit):\n    main()\n"
        f"print(sorted(m for m in {unused!r} if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.count("\n") == 2  # both articles were read and clustered
    assert out.stderr.strip() == "[]"


def test_the_package_is_typed() -> None:
    assert (Path(newsdedup.__file__).parent / "py.typed").exists()


def test_matching_pauses_the_cyclic_collector_and_turns_it_back_on() -> None:
    """Matching and clustering run with the cyclic collector paused (they make no reference
    cycles, and each collection would walk the whole corpus), and a caller's collector is on
    again afterwards, also when the stage fails."""
    import gc

    from newsdedup.pipeline import find_stories_in, load

    seen: list[bool] = []
    corpus = load([str(SAMPLES)], Settings())
    assert gc.isenabled()
    result = find_stories_in(corpus, Settings(), progress=lambda *_: seen.append(gc.isenabled()))
    assert result.stories and seen and not any(seen)
    assert gc.isenabled()

    def fail(*_: object) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        find_stories_in(load([str(SAMPLES)], Settings()), Settings(), progress=fail)
    assert gc.isenabled()
