"""Web inputs: saved HTML pages, scraper exports (JSON, JSON lines) and web archives (WARC).

A saved page is read through trafilatura (the article and its metadata) and htmldate (the
original publication date); a container (an export or an archive) yields one document per record,
each with a path that says where it is (``feed.jsonl:17``, ``crawl.warc.gz#<record id>``) and
an id from the record's own bytes. The three libraries are imported only when such an input is met.

Nothing here raises past its caller for a bad record: containers return a list of
:class:`~newsdedup.model.Document` and :class:`~newsdedup.model.Skipped`, in file order.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
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
# what a saved page may carry before its <html>: comments, scripts, styles and a title
# (whatever their length) and empty tags of the head; a text file opens with none of them
_PREAMBLE_BLOCK = re.compile(r"<(!--|(?:script|style|noscript|title)\b)", re.IGNORECASE)
_PREAMBLE_TAG = re.compile(r"<(?:meta|link|base)\b[^<>]{0,2000}>", re.IGNORECASE)
#: blocks skipped before the page's structure is looked for (a page opens with a few; a
#: text of thousands of comments is not a page)
_PREAMBLE_MAX = 1000


def _skip_preamble(text: str) -> str:
    """``text`` after its leading comments, scripts, styles and head tags (plain searches:
    linear, whatever their length)."""
    pos = 0
    lower: str | None = None
    for _ in range(_PREAMBLE_MAX):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?xml", pos):
            end = text.find(">", pos)
        elif m := _PREAMBLE_BLOCK.match(text, pos):
            lower = lower if lower is not None else text.lower()
            tag = m.group(1).lower()
            close = "-->" if tag == "!--" else f"</{tag}"
            end = lower.find(close, m.end())
            if end >= 0 and tag != "!--":
                end = lower.find(">", end)
            elif end >= 0:
                end += 2
        elif m := _PREAMBLE_TAG.match(text, pos):
            end = m.end() - 1
        else:
            break
        if end < 0:
            return ""
        pos = end + 1
    return text[pos:]


def looks_like_html(text: str) -> bool:
    """A web page, whatever the file's name: it opens with a doctype or ``<html>``, or has a
    ``<head>``/``<body>`` tag near the start, after any comments, scripts and styles (a saved
    page may open with long ones)."""
    head = text[:_SNIFF].lstrip()
    if _HTML_START.match(head) or _HTML_EARLY.search(head):
        return True
    if not head.startswith("<"):
        return False
    rest = _skip_preamble(text)[:_SNIFF]
    return bool(_HTML_START.match(rest) or _HTML_EARLY.search(rest))


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
_QUICK_DATE_OPTIONS: dict[str, Any] = {**_DATE_OPTIONS, "extensive_search": False}


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

    ``text`` is the decoded page with control characters already removed. The page is parsed
    once: its site, headline, article and date are all read from that one tree. If trafilatura
    finds no article, the page's tags are stripped instead (said in ``encoding_note``)."""
    from .ingest import clean_controls, strip_markup, to_paragraphs

    meta: dict[str, Field] = {}
    tree = _parse(text)
    site = page_site(tree, text, url) if tree is not None else None
    extracted = _extract(tree, url) if tree is not None else None
    if extracted is not None and extracted.get("text"):
        body = _unescape(clean_controls(str(extracted["text"])))
        # each line a paragraph, its white space runs as one space
        paragraphs = [p for p in (" ".join(ln.split()) for ln in body.split("\n")) if p]
        note = encoding_note
        headline = page_headline(tree, _value(extracted.get("title")), site)
        if headline is not None:
            meta["headline"] = headline
            if paragraphs and _squash(paragraphs[0]) == _squash(headline.value or ""):
                paragraphs = paragraphs[1:]  # the page's heading, already the headline
        author = _value(extracted.get("author"))
        if author:
            meta["byline"] = Field(author, "html:author", author)
        date = _value(extracted.get("date"))
        if date:
            meta["date"] = Field(date, "html:htmldate", "htmldate: original publication date")
    else:
        stripped, _ = strip_markup(text)
        paragraphs = to_paragraphs(stripped)
        note = f"{encoding_note}; no article found by trafilatura: tags stripped"
        date = _htmldate(tree if tree is not None else text)
        if date:
            meta["date"] = Field(date, "html:htmldate", "htmldate: original publication date")
        if tree is not None and (headline := page_headline(tree, None, site)) is not None:
            meta["headline"] = headline
    if site is not None:
        meta["outlet"] = site.field
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
        site=(site.host or "") if site is not None else "",  # "": a page of an unknown site
    )


