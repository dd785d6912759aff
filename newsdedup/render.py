"""Stage 7: printers. Each takes library results and writes to a text stream.

Machine formats (json, jsonl, csv, tsv) are contracts: their fields are documented in the
README under the schema version :data:`newsdedup.SCHEMA_VERSION`. Human text is made safe for
a terminal: no control character from an article reaches it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from .model import Article, Field, Skipped

SCHEMA_VERSION = 1
_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def term_safe(text: str) -> str:
    """Text with every control character (ESC, bidi overrides, …) shown as an escape."""
    return _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def csv_safe(value: object) -> str:
    """A cell value that a spreadsheet will not run as a formula (a list: its items by spaces)."""
    text = _cell_text(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


# ---------------------------------------------------------------------------------------------
# article records

FIELDS = ("date", "headline", "dateline", "byline", "outlet", "agency", "slug")


def article_record(a: Article, full: bool = True) -> dict[str, Any]:
    rec: dict[str, Any] = {"path": a.path, "id": a.id}
    for name in FIELDS:
        f: Field = getattr(a, name)
        rec[name] = f.to_dict()
    if a.date_ambiguous:
        rec["date"]["ambiguous"] = True
    rec["encoding"] = {"name": a.doc.encoding, "reason": a.doc.encoding_note}
    rec["markup_removed"] = a.doc.markup_removed
    if full:
        rec["body"] = list(a.body)
        rec["removed"] = [{"kind": r.kind, "text": r.text} for r in a.removed]
    return rec


def write_json_document(
    out: IO[str],
    command: str,
    key: str,
    items: Iterable[dict[str, Any]],
    skipped: list[Skipped],
    extra: dict[str, Any] | None = None,
) -> None:
    """One JSON document, written as the items are produced (no list held in memory twice)."""
    out.write("{")
    out.write(f'"schema_version": {SCHEMA_VERSION}, "command": {json.dumps(command)}')
    for k, v in (extra or {}).items():
        out.write(f", {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)}")
    out.write(f", {json.dumps(key)}: [")
    for i, item in enumerate(items):
        out.write(",\n  " if i else "\n  ")
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
    out.write('\n], "skipped": ')
    out.write(json.dumps([s.to_dict() for s in skipped], ensure_ascii=False))
    out.write("}\n")


def write_jsonl(out: IO[str], items: Iterable[dict[str, Any]]) -> None:
    for item in items:
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
        out.write("\n")


def write_table(out: IO[str], columns: list[str], rows: Iterable[dict[str, Any]], sep: str) -> None:
    """CSV (``sep=','``: RFC 4180, CRLF line ends so that a CR or LF in a cell is quoted;
    formula-safe) or TSV (tab, newline, CR and backslash in cells escaped)."""
    if sep == ",":
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([csv_safe(r.get(c)) for c in columns])
        return
    out.write("\t".join(columns) + "\n")
    for r in rows:
        out.write("\t".join(_tsv_cell(r.get(c)) for c in columns) + "\n")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _tsv_cell(value: object) -> str:
    text = _cell_text(value)
    return csv_safe(
        text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


# ---------------------------------------------------------------------------------------------
# inspect


def inspect_text(articles: Iterable[Article]) -> Iterator[str]:
    """Plain-text report of each article's fields, body and removed text (safe for terminals)."""
    for a in articles:
        yield f"== {term_safe(a.path)}\n"
        yield f"   encoding: {a.doc.encoding} ({a.doc.encoding_note})" + (
            "; markup removed\n" if a.doc.markup_removed else "\n"
        )
        for name in FIELDS:
            f: Field = getattr(a, name)
            if f.value is None and f.source is None:
                continue
            value = "(ambiguous)" if f.source == "ambiguous" else term_safe(f.value or "")
            ev = f" ← {term_safe(f.evidence)!s}" if f.evidence and f.evidence != f.value else ""
            yield f"   {name:9s} {value}  [{f.source}{ev}]\n"
        yield f"   body: {len(a.body)} paragraphs\n"
        for p in a.body:
            yield f"     | {term_safe(p)}\n"
        for r in a.removed:
            yield f"     - removed ({r.kind}): {term_safe(r.text)}\n"
        yield "\n"


