"""The merged, source-annotated timeline: seed criteria, filters, formats, terminal safety."""

from __future__ import annotations

import csv
import io
import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsdedup.merge import build_entry, sentence_units, timeline
from newsdedup.pipeline import find_stories_in, load
from newsdedup.render.text import _wrap
from newsdedup.settings import Settings
from newsdedup.sketch import TokenHasher, sentences, shingle_hashes, tokens
from newsdedup.tuning import TUNING

from .conftest import ROOT, run_cli
from .test_cli import _golden

QUOTE = (
    "Beijing and Moscow will continue to strengthen strategic cooperation on the world stage "
    "and provide each other with strong support"
)
SAMPLES_ARGS = ["-g", "!README.md", "samples"]


def _seed_entries(data: Path):
    s = Settings()
    return timeline(find_stories_in(load([str(data / "seeds")], s), s))


def test_seed_pair_is_one_dated_story_with_both_sources(data: Path) -> None:
    (entry,) = _seed_entries(data)
    assert entry.date == "2024-04-09"
    names = {s.name: s for s in entry.sources}
    assert set(names) == {"AFP", "The Moscow Times"}
    mt = names["The Moscow Times"]
    assert mt.date.value == "2024-04-09" and mt.date.source == "inferred"
    assert "Tuesday" in (mt.date.evidence or "")
    assert names["AFP"].date.source == "header"


def test_seed_quote_appears_once_attributed_to_both(data: Path) -> None:
    (entry,) = _seed_entries(data)
    carrying = [
        p for p in entry.passages if QUOTE in p.text or any(QUOTE in v for v in p.variants.values())
    ]
    assert len(carrying) == 1
    assert sorted(carrying[0].sources) == ["A", "B"]


def test_no_donation_appeal_in_any_format(data: Path) -> None:
    for fmt in ("text", "json", "jsonl", "csv", "markdown"):
        r = run_cli("timeline", "--full", "-f", fmt, str(data / "seeds"))
        assert r.returncode == 0, r.stderr
        for phrase in (
            "Dear readers",
            "Remind me later",
            "undesirable",
            "support us monthly",
            "A Message from",
        ):
            assert phrase not in r.stdout, (fmt, phrase)


def test_json_schema_and_passages(data: Path) -> None:
    r = run_cli("timeline", "-f", "json", str(data / "seeds"))
    doc = json.loads(r.stdout)
    assert doc["schema_version"] == 2 and doc["command"] == "timeline" and doc["skipped"] == []
    (story,) = doc["stories"]
    assert story["date"] == "2024-04-09" and story["size"] == 2
    shared = [p for p in story["passages"] if len(p["sources"]) == 2]
    assert shared and all(
        p["variants"] for p in shared if "strengthen strategic cooperation on" in p["text"]
    )


def test_dups_only_and_date_filters() -> None:
    lines = run_cli("timeline", "--brief", *SAMPLES_ARGS).stdout.splitlines()
    dups = run_cli("timeline", "--brief", "--dups-only", *SAMPLES_ARGS).stdout.splitlines()
    assert len(lines) == 8 and len(dups) == 5
    assert all(" 1×" not in ln for ln in dups)
    recent = run_cli(
        "timeline", "--brief", "--since", "1999-01-01", *SAMPLES_ARGS
    ).stdout.splitlines()
    assert [ln[:10] for ln in recent] == ["1999-07-12", "2000-06-21", "2024-04-09"]
    old = run_cli("timeline", "--brief", "--until", "1987-02-26", *SAMPLES_ARGS).stdout.splitlines()
    assert len(old) == 2 and all(ln.startswith("1987-02-26") for ln in old)
    bad = run_cli("timeline", "--since", "yesterday", "samples")
    assert bad.returncode == 2 and "--since: not a date" in bad.stderr


