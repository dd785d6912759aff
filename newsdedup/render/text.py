"""The human formats: ``inspect`` and ``clusters`` as text, and the timeline as text (coloured
on a terminal: the same lines with SGR styles), markdown or brief lines. Human text is made safe for a terminal: no control character
from an article reaches it.

The timeline printers share one layout (:func:`layout`): what a story shows — its date,
headline, source lines, the passages within the default limits, how many are hidden — is
decided once; each printer only draws it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import ARTICLE_FIELDS, Article, Field, FieldSource
from .records import cluster_record
from .safe import md_safe, term_safe

if TYPE_CHECKING:
    from ..merge import Entry, Source
    from ..pipeline import Result

# ---------------------------------------------------------------------------------------------
# inspect


def inspect_text(articles: Iterable[Article]) -> Iterator[str]:
    """Plain-text report of each article's fields, body and removed text (safe for terminals)."""
    for a in articles:
        yield f"== {term_safe(a.path)}\n"
        yield f"   encoding: {a.doc.encoding} ({a.doc.encoding_note})" + (
            "; markup removed\n" if a.doc.markup_removed else "\n"
        )
        for name in ARTICLE_FIELDS:
            f: Field = getattr(a, name)
            if f.value is None and f.source is None:
                continue
            value = "(ambiguous)" if f.source == FieldSource.AMBIGUOUS else term_safe(f.value or "")
            ev = f" ← {term_safe(f.evidence)!s}" if f.evidence and f.evidence != f.value else ""
            yield f"   {name:9s} {value}  [{f.source}{ev}]\n"
        yield f"   body: {len(a.body)} paragraphs\n"
        for p in a.body:
            yield f"     | {term_safe(p)}\n"
        for r in a.removed:
            yield f"     - removed ({r.kind}): {term_safe(r.text)}\n"
        yield "\n"


# ---------------------------------------------------------------------------------------------
# clusters


def clusters_text(result: Result) -> Iterator[str]:
    """Human-readable grouping: a line per story, an indented line per article."""
    arts = result.corpus.articles
    for story in result.stories:
        base = arts[story.base]
        names = {arts[m].source_name() for m in story.members}
        counted = size_note(len(story.members), len(names))
        yield f"{story.id}  {counted}  {term_safe(base.headline.value or '')}\n"
        for m in story.members:
            rec = cluster_record(result, story, m)
            score = "" if rec["score"] is None else f" {rec['score']:.2f}"
            who = arts[m].publisher() or "-"
            yield f"  {rec['date'] or '-':<23} {term_safe(who):<16} {rec['kind'] or '-'}{score}  {term_safe(rec['path'])}\n"


# ---------------------------------------------------------------------------------------------
# timeline: one layout, three printers

#: by default a story shows at most this many passages: a screenful or two of the merged text;
#: --full shows all
DEFAULT_PASSAGES = 40
#: ... and a story of a single source its first few (its lead), as there is nothing to compare
DEFAULT_SINGLE = 3
#: a passage only one source of several has is cut to this many characters by default: the
#: shared text is the story, the rest a hint of what that source added
DEFAULT_UNIQUE_CHARS = 160
#: characters of the headline column in --brief (with date, id and count: one 120-column line)
BRIEF_HEADLINE = 60


@dataclass(frozen=True)
class SourceLine:
    """One source as the printers show it (raw text: each printer escapes it)."""

    tag: str
    name: str
    date_note: str  # its date and where it came from ("no date" if none)
    relation: str  # "base", or the link kind and score
    path: str
    inferred: bool  # its date is inferred from the story
    base: bool


@dataclass(frozen=True)
class PassageLine:
    tags: list[str]
    text: str  # cut short (``…``) where the defaults say so
    shared: bool  # carried by more than one source
    variants: list[tuple[str, str]]  # (tag, wording) where a source's wording differs


@dataclass(frozen=True)
class StoryLayout:
    """What one timeline entry shows, decided once for every printer."""

    when: str  # the story's date, first/last for a range, or "undated"
    headline: str
    story: str
    size: int
    dates_differ: list[str]  # the distinct dates when its articles disagree, else empty
    sources: list[SourceLine]
    passages: list[PassageLine]  # those shown
    hidden: int  # passages left out by the defaults

    @property
    def single(self) -> bool:
        return self.size == 1

    @property
    def counted(self) -> str:
        """``4 articles from 3 sources``: articles and the distinct sources (outlet, else
        agency) among them, so that two Reuters reprints read as one source's two articles."""
        return size_note(self.size, len({s.name for s in self.sources}))

    @property
    def name_width(self) -> int:
        return max(len(s.name) for s in self.sources)


def size_note(articles: int, sources: int) -> str:
    """``1 article``, ``2 articles from 1 source``, ``4 articles from 3 sources``."""
    if articles == 1:
        return "1 article"
    return f"{articles} articles from {sources} source{'' if sources == 1 else 's'}"