# ---------------------------------------------------------------------------------------------
# clusters and pairs

CLUSTER_COLUMNS = [
    "path",
    "story",
    "story_size",
    "outlet",
    "agency",
    "date",
    "date_source",
    "base",
    "kind",
    "score",
]
PAIR_COLUMNS = [
    "path_a",
    "path_b",
    "story",
    "kind",
    "score",
    "jaccard",
    "containment",
    "shared_passages",
    "cosine",
    "specifics",
]


def _member(result: Any, story: Any, m: int) -> dict[str, Any]:
    arts = result.corpus.articles
    a, link = arts[m], story.relation.get(m)
    return {
        "path": a.path,
        "id": a.id,
        "story": story.id,
        "story_size": len(story.members),
        "story_cohesion": story.cohesion,
        "outlet": a.outlet.value,
        "agency": a.agency.value,
        "date": a.date.value,
        "date_source": a.date.source,
        "base": arts[story.base].path,
        "kind": "base" if m == story.base else (link.kind if link else None),
        "score": None if link is None else round(link.score, 4),
    }


def cluster_records(result: Any) -> Iterator[dict[str, Any]]:
    """One record per article, stories in timeline order, the base article first."""
    for story in result.stories:
        for m in story.members:
            yield _member(result, story, m)


def pair_records(result: Any) -> Iterator[dict[str, Any]]:
    arts = result.corpus.articles
    story_of = {m: s.id for s in result.stories for m in s.members}
    for ln in sorted(result.links, key=lambda ln: (arts[ln.a].path, arts[ln.b].path)):
        a, b = arts[ln.a], arts[ln.b]
        rec = {"path_a": a.path, "path_b": b.path,
               "story": story_of[ln.a] if story_of[ln.a] == story_of[ln.b] else None}  # fmt: skip
        rec.update(ln.to_dict())
        yield rec


def clusters_text(result: Any) -> Iterator[str]:
    """Human-readable grouping: a line per story, an indented line per article."""
    arts = result.corpus.articles
    for story in result.stories:
        base = arts[story.base]
        yield f"{story.id}  {len(story.members)} article(s)  {term_safe(base.headline.value or '')}\n"
        for rec in (_member(result, story, m) for m in story.members):
            score = "" if rec["score"] is None else f" {rec['score']:.2f}"
            who = rec["outlet"] or rec["agency"] or "-"
            yield f"  {rec['date'] or '-':<23} {term_safe(who):<16} {rec['kind'] or '-'}{score}  {term_safe(rec['path'])}\n"


# ---------------------------------------------------------------------------------------------
# timeline

TIMELINE_COLUMNS = [
    "story", "story_date", "headline", "tag", "source", "path", "outlet", "agency", "date",
    "date_source", "relation", "score", "passages", "shared_passages", "own_passages",
]  # fmt: skip
DEFAULT_PASSAGES = 40
DEFAULT_SINGLE = 3
DEFAULT_UNIQUE_CHARS = 160


def timeline_record(entry: Any) -> dict[str, Any]:
    """One story as a JSON-ready dict (the ``timeline`` json/jsonl schema)."""
    return {
        "story": entry.story.id,
        "date": entry.date,
        "first_date": entry.first_day,
        "last_date": entry.last_day,
        "dates": entry.dates,
        "conflicting_dates": entry.conflicting_dates,
        "headline": entry.headline,
        "headline_source": entry.headline_source,
        "size": len(entry.sources),
        "cohesion": entry.story.cohesion,
        "sources": [
            {
                "tag": s.tag,
                "name": s.name,
                "path": s.article.path,
                "id": s.article.id,
                "outlet": s.article.outlet.value,
                "agency": s.article.agency.value,
                "date": s.date.to_dict(),
                "base": s.relation is None,
                "relation": None
                if s.relation is None
                else {"kind": s.relation.kind, "score": round(s.relation.score, 4)},
            }
            for s in entry.sources
        ],
        "passages": [
            {
                "text": p.text,
                "sources": p.sources,
                "variants": [{"source": t, "text": v} for t, v in p.variants.items()],
            }
            for p in entry.passages
        ],
    }


