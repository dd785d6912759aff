"""One record schema per command: the contract of the machine formats (json, jsonl, csv, tsv).

Each schema is a TypedDict, so what a format writes is stated once and checked by the type
checker; the README's "Output formats" section documents the same fields. Records are built
from library results and hold only JSON-ready values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NotRequired, TypedDict

from ..model import ARTICLE_FIELDS, Article, Field

if TYPE_CHECKING:
    from ..cluster import Story
    from ..match import Link
    from ..merge import Entry
    from ..pipeline import Result


class FieldRecord(TypedDict):
    value: str | None
    source: str | None
    evidence: str | None
    ambiguous: NotRequired[bool]  # a numeric date its outlet's other files did not settle


class EncodingRecord(TypedDict):
    name: str
    reason: str


class RemovedRecord(TypedDict):
    kind: str
    text: str


class ArticleRecord(TypedDict):
    """``inspect``: one article, every normalised field with its provenance."""

    path: str
    id: str
    date: FieldRecord
    headline: FieldRecord
    dateline: FieldRecord
    byline: FieldRecord
    outlet: FieldRecord
    agency: FieldRecord
    slug: FieldRecord
    encoding: EncodingRecord
    markup_removed: bool
    body: list[str]
    removed: list[RemovedRecord]


class ClusterRecord(TypedDict):
    """``clusters``: one article, its story and its link to the story's base."""

    path: str
    id: str
    story: str
    storyline: str  # the storyline the story belongs to (at --level storyline, the story)
    story_size: int
    story_cohesion: float
    outlet: str | None
    agency: str | None
    date: str | None
    date_source: str | None
    base: str
    kind: str | None  # "base", or the kind of the link to the base
    score: float | None


class PairRecord(TypedDict):
    """``pairs``: one link between two articles, with its scores."""

    path_a: str
    path_b: str
    story: str | None  # the story both are in, if one
    storyline: str | None  # the storyline both are in, if one
    kind: str
    score: float
    jaccard: float
    containment: float
    shared_passages: int
    cosine: float
    specifics: list[str]
    p_event: float | None  # the event scorer's probability for the pair
    p_storyline: float | None  # the storyline scorer's


class RelationRecord(TypedDict):
    kind: str
    score: float


class SourceRecord(TypedDict):
    tag: str
    name: str
    path: str
    id: str
    outlet: str | None
    agency: str | None
    date: FieldRecord
    base: bool
    relation: RelationRecord | None


class VariantRecord(TypedDict):
    source: str
    text: str


class PassageRecord(TypedDict):
    text: str
    sources: list[str]
    variants: list[VariantRecord]


class StoryRecord(TypedDict):
    """``timeline`` (json, jsonl, html): one story with its sources and merged text."""

    story: str
    storyline: str
    date: str | None
    first_date: str | None
    last_date: str | None
    dates: list[str]
    conflicting_dates: bool
    headline: str
    headline_source: str
    size: int
    cohesion: float
    sources: list[SourceRecord]
    passages: list[PassageRecord]


class TimelineRow(TypedDict):
    """``timeline`` (csv, tsv): one row per story and source."""

    story: str
    storyline: str
    story_date: str | None
    headline: str
    tag: str
    source: str
    path: str
    outlet: str | None
    agency: str | None
    date: str | None
    date_source: str | None
    relation: str
    score: float | None
    passages: int
    shared_passages: int
    own_passages: int


CLUSTER_COLUMNS = ["path", "story", "storyline", "story_size", "outlet", "agency", "date", "date_source",
                   "base", "kind", "score"]  # fmt: skip
PAIR_COLUMNS = ["path_a", "path_b", "story", "storyline", "kind", "score", "jaccard", "containment",
                "shared_passages", "cosine", "specifics", "p_event", "p_storyline"]  # fmt: skip
TIMELINE_COLUMNS = [
    "story", "storyline", "story_date", "headline", "tag", "source", "path", "outlet", "agency", "date",
    "date_source", "relation", "score", "passages", "shared_passages", "own_passages",
]  # fmt: skip