# an extractor's escapes (trafilatura writes a table cell's pipe as "\|") and a tag that got
# through as text ("<MAP NAME=…>", "</AREA>"): a reader sees neither
_ESCAPE = re.compile(r"\\([|*_#`\[\]\\])")
_LEFT_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,15}(?:\s[^<>]{0,2000})?/?>|<!--.{0,2000}?-->")


def _unescape(text: str) -> str:
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    if "<" in text:
        from .ingest import strip_markup

        text = _LEFT_TAG.sub("", strip_markup(text)[0]) if _LEFT_TAG.search(text) else text
    return text


def _value(raw: object) -> str | None:
    from .ingest import clean_controls

    if raw is None:
        return None
    text = " ".join(clean_controls(str(raw)).split())  # white space runs as one space
    return text or None


#: the labels a host may carry in front of its site's name: the same site on the web, mobile
#: and accelerated pages
_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    if host == "web.archive.org":  # an archived copy: the site is the one archived
        m = re.match(r"/web/[0-9a-z_]{1,40}/(https?://.{1,2000})", parts.path, re.IGNORECASE)
        return _host(m.group(1)) if m else host
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


# ---------------------------------------------------------------------------------------------
# a page's site


@dataclass(frozen=True)
class Site:
    """Who published a page: its outlet field (a name, or the host when the page names none)
    and the host (the key that ties the pages of one site together across a run)."""

    field: Field
    host: str | None


#: hosts a page links to that are never its own site: social networks, link shorteners, share
#: buttons, ad, analytics and CDN hosts, licences, blog platforms
_NOT_SITES = frozenset(
    [
        "facebook.com",
        "twitter.com",
        "x.com",
        "instagram.com",
        "youtube.com",
        "youtu.be",
        "linkedin.com",
        "pinterest.com",
        "reddit.com",
        "tiktok.com",
        "whatsapp.com",
        "telegram.me",
        "t.me",
        "t.co",
        "bit.ly",
        "amzn.to",
        "goo.gl",
        "ow.ly",
        "tinyurl.com",
        "google.com",
        "doubleclick.net",
        "googleadservices.com",
        "googlesyndication.com",
        "addtoany.com",
        "addthis.com",
        "sharethis.com",
        "disqus.com",
        "gravatar.com",
        "wp.com",
        "wordpress.com",
        "wordpress.org",
        "blogger.com",
        "creativecommons.org",
        "cloudfront.net",
        "akamaihd.net",
        "fastly.net",
        "apple.com",
        "play.google.com",
        "feedburner.com",
        "flickr.com",
        "tumblr.com",
        "vimeo.com",
        "mailchi.mp",
        "amazon.com",
        "github.com",
        "archive.org",
        "w3.org",
        "schema.org",
    ]
)
# a link host names the site when at least this many links go there (two could be a credit
# and a source) and at least half the page's counted links (a page links home more than away)
_LINKS_MIN = 3
_LINKS_SHARE = 0.5
# the second-level labels under which a site's own name is one label further down
# (news.bbc.co.uk's site is bbc.co.uk, not co.uk)
_SECOND_LEVEL = frozenset(
    ["co", "com", "org", "net", "gov", "ac", "edu", "ne", "or", "go", "gob", "nic"]
)
# a site name is a few words; a longer og:site_name is a tag line or a sentence
_NAME_MAX_WORDS = 8
_NAME_MAX_CHARS = 60
_SEPARATORS = re.compile(r"\s+(?:[|·•»«:~/]|::|[-–—]{1,2})\s+")
_HOSTLIKE = re.compile(r"^(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,12})/?$", re.I)
_WWW_HOST = re.compile(r"\b(?:https?://)?www\.((?:[a-z0-9-]+\.)+[a-z]{2,12})\b", re.I)
_COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright\b|\ball rights reserved\b", re.I)
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d{1,5}\)(\S{1,2000})\s*-->", re.I)


