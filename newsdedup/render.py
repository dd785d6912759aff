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
    """A cell value that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
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
    """CSV (``sep=','``, RFC 4180 quoting, formula-safe) or TSV (tabs/newlines in cells escaped)."""
    if sep == ",":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([csv_safe(r.get(c)) for c in columns])
        return
    out.write("\t".join(columns) + "\n")
    for r in rows:
        out.write("\t".join(_tsv_cell(r.get(c)) for c in columns) + "\n")


def _tsv_cell(value: object) -> str:
    text = "" if value is None else str(value)
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
]


def _member(result: Any, story: Any, m: int) -> dict[str, Any]:
    arts = result.corpus.articles
    a, link = arts[m], story.relation.get(m)
    return {
        "path": a.path,
        "id": a.id,
        "story": story.id,
        "story_size": len(story.members),
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
