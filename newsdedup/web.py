"""Web inputs: saved HTML pages, scraper exports (JSON, JSON lines) and web archives (WARC).

A saved page is read through trafilatura (the article and its metadata) and htmldate (the
original publication date); a container (an export or an archive) yields one document per record,
each with a path that says where it is (``feed.jsonl:17``, ``crawl.warc.gz#<record id>``) and
an id from the record's own bytes. The three libraries are imported only when such an input is met.

Nothing here raises past its caller for a bad record: containers return a list of
:class:`~newsdedup.model.Document` and :class:`~newsdedup.model.Skipped`, in file order.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zlib
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urlsplit

from .errors import InputError, NotAnArticle
from .model import Document, Field, Skipped
from .settings import Settings

# ---------------------------------------------------------------------------------------------
# what an input is

#: the names ``--field NAME=KEY`` accepts, and the keys tried for each, in order (those that
#: news-please and trafilatura write, and the common feed names)
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "text": ("text", "maintext", "body", "content", "raw_text"),
    "date": ("date", "date_publish", "published", "pubDate", "date_published", "datePublished"),
    "url": ("url", "link", "source_url"),
    "source": ("source", "source_domain", "sitename", "hostname", "publisher"),
    "author": ("author", "authors", "byline"),
}

_HTML_START = re.compile(r"^(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                         re.IGNORECASE | re.DOTALL)  # fmt: skip
_HTML_EARLY = re.compile(r"<(?:head|body)\b[^<>]{0,2000}>", re.IGNORECASE)
# how far into a file the page structure must show: saved pages open with it; a text file that
# quotes a tag further down is still text
_SNIFF = 2048


def looks_like_html(text: str) -> bool:
    """A web page, whatever the file's name: it opens with a doctype or ``<html>``, or has a
    ``<head>``/``<body>`` tag near the start."""
    head = text[:_SNIFF].lstrip()
    return bool(_HTML_START.match(head) or _HTML_EARLY.search(head))


def container_kind(name: str) -> str | None:
    """``jsonl``, ``json`` or ``warc`` by the file name's ending, else None (a single document)."""
    low = name.lower()
    if low.endswith((".jsonl", ".ndjson", ".jsonl.txt")):
        return "jsonl"
    if low.endswith(".json"):
        return "json"
    if low.endswith((".warc", ".warc.gz")):
        return "warc"
    return None


# ---------------------------------------------------------------------------------------------
# one HTML page

# trafilatura's options: recall first (a missed paragraph loses evidence for good, a leftover
# menu line is removed by the per-site repetition and boilerplate rules downstream); comments
# are readers' text, not the article; tables are kept because news pages put facts in them
_EXTRACT_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "favor_recall": True,
    "deduplicate": False,  # its cache lives across calls: output would depend on input order
}
# htmldate through trafilatura: the original publication date (not an update, not the crawl),
# searched in the page's declarations first and in its text and URL if they say nothing
_DATE_OPTIONS: dict[str, Any] = {"original_date": True, "extensive_search": True}