def date_note(s: Source) -> str:
    d = s.date
    if d.value is None:
        return "no date"
    if d.source == FieldSource.INFERRED:
        return f"{d.value[:10]} (inferred: {d.evidence})"
    return f"{d.value} ({d.source})"


def relation_note(s: Source) -> str:
    return "base" if s.relation is None else f"{s.relation.kind} {s.relation.score:.2f}"


def _clip(text: str, full: bool, shared: bool) -> str:
    """By default, in a story of several sources, a passage only one of them has is cut short."""
    if full or shared or len(text) <= DEFAULT_UNIQUE_CHARS:
        return text
    return text[: DEFAULT_UNIQUE_CHARS - 1].rsplit(" ", 1)[0] + " …"


def layout(entry: Entry, full: bool = False) -> StoryLayout:
    """The entry as the printers show it: by default at most 40 passages (a single-source
    story its first three), a passage only one of several sources has cut at 160 characters."""
    single = len(entry.sources) == 1
    limit = DEFAULT_SINGLE if single else DEFAULT_PASSAGES
    shown = entry.passages if full else entry.passages[:limit]
    return StoryLayout(
        when=entry.date or "undated",
        headline=entry.headline,
        story=entry.story.id,
        size=len(entry.sources),
        dates_differ=entry.dates if entry.conflicting_dates else [],
        sources=[
            SourceLine(
                s.tag,
                s.name,
                date_note(s),
                relation_note(s),
                s.article.path,
                s.date.source == FieldSource.INFERRED,
                s.relation is None,
            )
            for s in entry.sources
        ],
        passages=[
            PassageLine(
                p.sources,
                _clip(p.text, full, len(p.sources) > 1 or single),
                len(p.sources) > 1,
                list(p.variants.items()) if full else [],
            )
            for p in shown
        ],
        hidden=len(entry.passages) - len(shown),
    )


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters (with …) and padded to it: a fixed column."""
    if len(text) > width:
        text = text[: width - 1].rstrip() + "…"
    return f"{text:<{width}}"


def timeline_brief(entries: Iterable[Entry]) -> Iterator[str]:
    """One line per story in fixed columns: date (or first/last), story id, articles, headline
    (cut to 60 characters), then the sources."""
    for e in entries:
        names = ", ".join(dict.fromkeys(s.name for s in e.sources))
        headline = _fit(term_safe(e.headline), BRIEF_HEADLINE)
        yield (
            f"{e.date or 'undated':<21}  {e.story.id}  {len(e.sources):>3}×  {headline}  "
            + term_safe(f"[{names}]")
            + "\n"
        )


def storyline_heads(entries: Sequence[Entry]) -> list[str | None]:
    """For each entry, the heading of its storyline if the entry opens a storyline of several
    events in the timeline (its events follow one another), else None."""
    line = [e.story.storyline or e.story.id for e in entries]
    count: dict[str, int] = {}
    for k in line:
        count[k] = count.get(k, 0) + 1
    heads: list[str | None] = []
    for n, k in enumerate(line):
        opens = count[k] > 1 and (n == 0 or line[n - 1] != k)
        heads.append(f"storyline {k} · {count[k]} stories" if opens else None)
    return heads


#: SGR codes of the styles the coloured timeline uses (emphasis only: the tags carry the meaning)
_SGR = {"date": "1;36", "headline": "1", "dim": "2", "tag": "35", "shared": "1;35",
        "differ": "1;31", "variant": "2;3"}  # fmt: skip


def _paint(color: bool) -> Callable[[str, str], str]:
    """``paint(text, style)``: the text in an SGR style when ``color``, else as it is. Styles
    are applied to the lines the plain layout made, so colour never changes the layout."""

    def paint(text: str, style: str) -> str:
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m" if color and text else text

    return paint


def timeline_text(
    entries: Iterable[Entry],
    full: bool = False,
    width: int = 100,
    wrap_sources: bool = False,
    color: bool = False,
) -> Iterator[str]:
    """Plain text: shared and unique passages told apart by their tags; the events of one
    storyline follow one another under a ``== storyline`` heading. On a terminal
    (``wrap_sources``, ``width`` its columns) a long source line wraps under itself, not to
    column 0. ``color`` adds SGR styles to the same lines: the layout, widths and wrapping are
    those of the plain text, byte for byte once the escapes are removed."""
    paint = _paint(color)
    entries = list(entries)
    heads = storyline_heads(entries)
    for n, e in enumerate(entries):
        lay = layout(e, full)
        if n:
            yield "\n"
        if heads[n]:
            yield paint(f"== {heads[n]}", "shared") + "\n\n"
        when = term_safe(lay.when)
        head = f"{when}  {term_safe(lay.headline)}"
        lines = [head]
        if wrap_sources and len(head) > width:
            lines = textwrap.wrap(head, width, subsequent_indent=" " * (len(when) + 2))
        for i, line in enumerate(lines):
            if i == 0 and line.startswith(when):
                line = paint(when, "date") + paint(line[len(when) :], "headline")
            else:
                line = paint(line, "headline")
            yield line + "\n"
        yield paint(f"  story {lay.story} · {lay.counted}", "dim") + "\n"
        if lay.dates_differ:
            yield paint(f"  ! dates differ: {', '.join(lay.dates_differ)}", "differ") + "\n"
        w = lay.name_width
        for s in lay.sources:
            tag = f"  [{s.tag}]"
            line = term_safe(f"{tag} {s.name:<{w}}  {s.date_note}  {s.relation}  {s.path}")
            parts = [line]
            if wrap_sources and len(line) > width:
                indent = " " * (len(s.tag) + 5)
                parts = textwrap.wrap(
                    line, width, subsequent_indent=indent, break_long_words=True,
                    break_on_hyphens=False, drop_whitespace=True,
                )  # fmt: skip
            first = parts[0]
            yield paint(tag, "shared") + first[len(tag) :] + "\n"
            for part in parts[1:]:
                yield part + "\n"
        tagw = max((len(" ".join(p.tags)) for p in lay.passages), default=1)
        for p in lay.passages:
            prefix = f"  [{' '.join(p.tags):<{tagw}}] "
            plain = p.shared or lay.single
            lines = _wrap(term_safe(p.text), width, prefix, " " * len(prefix))
            for i, line in enumerate(lines):
                lead = (prefix if i == 0 else " " * len(prefix)) if line else ""
                body = line[len(lead) :]
                yield (
                    paint(lead, "shared" if p.shared else "tag")
                    + (body if plain else paint(body, "dim"))
                    + "\n"
                )
            for tag, variant in p.variants:
                sub = " " * len(prefix) + f"~{tag}: "
                for line in _wrap(term_safe(variant), width, sub, " " * len(sub)):
                    yield paint(line, "variant") + "\n"
        if lay.hidden:
            yield paint(f"  … {lay.hidden} more passage(s); --full shows all", "dim") + "\n"


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``textwrap.fill``'s lines (an empty text: one empty line, as ``fill`` gives)."""
    if width > 0 and not _WRAP_SLOW.search(text):
        return _wrap_words(text, width, first, rest) or [""]
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest) or [""]