def timeline_rows(entries: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """One row per (story, source) for CSV: who ran it, and what each source added."""
    for e in entries:
        for s in e.sources:
            carried = [p for p in e.passages if s.tag in p.sources]
            yield {
                "story": e.story.id, "story_date": e.date, "headline": e.headline, "tag": s.tag,
                "source": s.name, "path": s.article.path, "outlet": s.article.outlet.value,
                "agency": s.article.agency.value, "date": s.date.value, "date_source": s.date.source,
                "relation": "base" if s.relation is None else s.relation.kind,
                "score": None if s.relation is None else round(s.relation.score, 4),
                "passages": len(carried),
                "shared_passages": sum(1 for p in carried if len(p.sources) > 1),
                "own_passages": sum(1 for p in carried if len(p.sources) == 1),
            }  # fmt: skip


def _date_note(s: Any) -> str:
    d = s.date
    if d.value is None:
        return "no date"
    if d.source == "inferred":
        return f"{d.value[:10]} (inferred: {d.evidence})"
    return f"{d.value} ({d.source})"


def _relation(s: Any) -> str:
    return "base" if s.relation is None else f"{s.relation.kind} {s.relation.score:.2f}"


def _visible(entry: Any, full: bool) -> tuple[list[Any], int]:
    """By default a story shows at most 40 passages, a single-source story its first three."""
    limit = DEFAULT_SINGLE if len(entry.sources) == 1 else DEFAULT_PASSAGES
    if full or len(entry.passages) <= limit:
        return entry.passages, 0
    return entry.passages[:limit], len(entry.passages) - limit


def _clip(text: str, full: bool, shared: bool) -> str:
    """By default, in a story of several sources, a passage only one of them has is cut short."""
    if full or shared or len(text) <= DEFAULT_UNIQUE_CHARS:
        return text
    return text[: DEFAULT_UNIQUE_CHARS - 1].rsplit(" ", 1)[0] + " …"


BRIEF_HEADLINE = 60  # characters of the headline column in --brief


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters (with …) and padded to it: a fixed column."""
    if len(text) > width:
        text = text[: width - 1].rstrip() + "…"
    return f"{text:<{width}}"


def timeline_brief(entries: Iterable[Any]) -> Iterator[str]:
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


def timeline_text(
    entries: Iterable[Any], full: bool = False, width: int = 100, wrap_sources: bool = False
) -> Iterator[str]:
    """Plain text: no escape codes, shared and unique passages told apart by their tags. On a
    terminal (``wrap_sources``, ``width`` its columns) a long source line wraps under itself,
    not to column 0."""
    import textwrap

    first = True
    for e in entries:
        if not first:
            yield "\n"
        first = False
        head = term_safe(f"{e.date or 'undated'}  {e.headline}")
        if wrap_sources and len(head) > width:
            indent = " " * (len(e.date or "undated") + 2)
            head = textwrap.fill(head, width, subsequent_indent=indent)
        yield head + "\n"
        yield f"  story {e.story.id} · {len(e.sources)} source(s)\n"
        if e.conflicting_dates:
            yield f"  ! dates differ: {', '.join(e.dates)}\n"
        w = max(len(s.name) for s in e.sources)
        for s in e.sources:
            line = term_safe(
                f"  [{s.tag}] {s.name:<{w}}  {_date_note(s)}  {_relation(s)}  {s.article.path}"
            )
            if wrap_sources and len(line) > width:
                indent = " " * (len(s.tag) + 5)
                line = textwrap.fill(
                    line, width, subsequent_indent=indent, break_long_words=True,
                    break_on_hyphens=False, drop_whitespace=True,
                )  # fmt: skip
            yield line + "\n"
        passages, hidden = _visible(e, full)
        tagw = max(len(" ".join(p.sources)) for p in passages) if passages else 1
        for p in passages:
            tags = " ".join(p.sources)
            prefix = f"  [{tags:<{tagw}}] "
            body = term_safe(_clip(p.text, full, len(p.sources) > 1 or len(e.sources) == 1))
            yield (
                textwrap.fill(
                    body, width, initial_indent=prefix, subsequent_indent=" " * len(prefix)
                )
                + "\n"
            )
            if full:
                for tag, variant in p.variants.items():
                    sub = " " * len(prefix) + f"~{tag}: "
                    yield (
                        textwrap.fill(
                            term_safe(variant),
                            width,
                            initial_indent=sub,
                            subsequent_indent=" " * len(sub),
                        )
                        + "\n"
                    )
        if hidden:
            yield f"  … {hidden} more passage(s); --full shows all\n"


def _md(text: str) -> str:
    """Markdown-safe text: article text never becomes markup, links or HTML."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", term_safe(text))


