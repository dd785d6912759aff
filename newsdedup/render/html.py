"""The ``timeline --format html`` report: one self-contained page (no network, no external
script, style or font) with a time axis of the stories, each story with its sources and merged
text, filters that run in the page, and the run's summary.

It is drawn from the same records as the other formats (:func:`.records.story_record`, and the
text printers' layout: date and relation notes, passage limits); Jinja2 (imported only here, and
only for this format) fills ``templates/report.html.j2`` with autoescaping on, so no text from an input can
become markup. The data the filters read is embedded as JSON with ``<``, ``>`` and ``&`` escaped,
and a Content-Security-Policy lets only the report's own script and style (by their hashes) run.
The output is deterministic: no clock, no random ids (anchors are the story ids).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Skipped
from .records import StoryRecord, story_record
from .safe import term_safe
from .text import layout, size_note

if TYPE_CHECKING:
    from ..merge import Entry

# chart geometry, in SVG user units (the chart is scaled to the page width, and scrolls sideways
# below CHART_MIN_PX so that its labels stay legible on a phone)
CHART_WIDTH = 720
CHART_MARGIN = 36  # room for the first and last tick labels and mark radii
UNDATED_SLOT = 80  # right-hand column for undated stories (they have no place on the axis)
AXIS_HEIGHT = 28  # the axis line and its tick labels under the marks
R_MIN = 6.0  # a single-source story: small, but big enough to tap on a phone
R_STEP = 4.0  # radius grows with the square root of the sources, so area ~ number of sources
R_MAX = 18.0  # caps a story of dozens of sources so that it does not cover its neighbours
LANE_GAP = 4.0  # vertical space between stacked marks of nearby dates
MAX_TICKS = 8  # day labels (~75 units at 13 px) fit 8 to a 720-wide axis
# at most this many lanes of full height: more (a busy week of a big corpus) are squeezed into
# their height, marks overlapping, so the chart stays a band at the page's width (with 30
# lanes it had been drawn four times as tall as wide, then shrunk to a quarter of the width)
MAX_LANES = 6
# the axis covers the bulk of the stories: the days from the 5th to the 95th percentile of
# their first days, widened by that range on each side (at least OUTLIER_DAYS); a few stories
# far outside (pages dated 1997 among 2008 news) go to a column of their own at either end,
# instead of squeezing everything else into one point
OUTLIER_SHARE = 0.05
OUTLIER_DAYS = 30
OUTLIER_MIN_STORIES = 20  # fewer stories than this: every date on the axis


@dataclass
class Mark:
    """One story on the time axis."""

    story: str
    x: float
    y: float
    r: float
    x_end: float  # the last day of a story that spans days (== x otherwise)
    size: int
    label: str  # the tooltip and accessible name: date, sources, headline


@dataclass
class Chart:
    width: int
    height: int
    axis_y: float
    marks: list[Mark]
    ticks: list[tuple[float, str]]
    undated_x: float | None
    axis_from: float
    axis_to: float
    earlier: tuple[float, str] | None = None  # the column of stories before the axis, its label
    later: tuple[float, str] | None = None  # the column of stories after it


def _days(r: StoryRecord) -> tuple[int, int] | None:
    """A story's first and last day as day numbers; None if undated."""
    first = r["first_date"]
    if first is None:
        return None
    last = r["last_date"] or first
    return dt.date.fromisoformat(first[:10]).toordinal(), dt.date.fromisoformat(
        last[:10]
    ).toordinal()


def _radius(size: int) -> float:
    return min(R_MAX, R_MIN + R_STEP * math.sqrt(max(0, size - 1)))


def _nice_step(span: float, steps: Sequence[int]) -> int:
    """The smallest step from ``steps`` giving at most MAX_TICKS ticks over ``span``."""
    for s in steps:
        if span / s <= MAX_TICKS:
            return s
    return steps[-1] * math.ceil(span / (steps[-1] * MAX_TICKS))


