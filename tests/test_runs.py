"""Two runs in one process (a notebook, a server) are as two processes: no run leaves state
behind that changes another's output."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from newsdedup import Settings, find_stories
from newsdedup.background import BULK_LOAD_TERMS
from newsdedup.pipeline import load
from newsdedup.render.records import pair_records
from newsdedup.render.writers import write_jsonl
from newsdedup.sketch import build_features, weigh_terms

from .conftest import ROOT, SAMPLES, need_shared, newsdedup_exe


def _in_process(paths: list[Path], settings: Settings) -> str:
    out = io.StringIO()
    write_jsonl(out, pair_records(find_stories([str(p) for p in paths], settings)))
    return out.getvalue()


def _in_a_process(paths: list[Path], *options: str) -> str:
    cmd = [newsdedup_exe(), "pairs", "-q", "-f", "jsonl", *options, *map(str, paths)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_two_runs_in_one_process_give_what_two_processes_give() -> None:
    """A small run (terms looked up one by one, one job) and a large one with other settings
    (the whole word list, worker processes), then the small one again, in one process."""
    small = [SAMPLES]
    large = [need_shared() / "meter-dev", need_shared() / "bbc-2005"]  # over 25,000 terms
    settings_a = Settings()
    settings_b = Settings(threshold=0.3, window_days=3, shingle_size=4, level="storyline", jobs=2)
    # the two runs look up the language each its own way
    for paths, settings, bulk in ((small, settings_a, False), (large, settings_b, True)):
        articles = load([str(p) for p in paths], settings).articles
        table = build_features(articles, settings.shingle_size)
        assert weigh_terms(table).language.bulk is bulk, (paths, BULK_LOAD_TERMS)
    a_first = _in_process(small, settings_a)
    b = _in_process(large, settings_b)
    a_again = _in_process(small, settings_a)
    assert a_first == a_again == _in_a_process(small)
    assert b == _in_a_process(
        large, "--threshold", "0.3", "--window", "3", "--shingle-size", "4", "--level", "storyline"
    )
    assert a_first.count("\n") > 0 and b.count("\n") > a_first.count("\n")
