"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    """A normalised header value and where it came from.

    ``source`` is one of: header, slug, timestamp, dateline, byline, credit, signature, path,
    option, mtime, lead, inferred. ``evidence`` is the text it was read from, if any.
    """

    value: str | None
    source: str | None = None
    evidence: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"value": self.value, "source": self.source, "evidence": self.evidence}


NO_FIELD = Field(None)


@dataclass
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


@dataclass(frozen=True)
class Removed:
    """A piece of text taken out of an article, and why."""

    kind: str  # boilerplate rule name, "repeated", "wire-control", ...
    text: str


@dataclass
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

    def source_name(self) -> str:
        """The name a reader knows this source by: outlet, else agency, else the path."""
        return self.outlet.value or self.agency.value or self.doc.path

    def text(self) -> str:
        return "\n\n".join(self.body)


@dataclass(frozen=True)
class Skipped:
    """An input that could not be used, with the reason (always reported, never lost)."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}
