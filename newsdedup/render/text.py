"""The human formats: ``inspect`` and ``clusters`` as text, and the timeline as text, markdown
or a rich terminal rendering. Human text is made safe for a terminal: no control character
from an article reaches it.

The three timeline printers share one layout (:func:`layout`): what a story shows — its date,
headline, source lines, the passages within the default limits, how many are hidden — is
decided once; each printer only draws it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

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
        yield f"{story.id}  {len(story.members)} article(s)  {term_safe(base.headline.value or '')}\n"
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
    def name_width(self) -> int:
        return max(len(s.name) for s in self.sources)


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


def _fill(text: str, width: int, first: str, rest: str) -> str:
    return textwrap.fill(text, width, initial_indent=first, subsequent_indent=rest) + "\n"


def timeline_text(
    entries: Iterable[Entry], full: bool = False, width: int = 100, wrap_sources: bool = False
) -> Iterator[str]:
    """Plain text: no escape codes, shared and unique passages told apart by their tags. On a
    terminal (``wrap_sources``, ``width`` its columns) a long source line wraps under itself,
    not to column 0."""
    entries = list(entries)
    heads = storyline_heads(entries)
    for n, e in enumerate(entries):
        lay = layout(e, full)
        if n:
            yield "\n"
        if heads[n]:
            yield f"== {heads[n]}\n\n"
        head = term_safe(f"{lay.when}  {lay.headline}")
        if wrap_sources and len(head) > width:
            head = textwrap.fill(head, width, subsequent_indent=" " * (len(lay.when) + 2))
        yield head + "\n"
        yield f"  story {lay.story} · {lay.size} source(s)\n"
        if lay.dates_differ:
            yield f"  ! dates differ: {', '.join(lay.dates_differ)}\n"
        w = lay.name_width
        for s in lay.sources:
            line = term_safe(f"  [{s.tag}] {s.name:<{w}}  {s.date_note}  {s.relation}  {s.path}")
            if wrap_sources and len(line) > width:
                indent = " " * (len(s.tag) + 5)
                line = textwrap.fill(
                    line, width, subsequent_indent=indent, break_long_words=True,
                    break_on_hyphens=False, drop_whitespace=True,
                )  # fmt: skip
            yield line + "\n"
        tagw = max((len(" ".join(p.tags)) for p in lay.passages), default=1)
        for p in lay.passages:
            prefix = f"  [{' '.join(p.tags):<{tagw}}] "
            yield _fill(term_safe(p.text), width, prefix, " " * len(prefix))
            for tag, variant in p.variants:
                sub = " " * len(prefix) + f"~{tag}: "
                yield _fill(term_safe(variant), width, sub, " " * len(sub))
        if lay.hidden:
            yield f"  … {lay.hidden} more passage(s); --full shows all\n"


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
        yield f"Story `{lay.story}`, {lay.size} source(s)"
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


def timeline_rich(entries: Sequence[Entry], out: IO[str], color: bool, full: bool = False) -> None:
    """Terminal rendering with rich: styles only as emphasis; tags carry the meaning, so it reads
    the same without colour. Article text goes in as plain Text, never parsed as markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, force_terminal=color, no_color=not color, highlight=False,
                      markup=False, emoji=False, soft_wrap=False)  # fmt: skip
    heads = storyline_heads(entries)
    for n, e in enumerate(entries):
        lay = layout(e, full)
        if n:
            console.print()
        if heads[n]:
            console.print(Text(f"== {heads[n]}", style="bold magenta"))
            console.print()
        head = Table.grid(padding=(0, 2))  # a long headline wraps under itself
        head.add_column(no_wrap=True)
        head.add_column()
        head.add_row(Text(lay.when, style="bold cyan"), Text(term_safe(lay.headline), style="bold"))
        console.print(head)
        console.print(Text(f"  story {lay.story} · {lay.size} source(s)", style="dim"))
        if lay.dates_differ:
            console.print(
                Text(f"  ! dates differ: {', '.join(lay.dates_differ)}", style="bold red")
            )
        w = lay.name_width
        sources = Table.grid(padding=(0, 1))  # a long source line wraps under itself
        sources.add_column(no_wrap=True)
        sources.add_column()
        for s in lay.sources:
            line = Text(term_safe(f"{s.name:<{w}}  "))
            line.append(term_safe(s.date_note), style="italic" if s.inferred else "")
            line.append(f"  {s.relation}  ", style="green" if s.base else "")
            line.append(term_safe(s.path), style="dim")
            sources.add_row(Text(f"  [{s.tag}]", style="bold magenta"), line)
        console.print(sources)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for p in lay.passages:
            tags = Text(f"  [{' '.join(p.tags)}]", style="bold magenta" if p.shared else "magenta")
            plain = p.shared or lay.single
            grid.add_row(tags, Text(term_safe(p.text), style="" if plain else "dim"))
            for tag, variant in p.variants:
                grid.add_row(Text(""), Text(f"~{tag}: {term_safe(variant)}", style="dim italic"))
        console.print(grid)
        if lay.hidden:
            console.print(Text(f"  … {lay.hidden} more passage(s); --full shows all", style="dim"))
