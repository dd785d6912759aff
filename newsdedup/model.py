"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldSource(StrEnum):
    """Where a field's value came from (``Field.source``); the values are those the output
    formats write. A scraper export's fields are marked ``json:KEY`` (``JSON`` + ``:`` + the
    record's key), so ``Field.source`` is a str that is one of these values or starts with
    ``json:``."""

    HEADER = "header"
    SLUG = "slug"
    TIMESTAMP = "timestamp"
    DATELINE = "dateline"
    BYLINE = "byline"
    CREDIT = "credit"
    SIGNATURE = "signature"
    PATH = "path"
    MTIME = "mtime"
    LEAD = "lead"
    INFERRED = "inferred"
    AMBIGUOUS = "ambiguous"
    HTML_OG_TITLE = "html:og:title"
    HTML_JSON_LD = "html:json-ld"
    HTML_META = "html:meta"
    HTML_TITLE = "html:title"
    HTML_H1 = "html:h1"  # the page's first heading, when its titles are no headline
    HTML_AUTHOR = "html:author"
    HTML_SITENAME = "html:sitename"  # og:site_name
    HTML_PUBLISHER = "html:json-ld:publisher"
    HTML_URL = "html:url"  # the host of the canonical URL or og:url (or the archive's URL)
    HTML_SAVED_FROM = "html:saved-from"  # a browser's "saved from url=" comment
    HTML_TITLE_SUFFIX = "html:title-suffix"  # the site's part of the <title>
    HTML_LINKS = "html:links"  # the host the page's own links point to most
    HTML_HTMLDATE = "html:htmldate"
    WARC_DATE = "warc-date"
    JSON = "json"  # the prefix of json:KEY


class LinkKind(StrEnum):
    """The kind of evidence that links two articles (``Link.kind``); the values are those the
    output formats write."""

    REPRINT = "reprint"  # one text nearly contains the other
    SHARED_PASSAGES = "shared passages"  # several near-identical sentences
    SAME_FACTS = "same facts"  # distinctive terms agree (TF-IDF cosine)
    FLASH = "flash"  # a one-line bulletin and the full story its source sent after it
    SAME_SLUG = "same slug"  # wire pages of one source, day and slug
    SHARED_BACKGROUND = "shared background"  # shared passages, but another event of the story
    SAME_EVENT = "same event"  # the event scorer's probability reaches its threshold
    SAME_STORYLINE = "same storyline"  # … the storyline scorer's


@dataclass(frozen=True, slots=True)
class Field:
    """A normalised header value and where it came from.

    ``source`` is a :class:`FieldSource` value (or ``json:KEY``); ``evidence`` is the text it
    was read from, if any.
    """

    value: str | None
    source: str | None = None
    evidence: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"value": self.value, "source": self.source, "evidence": self.evidence}


NO_FIELD = Field(None)


@dataclass(slots=True)
class Document:
    """One input file, decoded and cut into paragraphs (output of :mod:`newsdedup.ingest`)."""

    path: str  # printable path (escaped if the name is not valid text)
    rel: str  # path relative to the input root it was found under
    sha256: str  # of the raw bytes
    size: int
    encoding: str
    encoding_note: str
    markup_removed: bool
    paragraphs: list[str]
    mtime: float = 0.0
    # fields the input declares itself (a page's metadata, an export's keys), with provenance;
    # parse() starts from them and clears them
    meta: dict[str, Field] = field(default_factory=dict)
    # a saved page's site: the host it was published on (``bbc.com``), "" for a page that
    # does not say, None for an input that is no saved page (finalise gives every page of one
    # site one outlet name, and takes the furniture its pages share out of their text)
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Removed:
    """A piece of text taken out of an article, and why."""

    kind: str  # boilerplate rule name, "repeated", "wire-control", ...
    text: str


@dataclass(slots=True)
class Article:
    """A normalised article (output of :mod:`newsdedup.normalise`)."""

    doc: Document
    date: Field = NO_FIELD  # ISO 8601 string
    headline: Field = NO_FIELD
    dateline: Field = NO_FIELD
    byline: Field = NO_FIELD
    outlet: Field = NO_FIELD
    agency: Field = NO_FIELD
    slug: Field = NO_FIELD
    body: list[str] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    # numeric date awaiting the outlet's day/month order: (a, b, year, time, evidence, source)
    pending_date: tuple[int, int, int, str, str, str] | None = None
    date_ambiguous: bool = False

    @property
    def path(self) -> str:
        return self.doc.path

    @property
    def id(self) -> str:
        """Stable, content-derived id: the first 12 hex digits of the file's SHA-256."""
        return self.doc.sha256[:12]

    def publisher(self) -> str | None:
        """Who ran it: its outlet, else its wire agency; None if neither is known."""
        return self.outlet.value or self.agency.value

    def source_name(self) -> str:
        """The name a reader knows this source by: outlet, else agency, else the path."""
        return self.publisher() or self.doc.path

    def text(self) -> str:
        return "\n\n".join(self.body)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that could not be used, with the reason (always reported, never lost).

    ``not_article``: a file found by walking a folder that turned out not to be an article by
    its content (a ``.json`` with no text field: metadata); it is passed over and counted, as
    files that are not articles by their name are, not reported as an error."""

    path: str
    reason: str
    not_article: bool = False

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


# ---------------------------------------------------------------------------------------------
# a plain-data form of an article, for the incremental state (JSON: no code runs on load)


def _field(d: list[str | None] | None) -> Field:
    return NO_FIELD if d is None else Field(d[0], d[1], d[2])


def article_to_dict(art: Article) -> dict[str, object]:
    """Every field of a normalised article as JSON-ready data (inverse: article_from_dict)."""
    doc = art.doc
    return {
        "doc": [
            doc.path,
            doc.rel,
            doc.sha256,
            doc.size,
            doc.encoding,
            doc.encoding_note,
            doc.markup_removed,
            doc.paragraphs,
            doc.mtime,
            doc.site,
        ],
        "fields": {
            name: None if f is NO_FIELD else [f.value, f.source, f.evidence]
            for name in ARTICLE_FIELDS
            if (f := getattr(art, name)) is not None
        },
        "body": art.body,
        "removed": [[r.kind, r.text] for r in art.removed],
        "pending_date": list(art.pending_date) if art.pending_date else None,
        "date_ambiguous": art.date_ambiguous,
    }


def article_from_dict(data: dict[str, Any]) -> Article:
    path, rel, sha, size, enc, note, markup, paragraphs, mtime, *more = data["doc"]
    site = more[0] if more else None  # states written before pages had a site lack it
    art = Article(Document(path, rel, sha, size, enc, note, markup, paragraphs, mtime, site=site))
    for name, value in data["fields"].items():
        if name in ARTICLE_FIELDS:
            setattr(art, name, _field(value))
    art.body = list(data["body"])
    art.removed = [Removed(k, t) for k, t in data["removed"]]
    pending = data["pending_date"]
    art.pending_date = tuple(pending) if pending else None
    art.date_ambiguous = bool(data["date_ambiguous"])
    return art


ARTICLE_FIELDS = ("date", "headline", "dateline", "byline", "outlet", "agency", "slug")