def field_record(f: Field) -> FieldRecord:
    return {"value": f.value, "source": f.source, "evidence": f.evidence}


def article_record(a: Article) -> ArticleRecord:
    fields = {name: field_record(getattr(a, name)) for name in ARTICLE_FIELDS}
    if a.date_ambiguous:
        fields["date"]["ambiguous"] = True
    return {
        "path": a.path, "id": a.id,
        "date": fields["date"], "headline": fields["headline"], "dateline": fields["dateline"],
        "byline": fields["byline"], "outlet": fields["outlet"], "agency": fields["agency"],
        "slug": fields["slug"],
        "encoding": {"name": a.doc.encoding, "reason": a.doc.encoding_note},
        "markup_removed": a.doc.markup_removed,
        "body": list(a.body),
        "removed": [{"kind": r.kind, "text": r.text} for r in a.removed],
    }  # fmt: skip


def cluster_record(result: Result, story: Story, m: int) -> ClusterRecord:
    arts = result.corpus.articles
    a, link = arts[m], story.relation.get(m)
    return {
        "path": a.path,
        "id": a.id,
        "story": story.id,
        "storyline": story.storyline or story.id,
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


def cluster_records(result: Result) -> Iterator[ClusterRecord]:
    """One record per article, stories in timeline order, the base article first."""
    for story in result.stories:
        for m in story.members:
            yield cluster_record(result, story, m)


def pair_record(
    path_a: str, path_b: str, story: str | None, ln: Link, storyline: str | None = None
) -> PairRecord:
    return {
        "path_a": path_a,
        "path_b": path_b,
        "story": story,
        "storyline": storyline,
        "kind": ln.kind,
        "score": round(ln.score, 4),
        "jaccard": round(ln.jaccard, 4),
        "containment": round(ln.containment, 4),
        "shared_passages": ln.passages,
        "cosine": round(ln.cosine, 4),
        "specifics": list(ln.specifics),
        "p_event": ln.p_event,
        "p_storyline": ln.p_storyline,
    }


def pair_records(result: Result) -> Iterator[PairRecord]:
    """Every link, ordered by the two paths."""
    arts = result.corpus.articles
    story_of = {m: s.id for s in result.stories for m in s.members}
    line_of = {m: s.storyline or s.id for s in result.stories for m in s.members}
    for ln in sorted(result.links, key=lambda ln: (arts[ln.a].path, arts[ln.b].path)):
        same = story_of[ln.a] if story_of[ln.a] == story_of[ln.b] else None
        line = line_of[ln.a] if line_of[ln.a] == line_of[ln.b] else None
        yield pair_record(arts[ln.a].path, arts[ln.b].path, same, ln, line)


def story_record(entry: Entry) -> StoryRecord:
    """One story as a JSON-ready record (the ``timeline`` json/jsonl schema)."""
    return {
        "story": entry.story.id,
        "storyline": entry.story.storyline or entry.story.id,
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
                "date": field_record(s.date),
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


def timeline_rows(entries: Iterable[Entry]) -> Iterator[TimelineRow]:
    """One row per (story, source) for CSV: who ran it, and what each source added."""
    for e in entries:
        for s in e.sources:
            carried = [p for p in e.passages if s.tag in p.sources]
            yield {
                "story": e.story.id, "storyline": e.story.storyline or e.story.id,
                "story_date": e.date, "headline": e.headline, "tag": s.tag,
                "source": s.name, "path": s.article.path, "outlet": s.article.outlet.value,
                "agency": s.article.agency.value, "date": s.date.value, "date_source": s.date.source,
                "relation": "base" if s.relation is None else s.relation.kind,
                "score": None if s.relation is None else round(s.relation.score, 4),
                "passages": len(carried),
                "shared_passages": sum(1 for p in carried if len(p.sources) > 1),
                "own_passages": sum(1 for p in carried if len(p.sources) == 1),
            }  # fmt: skip