def _ticks(lo: int, hi: int) -> list[tuple[int, str]]:
    """Tick days and labels over [lo, hi]: years, months or days, whichever fits the span."""
    a, b = dt.date.fromordinal(lo), dt.date.fromordinal(hi)
    if hi - lo > 3 * 365:
        step = _nice_step(b.year - a.year + 1, (1, 2, 5, 10, 20, 50))
        years = range(a.year + (1 if (a.month, a.day) != (1, 1) else 0), b.year + 1)
        return [(dt.date(y, 1, 1).toordinal(), str(y)) for y in years if y % step == 0]
    if hi - lo > 60:
        months = (b.year - a.year) * 12 + b.month - a.month
        step = _nice_step(months + 1, (1, 2, 3, 6))
        out, y, m = [], a.year, a.month
        if a.day != 1:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        while dt.date(y, m, 1) <= b:
            if (m - 1) % step == 0:
                out.append((dt.date(y, m, 1).toordinal(), f"{y}-{m:02d}"))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    step = _nice_step(hi - lo + 1, (1, 2, 7, 14))
    return [(d, dt.date.fromordinal(d).isoformat()) for d in range(lo, hi + 1, step)]


def _axis_range(spans: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """The days the axis covers: all of them, or the bulk when a few stories lie far out."""
    lo = min(first for first, _ in spans.values())
    hi = max(last for _, last in spans.values())
    firsts = sorted(first for first, _ in spans.values())
    if len(firsts) < OUTLIER_MIN_STORIES:
        return lo, hi
    n = len(firsts) - 1
    q_lo, q_hi = firsts[int(OUTLIER_SHARE * n)], firsts[int((1 - OUTLIER_SHARE) * n)]
    pad = max(q_hi - q_lo, OUTLIER_DAYS)
    inside = [sp for sp in spans.values() if q_lo - pad <= sp[0] <= q_hi + pad]
    # the axis from the first to the last day of the stories kept on it
    return min(f for f, _ in inside), min(hi, max(la for _, la in inside))


def _years(days: list[int]) -> str:
    """A side column's label: the years of its stories (``1987``, ``1985–1987``)."""
    a, b = dt.date.fromordinal(min(days)).year, dt.date.fromordinal(max(days)).year
    return str(a) if a == b else f"{a}–{b}"


def chart(records: Sequence[StoryRecord]) -> Chart:
    """Marks by date (x), stacked in lanes where they would overlap; undated stories in their
    own column at the right, and stories far before or after the bulk in columns of their own
    at either end."""
    spans = {r["story"]: sp for r in records if (sp := _days(r)) is not None}
    undated = [r for r in records if r["story"] not in spans]
    right = CHART_WIDTH - CHART_MARGIN - (UNDATED_SLOT if undated else 0)
    left = CHART_MARGIN
    ticks: list[tuple[float, str]] = []
    xs: dict[str, tuple[float, float]] = {}
    earlier = later = None
    if spans:
        lo, hi = _axis_range(spans)
        before = {k: sp for k, sp in spans.items() if sp[0] < lo}
        after = {k: sp for k, sp in spans.items() if sp[0] > hi}
        if before:
            left += UNDATED_SLOT
            earlier = (CHART_MARGIN + UNDATED_SLOT / 2, _years([f for f, _ in before.values()]))
        if after:
            right -= UNDATED_SLOT
            later = (right + UNDATED_SLOT / 2, _years([f for f, _ in after.values()]))
        span = max(1, hi - lo)

        def x_of(day: int) -> float:
            if hi == lo:
                return (left + right) / 2
            return left + (right - left) * (min(max(day, lo), hi) - lo) / span

        for story, (first_day, last_day) in spans.items():
            if story in before or story in after:
                column = (earlier if story in before else later) or (0.0, "")
                xs[story] = (column[0], column[0])
            else:
                xs[story] = (x_of(first_day), x_of(last_day))
        ticks = [(round(x_of(d), 1), label) for d, label in _ticks(lo, hi)]
    undated_x = right + UNDATED_SLOT / 2 + (UNDATED_SLOT if later else 0) if undated else None
    for r in undated:
        xs[r["story"]] = (undated_x or 0.0, undated_x or 0.0)
    lane_h = 2 * R_MAX + LANE_GAP
    lanes: list[float] = []  # the right edge of the last mark in each lane
    placed: list[tuple[StoryRecord, float, float, float, int]] = []
    for r in sorted(records, key=lambda r: (xs[r["story"]][0], r["story"])):
        x, x_end = xs[r["story"]]
        rad = _radius(r["size"])
        lane = next((i for i, edge in enumerate(lanes) if edge + LANE_GAP <= x - rad), None)
        if lane is None:
            lanes.append(0.0)
            lane = len(lanes) - 1
        lanes[lane] = max(x, x_end) + rad
        placed.append((r, x, x_end, rad, lane))
    shown_lanes = min(MAX_LANES, max(1, len(lanes)))
    # lanes beyond MAX_LANES overlap: the top one where the last full lane would be
    step = lane_h if len(lanes) <= MAX_LANES else lane_h * (MAX_LANES - 1) / (len(lanes) - 1)
    axis_y = LANE_GAP + lane_h * shown_lanes
    marks = []
    for r, x, x_end, rad, lane in placed:
        when = r["date"] or "undated"
        counted = size_note(r["size"], len({src["name"] for src in r["sources"]}))
        label = term_safe(f"{when} · {counted} · {r['headline']}")
        y = axis_y - lane_h / 2 - lane * step
        marks.append(Mark(r["story"], round(x, 1), round(y, 1), round(rad, 1),
                          round(x_end, 1), r["size"], label))  # fmt: skip
    marks.sort(key=lambda m: m.story)
    return Chart(CHART_WIDTH, round(axis_y + AXIS_HEIGHT), axis_y, marks, ticks, undated_x,
                 left - R_MIN, right + R_MIN, earlier, later)  # fmt: skip


def json_for_script(data: object) -> str:
    """JSON safe inside a ``<script type="application/json">`` element: ``<``, ``>`` and ``&``
    as \\u escapes, so no ``</script>`` or ``<!--`` from an input can end or alter the element
    (and U+2028/U+2029, which older JavaScript parsers take for line ends)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for ch in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


def csp_source(text: str) -> str:
    """A CSP source expression allowing exactly this inline script or style element (its
    characters are quotes, letters, digits and ``+/=``: nothing to escape)."""
    import markupsafe

    digest = hashlib.sha256(str(text).encode("utf-8")).digest()
    return markupsafe.Markup("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")


def _story_view(entry: Entry, rec: StoryRecord, full: bool) -> dict[str, object]:
    """What the template shows of one story: its record, with the text printers' notes beside
    each source, how many passages are shown by default, and the names the filters offer."""
    lay = layout(entry, full)
    names = {s["tag"]: s["name"] for s in rec["sources"]}
    sources = [
        {**src, "date_note": line.date_note, "relation_note": line.relation}
        for src, line in zip(rec["sources"], lay.sources, strict=True)
    ]
    passages = [{**p, "names": [names[t] for t in p["sources"]]} for p in rec["passages"]]
    return {**rec, "sources": sources, "passages": passages, "shown": len(lay.passages),
            "counted": lay.counted, "filter_names": filter_names(rec)}  # fmt: skip


def filter_names(rec: StoryRecord) -> list[str]:
    """The names a reader can filter a story by: its sources' names, outlets and agencies."""
    return sorted(
        {term_safe(v) for s in rec["sources"] for v in (s["name"], s["outlet"], s["agency"]) if v}
    )


def timeline_html(
    entries: Sequence[Entry],
    articles: int,
    skipped: Sequence[Skipped],
    passed_over: int = 0,
    full: bool = False,
) -> Iterator[str]:
    """The report, written as the template produces it."""
    import jinja2
    import markupsafe

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("newsdedup.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["t"] = lambda v: term_safe("" if v is None else str(v))
    env.filters["csp_source"] = csp_source
    records = [story_record(e) for e in entries]
    stories = [_story_view(e, r, full) for e, r in zip(entries, records, strict=True)]
    names = sorted({n for r in records for n in filter_names(r)})
    data = {
        "stories": [
            {"id": r["story"], "first": r["first_date"], "last": r["last_date"],
             "size": r["size"], "names": filter_names(r)}
            for r in records
        ],
    }  # fmt: skip
    days = sorted({d for r in records for d in (r["first_date"], r["last_date"]) if d})
    summary = {
        "articles": articles,
        "stories": len(records),
        "several": sum(1 for r in records if r["size"] > 1),
        "sources": len({src["name"] for r in records for src in r["sources"]}),
        "skipped": [{"path": k.path, "reason": k.reason} for k in skipped],
        "passed_over": passed_over,
        "first": days[0] if days else None,
        "last": days[-1] if days else None,
    }
    template = env.get_template("report.html.j2")
    yield from template.generate(
        stories=stories,
        names=names,
        chart=chart(records),
        summary=summary,
        data=markupsafe.Markup(json_for_script(data)),
        full=full,
    )