def site_key(host: str) -> str:
    """The registered part of a host: ``news.bbc.co.uk`` → ``bbc.co.uk``, ``link.springer.com``
    → ``springer.com`` (without a suffix list: a two-letter country code under one of
    _SECOND_LEVEL takes one more label)."""
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def site_name(raw: str | None) -> str | None:
    """A site's name as declared (``og:site_name``, a JSON-LD publisher): its tag line cut off
    (``WSVN 7News | Miami News, Weather`` → ``WSVN 7News``), a URL or host given as the name
    made a host, and None for what is no name (a copyright line, a sentence)."""
    value = _value(raw)
    if not value or _COPYRIGHT.search(value):
        return None
    if m := _HOSTLIKE.match(value):
        return _host("http://" + m.group(1))
    if m := _WWW_HOST.search(value):  # "News and Opinion on www.example.com"
        return _host("http://" + m.group(1))
    name = _SEPARATORS.split(value, maxsplit=1)[0].strip(" -–—|:")
    if not name or len(name) > _NAME_MAX_CHARS or len(name.split()) > _NAME_MAX_WORDS:
        return None
    return name if any(c.isalpha() for c in name) else None


def _meta(tree: Any, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        if text := _value(value):
            return text
    return None


#: JSON-LD objects looked at in one page: a page's blocks hold dozens; a pathological one is
#: not walked to its end
_LD_MAX_OBJECTS = 5000


def _json_ld(tree: Any) -> list[dict[str, Any]]:
    """Every object of the page's JSON-LD blocks, nested ones included, in document order."""
    out: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            value = json.loads(script)
        except (ValueError, RecursionError):
            continue
        stack = [value]
        while stack and len(out) < _LD_MAX_OBJECTS:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                out.append(item)
                stack.extend(reversed([v for v in item.values() if isinstance(v, dict | list)]))
    return out


def _publisher(tree: Any) -> str | None:
    """The name of the publisher the page's JSON-LD gives (a reference by ``@id`` followed)."""
    objects = _json_ld(tree)
    named = {
        o["@id"]: o["name"]
        for o in objects
        if isinstance(o.get("@id"), str) and isinstance(o.get("name"), str)
    }
    for obj in objects:
        pub = obj.get("publisher")
        for one in pub if isinstance(pub, list) else [pub]:
            raw = one
            if isinstance(one, dict):
                ref = one.get("@id")
                raw = one.get("name") or (named.get(ref) if isinstance(ref, str) else None)
            if isinstance(raw, str) and (name := site_name(raw)):
                return name
    return None


def _title(tree: Any) -> str | None:
    return _meta(tree, "//head//title//text()|//title//text()")


def _og_title(tree: Any) -> str | None:
    return _meta(tree, '//meta[@property="og:title" or @name="og:title"]/@content')


def title_parts(title: str) -> list[str]:
    """A ``<title>`` cut at its separators (``Headline | Section | Site``)."""
    return [p.strip() for p in _SEPARATORS.split(title) if p.strip()]


def _title_suffix(tree: Any, headline: str | None) -> str | None:
    """The site's part of the ``<title>``: a host at its start or end, else what is left when
    the headline is taken out, else its last part when that is short (five words: a site's
    name) and the rest is longer."""
    title = _title(tree)
    if not title:
        return None
    parts = title_parts(title)
    if len(parts) < 2:
        return None
    for part in (parts[-1], parts[0]):  # a host as the title's first or last part
        if _HOSTLIKE.match(part):  # ("CNN.com - Headline", "Headline | example.com")
            return site_name(part)
    head = _squash(headline or "")
    if head:
        rest = [p for p in parts if _squash(p) not in head]
        if len(rest) == 1 and _squash(rest[0]) != head:
            return site_name(rest[0])
        return None
    last = parts[-1]
    # five words: "The Times of India"; the headline before it is longer than the name
    if len(last.split()) <= 5 and len(" ".join(parts[:-1])) > len(last):
        return site_name(last)
    return None


def _link_host(tree: Any) -> str | None:
    """The host the page's own links point to most, if it is most of them (ad, social and
    CDN hosts left out)."""
    counts: Counter[str] = Counter()
    hosts: dict[str, Counter[str]] = defaultdict(Counter)
    for href in tree.xpath("//a/@href"):
        if not href.startswith(("http://", "https://", "//")):
            continue
        host = _host(href if not href.startswith("//") else "http:" + href)
        if host is None:
            continue
        key = site_key(host)
        if key in _NOT_SITES or host in _NOT_SITES:
            continue
        counts[key] += 1
        hosts[key][host] += 1
    if not counts:
        return None
    (key, n), *_ = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if n < _LINKS_MIN or n < _LINKS_SHARE * sum(counts.values()):
        return None
    # the key's most linked host (ties: the shorter, then in order): "bbc.co.uk", not "m.bbc…"
    return min(hosts[key].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]


def page_site(tree: Any, text: str, url: str | None = None) -> Site | None:
    """Who published the page, from the page itself, in this order: ``og:site_name``, the
    JSON-LD publisher, the host of the canonical URL or ``og:url`` (or of ``url``, where an
    archive says it was fetched), a browser's ``saved from url=`` comment, the ``<title>``'s
    site part, then the host most of its links point to. Never a copyright line or a headline.
    The site's host (the key of one name per site) is where an archive fetched the page, else
    the canonical URL's, ``og:url``'s, the comment's or the links' host.
    None if the page says nothing (the folder may name it later)."""
    # the page's own address: its canonical link, else the base its relative links resolve to
    canonical = _meta(tree, '//link[@rel="canonical"]/@href|//base/@href')
    og_url = _meta(tree, '//meta[@property="og:url" or @name="og:url"]/@content')
    saved = _SAVED_FROM.search(text, 0, 4096)
    saved_url = saved.group(1) if saved else None
    # where an archive fetched the page is where it came from; else what the page says
    host = next(
        (h for u in (url, canonical, og_url, saved_url) if (h := _host(u)) is not None), None
    )
    if host is None:
        host = _link_host(tree)
    raw = _meta(tree, '//meta[@property="og:site_name" or @name="og:site_name"]/@content')
    if name := site_name(raw):
        return Site(Field(name, "html:sitename", raw), host if "." not in name else name)
    if name := _publisher(tree):
        return Site(Field(name, "html:json-ld:publisher", name), host)
    for source, value in (("html:url", url), ("html:url", canonical), ("html:url", og_url)):
        if h := _host(value):
            return Site(Field(h, source, value), h)
    if saved_url and (h := _host(saved_url)):
        return Site(Field(h, "html:saved-from", saved.group(0) if saved else None), h)
    title = _title(tree)
    # the links' host, when there is one, must agree with the title's site part: a title's
    # last part may be a place or a section ("… | Nassau / Paradise Island, Bahamas")
    if (name := _title_suffix(tree, _og_title(tree))) and (
        host is None or _is_site_part(name, Site(Field(host), host))
    ):
        return Site(Field(name, "html:title-suffix", title), host)
    if host is not None:
        return Site(Field(host, "html:links", "the host most of the page's links point to"), host)
    return None


# ---------------------------------------------------------------------------------------------
# a page's headline

_NOT_ALNUM = re.compile(r"[\W_]+")


def _squash(text: str) -> str:
    """Letters and digits only, in lower case: names and hosts compared (``Jamaica Gleaner``,
    ``jamaica-gleaner.com``)."""
    return _NOT_ALNUM.sub("", text.lower())


def _is_site_part(part: str, site: Site | None) -> bool:
    """Is a part of a title the site's name or host (``BBC News``, ``nationnews.com``)?"""
    if site is None:
        return False
    p = _squash(part)
    if not p:
        return True  # a separator left alone
    names = {_squash(site.field.value or "")}
    if site.host:
        names.add(_squash(site.host))
        names.add(_squash(site.host.rsplit(".", 1)[0]))  # the host without its top level
    names.discard("")
    # the part is the name, or a longer form of it ("NationNews Barbados"), or the name is
    # within the host ("Jamaica Gleaner" in jamaica-gleaner.com)
    return any(p == n or p.startswith(n) or (len(p) >= 4 and p in n) for n in names)


def _is_site_name(text: str, site: Site | None) -> bool:
    """Is ``text`` the site's name or host itself (a title that names only the site)?"""
    if site is None:
        return False
    names = {site.field.value or "", site.host or ""}
    if site.host:
        names.add(site.host.rsplit(".", 1)[0])
    return _squash(text) in {_squash(n) for n in names} - {""}


def strip_site(title: str, site: Site | None) -> str:
    """``title`` without the site's name at its end or start (``Headline - BBC News``)."""
    declared = site.field.evidence if site is not None else None
    if declared and len(title) > len(declared) + 3 and title.endswith(declared):
        # the site's whole declared name, tag line and all ("… - My Daily Magazine - Art, …")
        title = title[: -len(declared)].rstrip(" |·•»«:~/-–—")
    parts = title_parts(title)
    if len(parts) < 2:
        return title
    start, end = 0, len(parts)
    while end - start > 1 and _is_site_part(parts[end - 1], site):
        end -= 1
    while end - start > 1 and _is_site_part(parts[start], site):
        start += 1
    if (start, end) == (0, len(parts)):
        return title
    # cut the original text, so separators inside the headline ("Letters: A | B") stay
    kept = title
    for part in parts[end:]:
        kept = kept[: kept.rfind(part)]
    for part in parts[:start]:
        kept = kept[kept.find(part) + len(part) :]
    return kept.strip(" |·•»«:~/-–—") or title


def page_headline(tree: Any, extracted: str | None, site: Site | None) -> Field | None:
    """The title a reader would give the article: the page's title (Open Graph, the
    extractor's, the ``<title>``, the first ``<h1>``) without the site's name, and never markup,
    separators, a prompt or a byline (a candidate that is one is passed over)."""
    from .normalise import plausible_headline

    candidates = [
        ("html:og:title", _og_title(tree)),
        (_title_source(tree), extracted),
        ("html:title", _title(tree)),
        ("html:h1", _meta(tree, "//h1//text()")),
    ]
    best: Field | None = None
    for source, raw in candidates:
        if not raw:
            continue
        head = strip_site(raw, site)
        if not plausible_headline(head) or _is_site_name(head, site):
            continue
        field = Field(head, source, raw)
        # one word is a label or a system's name ("escenic", "Home"): a longer candidate wins
        if len(head.split()) >= 2:
            return field
        best = best or field
    return best


# ---------------------------------------------------------------------------------------------
# the article


def _parse(text: str) -> Any:
    """The page's lxml tree (None if it has none), parsed once for all that is read from it."""
    from trafilatura.utils import load_html

    try:
        return load_html(text)
    except Exception:  # lxml on a page it cannot read: the page's tags are stripped instead
        return None


def _extract(tree: Any, url: str | None) -> dict[str, Any] | None:
    """trafilatura's article and metadata from the page's tree (None if it finds none)."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False, **_EXTRACT_OPTIONS)
    except Exception:  # a bug in the extractor on an odd page: fall back to tag stripping
        return None
    if doc is None:
        return None
    out: dict[str, Any] = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    if out.get("text"):
        out.update(_metadata(tree, url))
    return out


def _metadata(tree: Any, url: str | None) -> dict[str, str | None]:
    """The page's title, author and date as trafilatura's metadata step finds them, and only
    those (its categories, tags, licence and site name cost a third of its time, and the site
    is read by :func:`page_site`). Works on the one tree: trafilatura and htmldate copy what
    they prune."""
    from htmldate import find_date
    from trafilatura.metadata import (
        examine_meta,
        extract_author,
        extract_meta_json,
        extract_title,
        extract_url,
    )

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # one word: a handle, not a byline
        meta.author = None
    # the extractor's JSON-LD reader on odd data: the meta tags stay
    with contextlib.suppress(Exception):
        meta = extract_meta_json(tree, meta)
    title = meta.title or extract_title(tree)
    author = meta.author or extract_author(tree)
    page_url = meta.url or extract_url(tree, url)
    try:
        # the page's declarations and the usual patterns first; the extensive search (text,
        # free-form dates through dateparser, which costs a second to start) only if they
        # find nothing
        date = find_date(tree, url=page_url, **_QUICK_DATE_OPTIONS) or find_date(
            tree, url=page_url, **_DATE_OPTIONS
        )
    except Exception:  # htmldate on an odd page: no date rather than no article
        date = None
    return {"title": title, "author": author, "date": date}


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


def _htmldate(page: Any) -> str | None:
    try:
        from htmldate import find_date

        return find_date(page, **_DATE_OPTIONS)
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
    from .ingest import open_regular

    try:
        fh = open_regular(ospath)  # closed below, after the generator is drained
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
    from .ingest import open_regular, os_reason, read_capped

    try:
        with open_regular(ospath) as fh:
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

    from .ingest import open_regular, os_reason

    out: list[Document | Skipped] = []
    try:
        raw = open_regular(ospath)  # closed in the finally clause
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