def timeline_markdown(entries: Iterable[Any], full: bool = False) -> Iterator[str]:
    """A report to paste into a ticket or a newsletter."""
    yield "# News timeline\n\n"
    yield "Passages are tagged with the sources that carry them; a single tag marks a passage only that source has.\n"
    for e in entries:
        yield f"\n## {e.date or 'undated'} — {_md(e.headline)}\n\n"
        yield f"Story `{e.story.id}`, {len(e.sources)} source(s)"
        yield (f"; **dates differ**: {', '.join(e.dates)}.\n\n" if e.conflicting_dates else ".\n\n")
        yield "| tag | source | date | relation | file |\n|---|---|---|---|---|\n"
        for s in e.sources:
            yield f"| {s.tag} | {_md(s.name)} | {_md(_date_note(s))} | {_relation(s)} | `{s.article.path.replace('`', '')}` |\n"
        yield "\n"
        passages, hidden = _visible(e, full)
        for p in passages:
            tags = ", ".join(p.sources)
            text = _md(_clip(p.text, full, len(p.sources) > 1 or len(e.sources) == 1))
            yield (f"- **[{tags}]** {text}\n" if len(p.sources) > 1 else f"- [{tags}] {text}\n")
        if hidden:
            yield f"- … {hidden} more passage(s)\n"


def timeline_rich(entries: list[Any], out: IO[str], color: bool, full: bool = False) -> None:
    """Terminal rendering with rich: styles only as emphasis; tags carry the meaning, so it reads
    the same without colour. Article text goes in as plain Text, never parsed as markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, force_terminal=color, no_color=not color, highlight=False,
                      markup=False, emoji=False, soft_wrap=False)  # fmt: skip
    for n, e in enumerate(entries):
        if n:
            console.print()
        head = Table.grid(padding=(0, 2))  # a long headline wraps under itself
        head.add_column(no_wrap=True)
        head.add_column()
        head.add_row(
            Text(e.date or "undated", style="bold cyan"),
            Text(term_safe(e.headline), style="bold"),
        )
        console.print(head)
        console.print(Text(f"  story {e.story.id} · {len(e.sources)} source(s)", style="dim"))
        if e.conflicting_dates:
            console.print(Text(f"  ! dates differ: {', '.join(e.dates)}", style="bold red"))
        w = max(len(s.name) for s in e.sources)
        sources = Table.grid(padding=(0, 1))  # a long source line wraps under itself
        sources.add_column(no_wrap=True)
        sources.add_column()
        for s in e.sources:
            line = Text(term_safe(f"{s.name:<{w}}  "))
            line.append(
                term_safe(_date_note(s)), style="italic" if s.date.source == "inferred" else ""
            )
            line.append(f"  {_relation(s)}  ", style="green" if s.relation is None else "")
            line.append(term_safe(s.article.path), style="dim")
            sources.add_row(Text(f"  [{s.tag}]", style="bold magenta"), line)
        console.print(sources)
        passages, hidden = _visible(e, full)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        single = len(e.sources) == 1
        for p in passages:
            shared = len(p.sources) > 1
            tags = Text(f"  [{' '.join(p.sources)}]", style="bold magenta" if shared else "magenta")
            text = Text(
                term_safe(_clip(p.text, full, shared or single)),
                style="" if shared or single else "dim",
            )
            grid.add_row(tags, text)
            if full:
                for tag, variant in p.variants.items():
                    grid.add_row(
                        Text(""), Text(f"~{tag}: {term_safe(variant)}", style="dim italic")
                    )
        console.print(grid)
        if hidden:
            console.print(Text(f"  … {hidden} more passage(s); --full shows all", style="dim"))