def html_document(
    text: str,
    path: str,
    rel: str,
    *,
    sha256: str,
    size: int,
    encoding: str,
    encoding_note: str,
    mtime: float = 0.0,
    url: str | None = None,
    fallback_date: Field | None = None,
) -> Document:
    """A page's article text and metadata (each field with its provenance) as a Document.

    ``text`` is the decoded page with control characters already removed. If trafilatura finds
    no article, the page's tags are stripped instead (said in ``encoding_note``)."""
    from .ingest import clean_controls, strip_markup, to_paragraphs

    meta: dict[str, Field] = {}
    extracted = _extract(text, url)
    if extracted is not None and extracted.get("text"):
        body = clean_controls(str(extracted["text"]))
        # each line a paragraph, its white space runs as one space
        paragraphs = [p for p in (" ".join(ln.split()) for ln in body.split("\n")) if p]
        note = encoding_note
        provenance = extracted.get("_provenance", {})
        title = _value(extracted.get("title"))
        if title and paragraphs and paragraphs[0] == title:
            paragraphs = paragraphs[1:]  # the page's heading, already the headline
        if title:
            meta["headline"] = Field(title, provenance.get("title", "html:title"), title)
        author = _value(extracted.get("author"))
        if author:
            meta["byline"] = Field(author, "html:author", author)
        date = _value(extracted.get("date"))
        if date:
            meta["date"] = Field(date, "html:htmldate", "htmldate: original publication date")
        page_url = _value(extracted.get("url")) or url
        site = _value(extracted.get("sitename"))
        host = _host(page_url)
        if site and site != host:
            meta["outlet"] = Field(site, "html:sitename", site)
        elif host:
            meta["outlet"] = Field(host, "html:url", page_url)
    else:
        stripped, _ = strip_markup(text)
        paragraphs = to_paragraphs(stripped)
        note = f"{encoding_note}; no article found by trafilatura: tags stripped"
        date = _htmldate(text)
        if date:
            meta["date"] = Field(date, "html:htmldate", "htmldate: original publication date")
        if host := _host(url):
            meta["outlet"] = Field(host, "html:url", url)
    if "date" not in meta and fallback_date is not None:
        meta["date"] = fallback_date
    if not paragraphs:
        raise InputError(path, "no text in the page")
    return Document(
        path=path,
        rel=rel,
        sha256=sha256,
        size=size,
        encoding=encoding,
        encoding_note=note,
        markup_removed=True,
        paragraphs=paragraphs,
        mtime=mtime,
        meta=meta,
    )