def test_colour_only_when_asked_or_on_a_terminal() -> None:
    plain = run_cli("timeline", *SAMPLES_ARGS)
    assert "\x1b[" not in plain.stdout  # piped: plain text
    forced = run_cli("timeline", "--color", "always", *SAMPLES_ARGS)
    assert "\x1b[" in forced.stdout
    env = {**os.environ, "NO_COLOR": "1"}
    assert "\x1b[" not in run_cli("timeline", "--color", "auto", *SAMPLES_ARGS, env=env).stdout
    assert (
        "\x1b[" not in run_cli("timeline", "--color", "always", "--no-color", *SAMPLES_ARGS).stdout
    )


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv", "json"])
def test_article_text_cannot_take_over_the_terminal(tmp_path: Path, fmt: str) -> None:
    hostile = (
        "[bold red]FAKE[/bold red] Officials said the \x1b[31mred\x1b[0m bridge \x1b]0;pwned\x07 opened "
        'today. =HYPERLINK("http://x") was typed. \x07Bell and \x08backspace.\n'
    )
    (tmp_path / "a.txt").write_text(hostile)
    for color in ("always", "never"):
        r = run_cli("timeline", "--full", "-f", fmt, "--color", color, str(tmp_path))
        assert r.returncode == 0, r.stderr
        body = r.stdout.replace("\x1b[0m", "").replace("\x1b[1m", "")
        assert "\x1b]0;" not in r.stdout and "\x07" not in r.stdout and "\x08" not in r.stdout
        assert "31m" not in body
        assert "[bold red]FAKE" in r.stdout or "\\[bold red\\]FAKE" in r.stdout  # shown, not obeyed
    if fmt == "csv":
        rows = list(
            csv.DictReader(io.StringIO(run_cli("timeline", "-f", "csv", str(tmp_path)).stdout))
        )
        assert rows and not rows[0]["headline"].startswith("=")


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["timeline", *SAMPLES_ARGS], "timeline.txt"),
        (["timeline", "--full", *SAMPLES_ARGS], "timeline-full.txt"),
        (["timeline", "--brief", *SAMPLES_ARGS], "timeline-brief.txt"),
        (["timeline", "-f", "json", *SAMPLES_ARGS], "timeline.json"),
        (["timeline", "-f", "jsonl", *SAMPLES_ARGS], "timeline.jsonl"),
        (["timeline", "-f", "csv", *SAMPLES_ARGS], "timeline.csv"),
        (["timeline", "-f", "markdown", *SAMPLES_ARGS], "timeline.md"),
    ],
)
def test_timeline_golden(args: list[str], name: str) -> None:
    r = run_cli(*args, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    _golden(name, r.stdout)


def test_events_of_one_storyline_follow_each_other_under_its_heading() -> None:
    """At the event level, a storyline of several events is one heading with its events after
    it (the Beckham book story and the Independent's piece on Beckham's week); at the
    storyline level it is one story and there is no heading."""
    text = run_cli("timeline", "samples").stdout
    blocks = text.split("\n\n")
    at = next(n for n, b in enumerate(blocks) if b.startswith("== storyline"))
    assert blocks[at] == "== storyline s41394a7529 · 2 stories"
    events = [b.splitlines()[1] for b in blocks[at + 1 : at + 3]]
    assert events == [
        "  story s41394a7529 · 2 articles from 2 sources",
        "  story sce056440da · 1 article",
    ]
    line = run_cli("timeline", "--level", "storyline", "samples").stdout
    assert "== storyline" not in line and "story s41394a7529 · 3 articles from 3 sources" in line
    rows = [
        json.loads(x) for x in run_cli("timeline", "-f", "jsonl", "samples").stdout.splitlines()
    ]
    assert {r["story"]: r["storyline"] for r in rows}["sce056440da"] == "s41394a7529"


@hsettings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab é-\u00a0\t\n")), max_size=60),
    width=st.integers(1, 30),
    first=st.integers(0, 12),
    rest=st.integers(0, 12),
)
def test_the_quick_wrap_fills_lines_as_textwrap_does(
    text: str, width: int, first: int, rest: int
) -> None:
    """Passages are wrapped without textwrap's word-splitting pattern where it is not needed
    (no hyphen, no whitespace but spaces); the lines are textwrap's all the same."""
    if first >= width:  # textwrap loops forever on a leading space it has no room for
        first = width - 1
    ind, sub = " " * first, " " * rest
    want = textwrap.wrap(text, width, initial_indent=ind, subsequent_indent=sub) or [""]
    assert _wrap(text, width, ind, sub) == want


def test_sentences_are_shingled_in_bulk_as_one_by_one(data: Path) -> None:
    """The merge stage shingles every sentence of a block of stories at once: the same word
    shingles as each sentence on its own, the same passages as each story on its own."""
    s = Settings()
    result = find_stories_in(load([str(data / "meter-dev")], s), s)
    articles = result.corpus.articles
    units = sentence_units(articles, TokenHasher())
    hasher = TokenHasher()
    for art, own in zip(articles, units, strict=True):
        assert [u[0] for u in own] == [x for p in art.body for x in (sentences(p) or [p])]
        for sent, sh in own:
            one = shingle_hashes(hasher(tokens(sent)), TUNING.passage_shingle)
            assert sh.dtype == one.dtype and sh.tobytes() == one.tobytes()
    calls: list[tuple[str, int, int]] = []
    entries = timeline(result, progress=lambda *c: calls.append(c))
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)
    assert calls[-1] == ("merge", len(result.stories), len(result.stories))
    by_id = {e.story.id: e for e in entries}
    several = [st_ for st_ in result.stories if len(st_.members) > 2]
    assert several
    for story in several:
        alone = build_entry(story, articles)  # the story's sentences shingled on their own
        assert alone.passages == by_id[story.id].passages