#: what only textwrap's own splitting handles: hyphens (it breaks after them) and whitespace
#: other than the space (it expands tabs and turns line ends into spaces)
_WRAP_SLOW = re.compile(r"[-\t\n\x0b\x0c\r]")
_WORDS = re.compile(r" +|[^ ]+")


def _wrap_words(text: str, width: int, first: str, rest: str) -> list[str]:
    """``textwrap.wrap`` with its default options, for a text without hyphens whose only
    whitespace is the space: then textwrap's chunks are the runs of spaces and of the rest,
    and its lines are filled as here (a timeline's text spends most of its writing in
    textwrap's word-splitting pattern; this one is a few times cheaper)."""
    chunks = _WORDS.findall(text)
    chunks.reverse()
    lines: list[str] = []
    while chunks:
        indent = rest if lines else first
        room = width - len(indent)
        if lines and chunks[-1].strip() == "":
            del chunks[-1]  # a line after the first starts with no space
        line: list[str] = []
        used = 0
        while chunks and used + len(chunks[-1]) <= room:
            used += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and len(chunks[-1]) > room:  # a word longer than a line is cut
            word = chunks[-1]
            if not word:  # the rest of a cut word, with no room left: textwrap loops forever
                chunks.pop()
            else:
                cut = 1 if room < 1 else room - used
                line.append(word[:cut])
                chunks[-1] = word[cut:]
        if line and line[-1].strip() == "":
            del line[-1]  # nor ends with one
        if line:
            lines.append(indent + "".join(line))
    return lines


def timeline_markdown(entries: Iterable[Entry], full: bool = False) -> Iterator[str]:
    """A report to paste into a ticket or a newsletter."""
    yield "# News timeline\n\n"
    yield "Passages are tagged with the sources that carry them; a single tag marks a passage only that source has.\n"
    entries = list(entries)
    heads = storyline_heads(entries)
    for n, e in enumerate(entries):
        lay = layout(e, full)
        if (head := heads[n]) is not None:
            yield f"\n**{head.capitalize()}**\n"
        yield f"\n## {lay.when} — {md_safe(lay.headline)}\n\n"
        yield f"Story `{lay.story}`, {lay.counted}"
        yield (
            f"; **dates differ**: {', '.join(lay.dates_differ)}.\n\n"
            if lay.dates_differ
            else ".\n\n"
        )
        yield "| tag | source | date | relation | file |\n|---|---|---|---|---|\n"
        for s in lay.sources:
            yield f"| {s.tag} | {md_safe(s.name)} | {md_safe(s.date_note)} | {s.relation} | `{s.path.replace('`', '')}` |\n"
        yield "\n"
        for p in lay.passages:
            tags = ", ".join(p.tags)
            text = md_safe(p.text)
            yield (f"- **[{tags}]** {text}\n" if p.shared else f"- [{tags}] {text}\n")
        if lay.hidden:
            yield f"- … {lay.hidden} more passage(s)\n"