def _value(raw: object) -> str | None:
    from .ingest import clean_controls

    if raw is None:
        return None
    text = " ".join(clean_controls(str(raw)).split())  # white space runs as one space
    return text or None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _extract(text: str, url: str | None) -> dict[str, Any] | None:
    """trafilatura's article and metadata, with where the title came from (None if no page)."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(text)
    if tree is None:
        return None
    provenance = {"title": _title_source(tree)}
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            date_extraction_params=dict(_DATE_OPTIONS),
            **_EXTRACT_OPTIONS,
        )
    except Exception:  # a bug in the extractor on an odd page: fall back to tag stripping
        return None
    if doc is None:
        return None
    out = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    out["_provenance"] = provenance
    return out


def _title_source(tree: Any) -> str:
    """Where trafilatura's title comes from, in its own order: Open Graph or other meta
    tags, JSON-LD, else the ``<title>`` element or a heading."""
    if tree.xpath('//meta[@property="og:title" or @name="og:title"][@content]'):
        return "html:og:title"
    if tree.xpath('//script[@type="application/ld+json"][contains(., "headline")]'):
        return "html:json-ld"
    if tree.xpath('//meta[@name="twitter:title" or @name="title"][@content]'):
        return "html:meta"
    return "html:title"


def _htmldate(text: str) -> str | None:
    try:
        from htmldate import find_date

        return find_date(text, **_DATE_OPTIONS)
    except Exception:  # htmldate on an unparsable page: no date rather than no article
        return None


def page_document(data: bytes, text: str, doc_args: dict[str, Any]) -> Document | None:
    """A saved page read from a file (``doc_args``: path, rel, encoding, encoding_note, mtime),
    or None for a text in an HTML wrapper (its lines are the text's own: read it as text)."""
    if _preformatted(text):
        return None
    return html_document(text, sha256=hashlib.sha256(data).hexdigest(), size=len(data), **doc_args)


_PRE = re.compile(r"<pre\b[^<>]{0,2000}>", re.IGNORECASE)
_PRE_END = re.compile(r"</pre\s*>", re.IGNORECASE)


def _preformatted(text: str) -> bool:
    """Is most of the page inside ``<pre>``? Archives serve wire copy so: the line breaks and
    end marks are the copy's own, and an article extractor would run its lines together."""
    inside = 0
    for m in _PRE.finditer(text):
        end = _PRE_END.search(text, m.end())
        inside += (end.start() if end else len(text)) - m.end()
    # half the characters: a page with a code sample in <pre> is still an article page
    return inside > 0.5 * len(text)


# ---------------------------------------------------------------------------------------------
# scraper exports


def field_keys(settings: Settings) -> dict[str, tuple[str, ...]]:
    """The keys tried for each field: ``--field NAME=KEY`` first, then the usual names."""
    keys = {name: list(default) for name, default in FIELD_KEYS.items()}
    for pair in reversed(settings.fields):
        name, _, key = pair.partition("=")
        keys[name.strip()].insert(0, key.strip())
    return {name: tuple(dict.fromkeys(v)) for name, v in keys.items()}


def read_json_export(
    ospath: str, shown: str, rel: str, kind: str, settings: Settings, mtime: float
) -> list[Document | Skipped]:
    """Every record of a ``.json`` (one object or a list) or ``.jsonl`` file, in order."""
    keys = field_keys(settings)
    out: list[Document | Skipped] = []
    texts = 0
    records = (
        _json_lines(ospath, shown, settings)
        if kind == "jsonl"
        else _json_list(ospath, shown, settings)
    )
    for locator, raw in records:
        where, where_rel = f"{shown}{locator}", f"{rel}{locator}"
        if isinstance(raw, Skipped):
            out.append(Skipped(where, raw.reason))
            continue
        line, obj = raw
        if not isinstance(obj, dict):
            out.append(Skipped(where, f"not a JSON object ({type(obj).__name__})"))
            continue
        if _first(obj, keys["text"]) is not None:
            texts += 1
        try:
            out.append(_record_document(obj, line, where, where_rel, keys, mtime))
        except InputError as exc:
            out.append(Skipped(exc.path, exc.reason))
    if texts == 0 and not any(isinstance(x, Skipped) and "cap" in x.reason for x in out):
        return [Skipped(shown, "not an article export (no text field)", not_article=True)]
    return out


def _json_lines(
    ospath: str, shown: str, settings: Settings
) -> Iterator[tuple[str, tuple[bytes, Any] | Skipped]]:
    """(``:N``, (line, value) or why not) per non-blank line; a line longer than --max-bytes is
    passed over in bounded chunks, never held whole."""
    try:
        fh = open(ospath, "rb")  # noqa: SIM115 - closed below, after the generator is drained
    except OSError as exc:
        from .ingest import os_reason

        raise InputError(shown, os_reason(exc)) from exc
    with fh:
        n = 0
        while True:
            line = fh.readline(settings.max_bytes + 1)
            if not line:
                return
            n += 1
            if len(line) > settings.max_bytes and not line.endswith(b"\n"):
                while (more := fh.readline(1 << 20)) and not more.endswith(b"\n"):
                    pass  # the rest of the long line, read and dropped a mebibyte at a time
                yield f":{n}", Skipped("", _cap_reason(settings, "line"))
                continue
            if not line.strip():
                continue
            try:
                yield f":{n}", (line, json.loads(line))
            except (ValueError, RecursionError) as exc:
                yield f":{n}", Skipped("", f"not valid JSON ({_short(exc)})")


def _json_list(
    ospath: str, shown: str, settings: Settings
) -> Iterator[tuple[str, tuple[bytes, Any] | Skipped]]:
    from .ingest import os_reason, read_capped

    try:
        with open(ospath, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > settings.max_bytes:
                raise InputError(
                    shown,
                    f"larger than the {settings.max_bytes:,}-byte cap ({size:,} bytes; raise it "
                    "with --max-bytes, or write the export as JSON lines)",
                )
            data = read_capped(fh, size, settings.max_bytes)
    except OSError as exc:
        raise InputError(shown, os_reason(exc)) from exc
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InputError(shown, f"not valid JSON ({_short(exc)})") from exc
    if isinstance(value, dict):
        yield "", (data, value)
        return
    if not isinstance(value, list):
        raise NotAnArticle(shown, "not an article export (neither an object nor a list)")
    for i, item in enumerate(value, 1):
        own = json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
        yield f":{i}", (own, item)


def _short(exc: Exception) -> str:
    return str(exc)[:120]


def _cap_reason(settings: Settings, what: str) -> str:
    return f"{what} larger than the {settings.max_bytes:,}-byte cap (raise it with --max-bytes)"


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    for key in keys:
        if key in obj and obj[key] is not None:
            return key, obj[key]
    return None


def _record_document(
    obj: dict[str, Any],
    raw: bytes,
    path: str,
    rel: str,
    keys: dict[str, tuple[str, ...]],
    mtime: float,
) -> Document:
    from .ingest import clean_controls, strip_markup, to_paragraphs

    hit = _first(obj, keys["text"])
    if hit is None:
        raise InputError(path, "no text field (" + ", ".join(keys["text"]) + ")")
    key, value = hit
    if not isinstance(value, str):
        raise InputError(path, f"text field {key!r} is not a string ({type(value).__name__})")
    text = clean_controls(value)
    if not text.strip():
        raise InputError(path, f"empty text in {key!r}")
    text, markup = strip_markup(text)
    paragraphs = to_paragraphs(text)
    if not paragraphs:
        raise InputError(path, "no text left after removing markup")
    meta: dict[str, Field] = {}
    if (t := _text_of(obj, keys["title"])) is not None:
        meta["headline"] = Field(t[1], f"json:{t[0]}", t[1])
    if (a := _text_of(obj, keys["author"])) is not None:
        meta["byline"] = Field(a[1], f"json:{a[0]}", a[1])
    if (d := _text_of(obj, keys["date"])) is not None and (iso := _iso(d[1])):
        meta["date"] = Field(iso, f"json:{d[0]}", d[1])
    url = _text_of(obj, keys["url"])
    if (s := _text_of(obj, keys["source"])) is not None:
        meta["outlet"] = Field(s[1], f"json:{s[0]}", s[1])
    elif url is not None and (host := _host(url[1])):
        meta["outlet"] = Field(host, f"json:{url[0]}", url[1])
    return Document(
        path=path,
        rel=rel,
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        encoding="utf-8",
        encoding_note="JSON record",
        markup_removed=markup,
        paragraphs=paragraphs,
        mtime=mtime,
        meta=meta,
    )


def _text_of(obj: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, str] | None:
    """(key, value as clean text) for the first key holding a string or a list of strings."""
    hit = _first(obj, keys)
    if hit is None:
        return None
    key, value = hit
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if isinstance(v, str | int | float))
    elif isinstance(value, dict):
        value = value.get("name") or ""
    cleaned = _value(value)
    return (key, cleaned[:1000]) if cleaned else None


def _iso(value: str) -> str | None:
    from . import dates
    from .normalise import _dateutil

    hit = dates.parse_date(value, None)
    if hit is None or hit.iso is None or hit.ambiguous:
        hit = _dateutil(value)
    return hit.iso if hit is not None and not hit.ambiguous else None


# ---------------------------------------------------------------------------------------------
# web archives

# archives are read and inflated 64 KiB at a time: large enough for few system calls, small
# enough that a gzip bomb is caught within one chunk of its cap
_CHUNK = 1 << 16
# a WARC record's own headers and the HTTP headers before the page: allowed above --max-bytes
_HEADER_ALLOWANCE = 1 << 20


class _InflateLimit(Exception):
    """A gzip member inflated past its cap: the rest of the file is not read."""


class _Inflate(io.RawIOBase):
    """The gzip members of a file inflated on demand; each member (one WARC record, as the
    format writes them) may inflate to ``cap`` bytes at most, so a bomb stops there. A stream
    that ends inside a member is marked ``truncated``."""

    def __init__(self, raw: IO[bytes], cap: int) -> None:
        self._raw, self.cap = raw, cap
        self._d = zlib.decompressobj(31)
        self._in = b""
        self._member = 0
        self._eof = False
        self.truncated = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._next(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _next(self, want: int) -> bytes:
        while not self._eof:
            if self._d.eof:
                rest = self._d.unused_data or self._raw.read(_CHUNK)
                if not rest:
                    self._eof = True
                    break
                self._d, self._in, self._member = zlib.decompressobj(31), rest, 0
            if not self._in:
                self._in = self._raw.read(_CHUNK)
                if not self._in:
                    self.truncated = self._eof = True
                    break
            out = self._d.decompress(self._in, max(1, min(want, _CHUNK)))
            self._in = self._d.unconsumed_tail
            if out:
                self._member += len(out)
                if self._member > self.cap:
                    raise _InflateLimit
                return out
        return b""


def read_warc(
    ospath: str, shown: str, rel: str, settings: Settings, mtime: float
) -> list[Document | Skipped]:
    """Every HTML response (status 200) of a WARC file as a page document, in file order."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    from .ingest import os_reason

    out: list[Document | Skipped] = []
    try:
        raw = open(ospath, "rb")  # noqa: SIM115 - closed in the finally clause
    except OSError as exc:
        raise InputError(shown, os_reason(exc)) from exc
    cap = settings.max_bytes + _HEADER_ALLOWANCE
    try:
        gz = raw.peek(2)[:2] == b"\x1f\x8b"
        stream: IO[bytes] = io.BufferedReader(_Inflate(raw, cap), _CHUNK) if gz else raw
        records = 0
        try:
            for record in ArchiveIterator(stream, block_size=_CHUNK):
                records += 1
                item = _warc_record(record, shown, rel, settings, mtime)
                if item is not None:
                    out.append(item)
        except _InflateLimit:
            if out and isinstance(out[-1], Skipped) and out[-1].path.startswith(f"{shown}#"):
                out.pop()  # that record's own "too large": one problem, reported once below
            out.append(
                Skipped(
                    shown,
                    f"a record inflates past the {settings.max_bytes:,}-byte cap (a gzip bomb?)"
                    f" after {records} record(s); the rest of the file was not read"
                    " (raise it with --max-bytes)",
                )
            )
            return out
        except (ArchiveLoadFailed, zlib.error, ValueError, EOFError, OSError) as exc:
            out.append(Skipped(shown, f"damaged after {records} record(s): {_short(exc)}"))
            return out
        except Exception as exc:  # warcio's parser on a malformed header (None where it
            # expects text, …): the file is damaged there, the records before it stay
            out.append(Skipped(shown, f"damaged after {records} record(s): {_short(exc)}"))
            return out
        cut_reported = out and isinstance(out[-1], Skipped) and "truncated" in out[-1].reason
        if gz and stream.raw.truncated and not cut_reported:  # type: ignore[attr-defined]
            out.append(Skipped(shown, f"truncated: the file ends inside record {records + 1}"))
        if records == 0:
            return [Skipped(shown, "not a web archive (no WARC records)")]
    finally:
        raw.close()
    return out


_RECORD_ID = re.compile(r"^<?(?:urn:uuid:)?|>$")  # the id inside "<urn:uuid:…>"


def _warc_record(
    record: Any, shown: str, rel: str, settings: Settings, mtime: float
) -> Document | Skipped | None:
    """An HTML response's page, why it cannot be read, or None for the other records."""
    from .ingest import decode

    if record.rec_type != "response" or record.http_headers is None:
        return None
    ctype = (record.http_headers.get_header("Content-Type") or "").lower()
    if "html" not in ctype or record.http_headers.get_statuscode() != "200":
        return None
    rid = record.rec_headers.get_header("WARC-Record-ID") or ""
    rid = _RECORD_ID.sub("", rid.strip())
    path, where_rel = f"{shown}#{rid}", f"{rel}#{rid}"
    try:
        data = record.content_stream().read(settings.max_bytes + 1)
    except (zlib.error, OSError, ValueError, EOFError) as exc:
        return Skipped(path, f"unreadable response body ({_short(exc)})")
    if len(data) > settings.max_bytes:
        return Skipped(path, _cap_reason(settings, "page"))
    declared = record.rec_headers.get_header("Content-Length")
    if declared and declared.isdigit() and record.raw_stream.limit > 0:
        return Skipped(path, "truncated record (the file ends inside it)")
    if not data.strip():
        return Skipped(path, "empty response body")
    text, encoding, note = decode(data)
    if text is None:
        return Skipped(path, f"binary response ({note}), not a page")
    url = record.rec_headers.get_header("WARC-Target-URI")
    stamp = record.rec_headers.get_header("WARC-Date") or ""
    when = _iso(stamp) if stamp else None
    fallback = Field(when[:10], "warc-date", stamp) if when else None
    try:
        return html_document(
            text, path, where_rel, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            encoding=encoding, encoding_note=note, mtime=mtime, url=url, fallback_date=fallback,
        )  # fmt: skip
    except InputError as exc:
        return Skipped(exc.path, exc.reason)


def read_container(
    ospath: str, shown: str, rel: str, kind: str, settings: Settings, mtime: float
) -> list[Document | Skipped]:
    """The records of one container file, each a Document or a Skipped (never raises for a
    bad record; raises :class:`InputError` when the file itself cannot be read)."""
    if kind == "warc":
        return read_warc(ospath, shown, rel, settings, mtime)
    return read_json_export(ospath, shown, rel, kind, settings, mtime)
