"""Stage 2: turn a decoded document into an article with a normalised header and a clean body.

:func:`parse` works on one document; :func:`finalise` then looks at the whole run to settle what
one file alone cannot tell: the day/month order of an outlet's numeric dates, an agency that an
outlet's other files credit, and paragraphs that recur across an outlet's articles (boilerplate).
Every field records where it came from (see :class:`newsdedup.model.Field`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import string
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace

from . import dates
from .labels import label_run
from .model import Article, Document, Field, Removed
from .settings import Settings

# ---------------------------------------------------------------------------------------------
# agencies

AGENCIES: dict[str, str] = {
    "afp": "AFP", "agence france-presse": "AFP", "agence france presse": "AFP",
    "reuters": "Reuters", "reuter": "Reuters", "thomson reuters": "Reuters",
    "ap": "AP", "associated press": "AP", "the associated press": "AP",
    "pa": "PA", "pa news": "PA", "press association": "PA", "pa media": "PA",
    "dpa": "dpa", "xinhua": "Xinhua", "upi": "UPI", "united press international": "UPI",
    "bloomberg": "Bloomberg", "ansa": "ANSA", "efe": "EFE", "kyodo": "Kyodo", "yonhap": "Yonhap",
    "tass": "TASS", "aap": "AAP", "cp": "CP", "canadian press": "CP", "anadolu": "Anadolu",
    "bernama": "Bernama", "pti": "PTI", "press trust of india": "PTI", "ians": "IANS",
}  # fmt: skip
_AGENCY_ALT = "|".join(sorted((re.escape(k) for k in AGENCIES), key=len, reverse=True))


def agency_name(text: str) -> str | None:
    return AGENCIES.get(text.strip().lower().rstrip("."))


# ---------------------------------------------------------------------------------------------
# patterns
#
# The bounds in these patterns say how long each thing can be, and keep every search linear:
# a header value fits in 300 characters (a title, a list of authors, a URL; a longer "Date: …"
# line is prose); a date after "Date:" in 6-60 ("9/4/24" to "Wednesday, September 27, 2023
# 10:45 AM EDT"); a PA slug's desk code in 1-6 capitals and its slug in 120 characters; a
# byline's name in 81 and its organisation in 120; a dateline's place in four words with an
# optional region, and an agency in brackets in 31 characters ("Agence France-Presse" has 20).

_HEADER_KV = re.compile(
    r"^(?P<key>date|published|updated|posted|source|publisher|outlet|publication|agency|"
    r"author|byline|by|title|headline|dateline|section|url|link)\s*:\s*(?P<value>.{1,300})$",
    re.IGNORECASE,
)
_DATE_PREFIX = re.compile(
    r"^\s*(?:date|dated|published|posted|updated)[:\s]+(.{6,60}?)(?:\s+|$)", re.I
)
_SLUG = re.compile(
    r"^(?P<h>\d{1,2}):(?P<m>\d{2})\s+(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{2,4}):?\s+"
    r"Page\s+(?P<page>\d+)\s*(?:\((?P<desk>[A-Z]{1,6})\))?\s*(?P<slug>.{0,120})$"
)
_BYLINE = re.compile(
    r"^By\s+(?P<name>[A-Z][\w.'’\- ]{1,80}?)(?:\s*[,/|]\s*(?P<org>.{2,120}?))?\.?$"
)
_DATELINE = re.compile(
    r"^(?P<place>(?:[A-Z][A-Z.'’\-]+|[A-Z][a-z]+\.?)(?:[ /][A-Z][A-Za-z.'’\-]+){0,3}"
    r"(?:,\s*[A-Z][A-Za-z.]+(?:\s[A-Z][a-z.]+)?)?)"
    rf"(?:,\s*(?P<md>{dates._MONTH_RX}\s+\d{{1,2}}))?"
    r"\s*(?:\((?P<agency>[A-Za-z][A-Za-z .\-]{1,30})\))?"
    r"\s*(?:-{1,2}|—|–)(?:\s+(?=\S)|\s*$)"
)
_TRAIL_CREDIT = re.compile(
    rf"(?:\s+|^)(?:[-—–]+\s*|\()?(?P<agency>{_AGENCY_ALT})\)?\s*$", re.IGNORECASE
)
_WIRE_CONTROL = re.compile(
    r"^\(?(?:end|ends|endit|more|mfl|mf|reopens|re-opens|corrects?|repeats?|adds?|updates?"
    r"|substitute|advisory[^)]*|editors?:?[^)]*|note to editors[^)]*|embargoed[^)]*)\)?\.?$",
    re.IGNORECASE,
)
# (kind, pattern, words): a rule with words cannot match a paragraph that has none of them
# (compared as in _folded); they let the slow patterns be left out of most searches. The
# lengths in the patterns keep each rule to a line or two (a credit line's names in 300
# characters, a copyright notice in 400, a newsletter prompt's parts in 80 each): the same
# words inside a long paragraph are story, not furniture.
_BOILERPLATE_RULES: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = [
    (
        "sign-off",
        re.compile(
            r"^(?:[-—–]+\s*)?\(?(?i:Reuters?|AFP|dpa|Xinhua)\)?\.{0,3}(?:\s+[A-Z]{1,2})?$|^(?:[-—–]+\s*)?\(?(?:AP|PA)\)?\.?$"
        ),
        (),
    ),
    (
        "credits",
        re.compile(
            r"^\(?(?:Reporting|Additional reporting|Writing|Editing|Compiled)\s+by\b.{0,300}$", re.I
        ),
        (),
    ),
    ("copyright", re.compile(r"^(?:©|\(c\)|copyright\b).{0,400}$", re.I), ()),
    (
        "copyright",
        re.compile(r"^.{0,120}\ball rights reserved\.?$", re.I),
        ("all rights reserved",),
    ),
    (
        "newsletter",
        re.compile(
            r"^.{0,80}\b(?:sign up|subscribe)\b.{0,80}\b(?:newsletter|inbox|updates|alerts)\b.{0,80}$",
            re.I,
        ),
        ("sign up", "subscribe"),
    ),
    (
        "newsletter",
        re.compile(
            r"^(?:read more|related|more on this story|see also|click here|follow us)\b.{0,200}$",
            re.I,
        ),
        (),
    ),
    (
        "donation",
        re.compile(r"^(?:remind me later|maybe later|not now|continue reading)\.?$", re.I),
        (),
    ),
    # web page furniture: advertising labels, section links, a bare site address
    (
        "page-furniture",
        re.compile(
            r"^(?:advertisement|advertising|sponsored(?: content)?|ad)$"
            r"|^(?:latest|most popular|most read|trending|recommended|related|more)"
            r" (?:articles|stories|news|posts|videos)$"
            r"|^search(?: \S+){0,4}$"
            r"|^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}/?$",
            re.I,
        ),
        (),
    ),
    # a page's metadata labels on a line of their own ("News date : 04/21/2022 Category :
    # Press Releases", "Release Date:", "… - Last Modified: 03-10-2004"): 60 characters either
    # side of the label hold a file name, a date or a section, not a sentence of story
    (
        "page-furniture",
        re.compile(
            r"^.{0,60}\b(?:news date|categor(?:y|ies)|tags|filed under|posted in|last modified"
            r"|last updated|release date)\s*:.{0,60}$",
            re.I,
        ),
        (
            "categor",
            "tags",
            "filed under",
            "posted in",
            "modified",
            "last updated",
            "release date",
            "news date",
        ),
    ),
    (
        "share",
        re.compile(
            r"^(?:share|share this|share on \w+|tweet|email|print)(?:\s*[|/·•]\s*\w+)*\s*$", re.I
        ),
        (),
    ),
]
# "A Message from The Moscow Times:", "A note from the editors", "A letter from our editor"
# (the signer: a name of 3-61 characters, an outlet's or an editor's)
_SIGNATURE = re.compile(
    r"^(?i:An?|Our)\s+(?i:message|note|letter|appeal|word)\s+(?i:from)\s+(?P<who>[A-Z][\w&.'’\- ]{2,60}?)\s*[:.!]?$"
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


_TEX_OPEN = re.compile(r"`(?=\w)")
_WIRE_POUND = re.compile(r"#(?=\d)")
_ORG_PARTS = re.compile(r"\s*[,/|]\s*")
_BY = re.compile(r"^By\s+")


def clean_text(text: str, wire: bool) -> str:
    """Typographic clean-up: TeX quotes, and ``#`` for £ in wire copy from ASCII-only feeds."""
    if "`" in text:
        text = text.replace("``", "\u201c")
        text = _TEX_OPEN.sub("\u2018", text)  # TeX's `single' quotes
    text = text.replace("''", "\u201d")
    if wire and "#" in text:
        text = _WIRE_POUND.sub("£", text)
    return text.strip()


# ---------------------------------------------------------------------------------------------
# one document


def parse(doc: Document, settings: Settings) -> Article:
    """Normalise one document. Never raises for odd text: fields it cannot find stay empty."""
    art = Article(doc=doc)
    paras = list(doc.paragraphs)
    header: dict[str, Field] = dict(doc.meta)
    timestamp_year: int | None = None
    i = 0
    # --- the header block: leading paragraphs that are metadata, not story (ten at most: a
    # timestamp, a slug, a title, a byline, date and control lines; the story starts sooner)
    while i < len(paras) and i < 10:
        p = paras[i].strip()
        if stamp := dates.parse_timestamp(p):
            header.setdefault("date", Field(stamp.iso, "timestamp", stamp.evidence))
            timestamp_year = int(stamp.iso[:4]) if stamp.iso else None
            i += 1
            continue
        if m := _SLUG.match(p):
            time = f"{int(m['h']):02d}:{int(m['m']):02d}"
            hit = dates.numeric_date(
                int(m["a"]), int(m["b"]), dates._year(int(m["y"])), time, p, settings.dayfirst
            )
            if hit is not None:
                _set_date(art, header, hit, "slug")
            slug = (m["slug"] or "").strip()
            if slug:
                header.setdefault("slug", Field(slug, "slug", p))
            i += 1
            continue
        if m := _HEADER_KV.match(p):
            _header_field(art, header, m["key"].lower(), m["value"].strip(), settings)
            i += 1
            continue
        if m := _DATE_PREFIX.match(p):
            hit = dates.parse_date(m.group(1), settings.dayfirst)
            if hit is not None:
                _set_date(art, header, hit, "header")
                rest = p[m.end(1) :].strip()
                if not rest:
                    i += 1
                    continue
                paras[i] = rest  # the story starts on the same line
                break
        if (
            "headline" not in header
            and i + 1 < len(paras)
            and (_looks_like_headline(p) or _looks_like_title_line(p, paras[i + 1]))
            and plausible_headline(p)
        ):
            header["headline"] = Field(clean_text(_headline_case(p), False), "header", p)
            i += 1
            continue
        if m := _BYLINE.match(p):
            header.setdefault("byline", Field(m["name"].strip(), "byline", p))
            for part in _ORG_PARTS.split(m["org"] or ""):
                if ag := agency_name(part):
                    header.setdefault("agency", Field(ag, "byline", p))
            i += 1
            continue
        # an editor's note in brackets ("(Corrects paragraph 3 to show …)") is 20 words at most;
        # a longer bracketed paragraph is story
        if _WIRE_CONTROL.match(p) or (p.startswith("(") and p.endswith(")") and _words(p) <= 20):
            art.removed.append(Removed("wire-control", p))
            i += 1
            continue
        # a date line has 8 words at most ("Tuesday 9 April 2024 10:30 GMT"); a longer
        # paragraph that names a date is a sentence of the story
        if (
            "date" not in header
            and _words(p) <= 8
            and (hit := dates.parse_date(p, settings.dayfirst))
        ):
            _set_date(art, header, hit, "header")
            i += 1
            continue
        break
    body = paras[i:]
    wire = "slug" in header or getattr(header.get("date"), "source", None) == "timestamp"
    body = [clean_text(p, wire) for p in body]
    body = [p for p in body if p]

    # --- dateline at the start of the story
    if body:
        m = _DATELINE.match(body[0])
        if m and _plausible_place(m["place"]):
            place = m["place"].strip().rstrip(",")
            header.setdefault("dateline", Field(place, "dateline", m.group(0).strip()))
            if m["agency"] and (ag := agency_name(m["agency"])):
                header.setdefault("agency", Field(ag, "dateline", m.group(0).strip()))
            if m["md"] and "date" not in header and timestamp_year:
                iso = dates.month_day(m["md"], timestamp_year)
                if iso:
                    header["date"] = Field(iso, "dateline", m["md"])
            body[0] = body[0][m.end() :].strip()
            if not body[0]:
                body.pop(0)

    # --- trailing block: signatures, appeals, sign-offs, credits
    body, removed_tail, sig_outlet, plain = _strip_tail(body, header)
    art.removed.extend(removed_tail)
    if sig_outlet:
        header.setdefault("outlet", Field(sig_outlet, "signature", f"A message from {sig_outlet}"))

    # --- boilerplate anywhere (``plain``, a paragraph the tail's search found not to be, is
    # not looked at again)
    kept: list[str] = []
    for p in body:
        kind = None if p == plain else boilerplate_kind(p)
        if kind:
            art.removed.append(Removed(kind, p))
        else:
            kept.append(p)
    art.body = kept

    # --- outlet from the path or the user's pattern
    if "outlet" not in header:
        outlet = outlet_from_path(doc.rel, settings.source_from_path)
        if outlet:
            header["outlet"] = Field(outlet, "path", doc.rel)
    if "date" not in header and settings.use_mtime and doc.mtime:
        when = dt.datetime.fromtimestamp(doc.mtime, tz=dt.UTC).replace(microsecond=0)
        header["date"] = Field(when.isoformat(), "mtime", "file modification time (--use-mtime)")
    for name, value in header.items():
        setattr(art, name, value)
    if art.headline.value is None:
        # the first paragraph a reader would read as the story's start (not a menu's labels)
        lead = next((p for p in art.body if not label_run(p) and plausible_lead(p)), None)
        if lead is not None:
            art.headline = Field(lead_headline(lead), "lead", None)
    # the raw paragraphs are not needed past this point: the body and what was removed say it
    art.doc = replace(doc, paragraphs=[], meta={})
    return art


def _set_date(art: Article, header: dict[str, Field], hit: dates.DateHit, source: str) -> None:
    if "date" in header or art.pending_date is not None:
        return
    if hit.ambiguous:
        art.pending_date = (hit.first, hit.second, hit.year, hit.time, hit.evidence, source)
    else:
        header["date"] = Field(hit.iso, source, hit.evidence)


def _header_field(
    art: Article, header: dict[str, Field], key: str, value: str, settings: Settings
) -> None:
    if key in ("date", "published", "updated", "posted"):
        hit = dates.parse_date(value, settings.dayfirst) or _dateutil(value)
        if hit is not None and key != "updated":
            _set_date(art, header, hit, "header")
    elif key in ("source", "publisher", "outlet", "publication"):
        ag = agency_name(value)
        if ag and key == "source":
            header.setdefault("agency", Field(ag, "header", f"{key}: {value}"))
        header.setdefault("outlet", Field(value, "header", f"{key}: {value}"))
    elif key == "agency":
        header.setdefault("agency", Field(agency_name(value) or value, "header", f"{key}: {value}"))
    elif key in ("author", "byline", "by"):
        header.setdefault("byline", Field(_BY.sub("", value), "header", f"{key}: {value}"))
    elif key in ("title", "headline"):
        header.setdefault("headline", Field(value, "header", f"{key}: {value}"))
    elif key == "dateline":
        header.setdefault("dateline", Field(value, "header", f"{key}: {value}"))


def _dateutil(value: str) -> dates.DateHit | None:
    """Last resort for free-form ``Date:`` values; fields it would fill from a default are
    detected by parsing with two different defaults, so nothing is invented."""
    from dateutil import parser

    d1, d2 = dt.datetime(2001, 1, 1), dt.datetime(2002, 2, 2)
    try:
        a = parser.parse(value, default=d1, fuzzy=True)
        b = parser.parse(value, default=d2, fuzzy=True)
    except (ValueError, OverflowError, TypeError):
        return None
    if a.date() != b.date():
        return None  # year, month or day was missing
    time = (
        a.strftime("%H:%M")
        if (a.hour, a.minute) == (b.hour, b.minute) and (a.hour or a.minute)
        else ""
    )
    return dates.DateHit(a.date().isoformat() + (f"T{time}" if time else ""), value)


_ASCII_LETTERS = string.ascii_letters.encode("ascii")
_ASCII_UPPER = string.ascii_uppercase.encode("ascii")


def _looks_like_headline(p: str) -> bool:
    # an all-caps line before the story: 2-20 words, 160 characters at most (a headline of two
    # lines), and more than four letters in five in capitals (a "McDONALD" or "dlrs" may stay)
    if len(p) > 160:
        return False
    n = _words(p)
    if n < 2 or n > 20:
        return False
    if p.isascii():  # the usual case, counted without a loop over the characters
        raw = p.encode("ascii")
        letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
    else:
        alpha = [c for c in p if c.isalpha()]
        letters, upper = len(alpha), sum(c.isupper() for c in alpha)
    return letters > 0 and upper > 0.8 * letters


#: a page's call to action on a line of its own is never a title
_PROMPT = re.compile(
    r"(?:share|follow|subscribe|sign up|click|tap|read more|related|advertisement|listen|watch"
    r"|please|support us|log ?in|sign in|register|download|skip to)\b",
    re.IGNORECASE,
)
#: what a headline never is: markup or a declaration (``<!``, ``<?xml``, ``<MAP NAME=…>``), an
#: extractor's escape, or a line of separators and link labels (``Home | News | Sport``)
_NOT_HEADLINE = re.compile(
    r"<[!?/]|<[A-Za-z][\w:-]{0,30}\s[^<>]{0,2000}="
    r"|<(?:html|head|body|title|p|br|div|span|a|b|i|u|em|strong|img|map|area|table|tr|td"
    r"|font|center|script|style|meta|link)\b"
    r"|(?i:<(?:html|head|body|title|table|script|style|center)\b)|\\[|*_#]|^\W*$"
)  # a tag with attributes, or an HTML tag, is markup; a bare capitals mark ("<KWD>", "<U>")
# is a wire's ticker: short tags count only in lower case, as pages write them
#: a title of this many characters is a paragraph, not a headline (two lines of TITLE_MAX_WORDS)
HEADLINE_MAX_CHARS = 300


def plausible_headline(text: str | None) -> bool:
    """Could a reader give ``text`` as the article's headline? Not markup, separators, link
    labels, a byline or a page's prompt ("Please support local business!")."""
    if not text:
        return False
    t = text.strip()
    if not t or len(t) > HEADLINE_MAX_CHARS or _NOT_HEADLINE.search(t) or _words(t) == 0:
        return False
    # a wire's headline in capitals is never a page's prompt ("SHARE TRADING … SUSPENDED")
    if _BYLINE.match(t) or (_PROMPT.match(t) and not t.isupper()) or boilerplate_kind(t):
        return False
    return not label_run(t, HEADLINE_LABEL_WORDS)


#: … but a headline may list short items ("Letters: Coddling criminals | Undermining road"):
#: as a headline, a row is labels only when no piece has more than two words ("Home | News")
HEADLINE_LABEL_WORDS = 2


def plausible_lead(text: str) -> bool:
    """Can a paragraph stand in for a headline: words, and no markup or escapes?"""
    return _words(text) > 0 and not _NOT_HEADLINE.search(text)


#: A title line is at most this many words: headlines run 5-15 words, the longest ~20.
TITLE_MAX_WORDS = 20
#: … and the story after it at least this many times as long (a lead is a full sentence or
#: more; a short line over a short line is a list, a poem or a table, not a title)
TITLE_BODY_RATIO = 1.5


def _looks_like_title_line(p: str, following: str) -> bool:
    """A headline in sentence case on a line of its own before the story: short, no sentence
    punctuation at its end, followed by a longer paragraph that is prose."""
    # 200 characters: two lines of a headline at most (TITLE_MAX_WORDS long words)
    if "\n" in p or len(p) > 200 or _BYLINE.match(p) or _PROMPT.match(p) or boilerplate_kind(p):
        return False  # a byline or a page prompt ("Share this story") on a line of its own
    n = _words(p)
    if n < 3 or n > TITLE_MAX_WORDS:  # under three words: a label ("Analysis", "By the sea")
        return False
    end = p.rstrip("\"'”’)]»")
    if not end or end[-1] in ".,;:-–—" or not (p[0].isupper() or p[0].isdigit() or p[0] in "\"'“‘"):
        return False
    nxt = following.strip()
    return _words(nxt) >= TITLE_BODY_RATIO * n and nxt[-1:] in ".!?\"'”’)"


def _headline_case(p: str) -> str:
    return " ".join(p.split())  # white space runs as one space, none at the ends


def lead_headline(lead: str, words: int = 14) -> str:
    """A stand-in headline from the lead: its first sentence, cut at ``words`` words (14: as
    long as a headline, 5-15 words; a lead sentence is longer, and its start has the gist)."""
    from .sketch import sentences  # abbreviations such as "U.S." do not end the sentence

    first = sentences(lead)
    sentence = first[0] if first else lead
    tokens = sentence.split()
    text = " ".join(tokens[:words]) + (" …" if len(tokens) > words else "")
    return text.rstrip(".")


_NOT_PLACES = {
    "THE",
    "A",
    "AN",
    "BY",
    "IN",
    "ON",
    "AT",
    "IT",
    "HE",
    "SHE",
    "WE",
    "THEY",
    "MR",
    "MRS",
    "MS",
    "DR",
}


def _plausible_place(place: str) -> bool:
    first = place.split()[0].strip(",.").upper()
    if first in _NOT_PLACES:
        return False
    # datelines are written in capitals ("BEIJING", "SALVADOR"), or title case before "(AFP)";
    # 40 characters hold the longest place with its region ("RIO DE JANEIRO, Brazil")
    return len(place) <= 40 and any(c.isalpha() for c in place)


def _strip_tail(
    body: list[str], header: dict[str, Field]
) -> tuple[list[str], list[Removed], str | None, str | None]:
    """The body without its trailing block, what was removed, the outlet a signature names,
    and the last paragraph the search stopped at (it is no boilerplate), if any."""
    removed: list[Removed] = []
    outlet: str | None = None
    plain: str | None = None
    # a signature ("A Message from X:") in the last part of the text starts a block to drop; in
    # the first half it is the story quoting one (an appeal follows the story, it never leads)
    start = max(1, int(len(body) * 0.5))
    for k in range(start, len(body)):
        m = _SIGNATURE.match(body[k])
        if m:
            outlet = m["who"].strip()
            removed.extend(Removed("appeal", p) for p in body[k:])
            body = body[:k]
            break
    # sign-offs and credits at the very end
    while body:
        last = body[-1]
        if _WIRE_CONTROL.match(last) or boilerplate_kind(last):
            ag = agency_name(last.strip("()-—– ."))
            if ag:
                header.setdefault("agency", Field(ag, "credit", last))
            removed.append(
                Removed(
                    "sign-off"
                    if ag or _WIRE_CONTROL.match(last)
                    else boilerplate_kind(last) or "sign-off",
                    last,
                )
            )
            body = body[:-1]
            continue
        plain = last
        tail_at = max(0, len(last) - 120)  # a credit is in the last few words: never scan it all
        # the pattern ends in an agency's name (its last character a letter), then an optional
        # ")" and white space: text ending otherwise ("… said.") is not searched
        end = last.rstrip()
        end = end[:-1] if end.endswith(")") else end
        m = _TRAIL_CREDIT.search(last, tail_at) if end[-1:].isalpha() else None
        if m and m.start() == tail_at and tail_at > 0 and not last[tail_at - 1].isspace():
            m = None
        ends_sentence = (
            last[: m.start()].rstrip().endswith((".", "!", "?", "”", '"', "’")) if m else False
        )
        if m and m.start() > 0 and (ends_sentence or m["agency"].lower() == "reuter"):
            ag = agency_name(m["agency"])
            # "… deepens. AFP": a credit only when it is in capitals as agencies write it
            if (
                ag
                and (m["agency"].isupper() or m["agency"].istitle())
                and m["agency"] not in ("Ap", "Pa")
            ):
                header.setdefault("agency", Field(ag, "credit", m.group(0).strip()))
                removed.append(Removed("credit", m.group(0).strip()))
                body[-1] = last[: m.start()].rstrip()
        break
    return body, removed, outlet, plain


_APPEAL_ASK = re.compile(
    r"\b(?:donat\w*|contribut\w*|support (?:us|our \w+|independent journalism)|become an? "
    r"(?:member|supporter|subscriber|patron)|subscribe)\b",
    re.I,
)
#: words one of which _APPEAL_ASK needs (see _folded)
_APPEAL_WORDS = ("donat", "contribut", "support", "become", "subscribe")
_APPEAL_YOU = re.compile(r"\b(?:you|your|you're)\b", re.I)
_APPEAL_US = re.compile(r"\b(?:us|our|we)\b", re.I)


# prompts found on web pages, each recognised by two marks anywhere in a short paragraph (a
# news sentence about subscriptions or apps has one of them, rarely both), and the words one of
# which the first mark needs (see _folded): most paragraphs have none, and skip both searches
_PROMPTS: list[tuple[str, re.Pattern[str], re.Pattern[str], tuple[str, ...]]] = [
    (
        "newsletter",
        re.compile(r"\b(?:sign(?:ing)? ?up|subscribe|register)\b", re.I),
        re.compile(
            r"\b(?:newsletters?|inbox|by e-?mail|never miss|daily edition)\b|here\W*$", re.I
        ),
        ("sign", "subscribe", "register"),
    ),
    (
        "paywall",
        re.compile(r"\bsubscri(?:be|ber|bers|ption)\b", re.I),
        re.compile(
            r"\b(?:full story|full article|continue reading|immediate access|log ?in|sign ?in|"
            r"e-?edition|edition for)\b",
            re.I,
        ),
        ("subscri",),
    ),
    (
        "app",
        re.compile(r"\bdownload\b.{0,80}\bapps?\b", re.I),
        re.compile(r"\b(?:ios|android|app store|google play)\b", re.I),
        ("download",),
    ),
    (
        "social",
        re.compile(r"^follow\b", re.I),
        re.compile(r"\bon (?:twitter|facebook|instagram|linkedin|tiktok|youtube|x)\b", re.I),
        ("follow",),
    ),
    (
        "letters",
        re.compile(r"\b(?:submit|send|write)\b", re.I),
        re.compile(r"\bletters? to the editor\b", re.I),
        ("submit", "send", "write"),
    ),
    (
        "disclosure",
        re.compile(r"\b(?:advertisers?|affiliate|partners?)\b", re.I),
        re.compile(
            r"\bwe (?:may )?(?:receive|earn|get)\b.{0,20}\b(?:compensation|commission)\b", re.I
        ),
        ("advertiser", "affiliate", "partner"),
    ),
]
# a word spelt with Latin and Cyrillic letters at once: text disguised to slip past filters
_MIXED_SCRIPT = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[\u0400-\u04ff])\w+\b")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

#: the non-ASCII letters that Python's case-insensitive matching takes for an ASCII one
#: (dotted and dotless I, long s, Kelvin sign; tests/test_normalise.py checks the list is whole)
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _folded(p: str) -> str:
    """``p`` in lower case, with the letters of _ASCII_FOLD made ASCII: wherever a pattern
    compiled with re.IGNORECASE finds an ASCII word, this text contains the word in lower case,
    so ``word in _folded(p)`` is a safe test before the pattern (it may say yes when the pattern
    says no, never the reverse)."""
    return p.lower() if p.isascii() else p.translate(_ASCII_FOLD).lower()


def _scoped(rx: re.Pattern[str]) -> str:
    """``rx``'s source with its case-insensitive flag made local, to be one part of a larger
    pattern without changing what it matches."""
    return f"(?i:{rx.pattern})" if rx.flags & re.IGNORECASE else f"(?:{rx.pattern})"


@functools.cache
def _rules(indices: tuple[int, ...]) -> re.Pattern[str]:
    """The anchored rules at ``indices`` as one alternation (a named group ``r<index>`` each):
    tried in the list's order, its first matching alternative is the rule the loop over the
    list would have picked. Rules whose words a paragraph lacks are left out (they cannot
    match), so there is one compiled pattern per combination met (four at most)."""
    return re.compile("|".join(f"(?P<r{i}>{_scoped(_BOILERPLATE_RULES[i][1])})" for i in indices))


#: any word a prompt's first mark or an appeal's ask needs: a paragraph with none of them (most
#: story text) is neither, and is only looked at by the anchored rules
_ASKS = tuple(sorted({w for *_, words in _PROMPTS for w in words} | set(_APPEAL_WORDS)))
#: any word an anchored rule needs; without one, only the rules that need none are tried
_GUARD_WORDS = tuple(w for *_, words in _BOILERPLATE_RULES for w in words)
_UNGUARDED = tuple(i for i, (*_, words) in enumerate(_BOILERPLATE_RULES) if not words)


def boilerplate_kind(paragraph: str) -> str | None:
    """The name of the rule that calls ``paragraph`` boilerplate, or None."""
    p = paragraph.strip()
    if len(p) > 600:  # the longest rule (a copyright notice) reaches 400 characters, an appeal
        return None  # a few sentences; a paragraph beyond 600 is story
    low = _folded(p)
    # a substring test a word (C loops): faster than one alternation tried at every position
    asks = any(map(low.__contains__, _ASKS))
    if asks and len(p) <= 300:  # a prompt is a line or two; a paragraph of story is longer
        for kind, first, second, words in _PROMPTS:
            if any(w in low for w in words) and first.search(p) and second.search(p):
                return kind
    # a disguised word has a Cyrillic letter: ASCII text has none to look for; three such words
    # (one could be a name spelt in both scripts) make the paragraph a disguise
    if not p.isascii() and _CYRILLIC.search(p) and len(_MIXED_SCRIPT.findall(p)) >= 3:
        return "disguised"
    # an appeal asks *you* to give *us* something: all three must be there
    # ("you" in the folded text first: no pattern search for the story that has no "you")
    if (
        asks
        and "you" in low
        and _APPEAL_YOU.search(p)
        and _APPEAL_ASK.search(p)
        and _APPEAL_US.search(p)
    ):
        return "donation"
    indices = _UNGUARDED
    if any(map(low.__contains__, _GUARD_WORDS)):
        indices = tuple(
            i
            for i, (*_, words) in enumerate(_BOILERPLATE_RULES)
            if not words or any(w in low for w in words)
        )
    m = _rules(indices).match(p)
    if m is None or m.lastgroup is None:
        return None
    return _BOILERPLATE_RULES[int(m.lastgroup[1:])][0]


def outlet_from_path(rel: str, pattern: str | None) -> str | None:
    """Outlet from the layout: ``--source-from-path`` if given, else the first folder below
    the input root (``meter-dev/times/x.txt`` given ``meter-dev`` → ``times``). Folders are
    split at the system's separator only: a backslash is part of a name (and of the escapes
    ``\\n``, ``\\xe9`` of a name that is not printable, which are no folders)."""
    if os.sep != "/":
        rel = rel.replace(os.sep, "/")
    if pattern:
        m = re.search(pattern, rel)
        return m.group("outlet") if m and m.group("outlet") else None
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    return parts[0] if len(parts) >= 2 else None


# ---------------------------------------------------------------------------------------------
# the whole run


def _group(art: Article) -> str:
    return art.publisher() or ""


#: the outlet sources that are a site's name as it gives it (the others give a host or a path)
_NAME_SOURCES = frozenset(("html:sitename", "html:json-ld:publisher", "html:title-suffix"))
_THE = re.compile(r"^the\s+", re.IGNORECASE)


def _name_key(name: str) -> str:
    """A site name's identity: ``The Economist``, ``Economist`` and ``ECONOMIST`` are one."""
    return _NOT_WORD.sub("", _THE.sub("", name.strip()).lower())


def _most(counts: Counter[str]) -> str:
    """The most frequent value; a tie goes to the first in code-point order (never to input
    order: the same pages give the same name whatever order they come in)."""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _one_name_per_site(articles: list[Article]) -> None:
    """Every saved page of one site gets one outlet name across the run: the name most of the
    site's pages give (a page that names no site, only a host, gets it too), spelt as most
    pages of the run spell it (``PCMAG`` and ``PCMag`` are one outlet)."""
    pages = [a for a in articles if a.doc.site]
    if not pages:
        return
    by_site: dict[str, Counter[str]] = defaultdict(Counter)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for a in pages:
        if a.outlet.source in _NAME_SOURCES and a.outlet.value:
            by_site[a.doc.site or ""][a.outlet.value] += 1
            spellings[_name_key(a.outlet.value)][a.outlet.value] += 1
    if not spellings:
        return
    for a in pages:
        named = by_site.get(a.doc.site or "")
        if not named:
            continue
        name = _most(spellings[_name_key(_most(named))])
        if name == a.outlet.value:
            continue
        pages_of = sum(named.values())
        a.outlet = Field(
            name,
            "inferred",
            f"the name {pages_of} page(s) of {a.doc.site} give"
            + (f" (this page: {a.outlet.value}, {a.outlet.source})" if a.outlet.value else ""),
        )


def finalise(articles: list[Article], settings: Settings) -> list[Article]:
    """Corpus-level decisions: one name per site, date order, agency by outlet, repeated
    boilerplate, wire outlet."""
    _one_name_per_site(articles)
    _settle_numeric_dates(articles, settings)
    _agency_from_outlet(articles)
    _remove_repeated(articles)
    for art in articles:
        if (
            art.outlet.value is None
            and art.agency.value
            and (art.slug.value or art.date.source == "timestamp")
        ):
            art.outlet = Field(art.agency.value, "inferred", "wire copy with no other outlet")
    return articles


def _settle_numeric_dates(articles: list[Article], settings: Settings) -> None:
    """An outlet that writes 16/07/99 anywhere is day-first everywhere (and 07/16/99 month-first)."""
    pending = [a for a in articles if a.pending_date is not None]
    if not pending:
        return
    evidence: dict[str, set[bool]] = defaultdict(set)
    for a in articles:
        for first, second in _numeric_pairs(a):
            if first > 12 >= second:
                evidence[_group(a)].add(True)
            elif second > 12 >= first:
                evidence[_group(a)].add(False)
    for a in pending:
        first, second, year, time, ev, source = a.pending_date  # type: ignore[misc]
        seen = evidence.get(_group(a), set())
        how: str
        if len(seen) == 1:
            dayfirst, how = next(iter(seen)), "outlet's other dates"
        elif settings.dayfirst is not None:
            dayfirst, how = settings.dayfirst, "--dayfirst" if settings.dayfirst else "--monthfirst"
        else:
            a.date_ambiguous = True
            a.date = Field(None, "ambiguous", ev)
            a.pending_date = None
            continue
        hit = dates.numeric_date(first, second, year, time, ev, dayfirst)
        if hit is not None and hit.iso:
            a.date = Field(hit.iso, source, f"{ev} (day/month order from {how})")
        a.pending_date = None


def _numeric_pairs(a: Article) -> Iterable[tuple[int, int]]:
    if a.pending_date is not None:
        yield a.pending_date[0], a.pending_date[1]
    elif a.date.source in ("slug", "header") and a.date.evidence:
        for m in dates._NUMERIC.finditer(a.date.evidence):
            yield int(m.group(1)), int(m.group(3))


def _agency_from_outlet(articles: list[Article]) -> None:
    """Wire pages without a credit (continuations, substitutes, flashes) get the agency that the
    credited files of the same outlet (else the same folder) and the same layout name, if at least
    80% of those name one agency. Layout: slug line, wire timestamp, or neither."""

    def key(a: Article) -> tuple[str, str]:
        where = a.outlet.value or "dir:" + os.path.dirname(a.doc.path)
        layout = "slug" if a.slug.value else ("timestamp" if a.date.source == "timestamp" else "")
        return where, layout

    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for a in articles:
        if a.agency.value:
            votes[key(a)][a.agency.value] += 1
    for a in articles:
        if a.agency.value:
            continue
        k = key(a)
        if not k[1] and not a.outlet.value:
            continue  # plain files in a folder say nothing about each other's source
        v = votes.get(k)
        if not v:
            continue
        name, top = v.most_common(1)[0]
        # two credited files at least (one stray credit does not name a whole folder) and four
        # in five of the credits (a few items from a partner agency do not outvote the rest)
        if top >= 2 and top >= 0.8 * sum(v.values()):
            where = a.outlet.value or "this folder"
            a.agency = Field(
                name,
                "inferred",
                f"{top} of {sum(v.values())} credited files of {where} with this layout name {name}",
            )


_NOT_WORD = re.compile(r"[\W_]+")


#: ASCII bytes that are not letters or digits, each made a space (what _NOT_WORD removes)
_ASCII_NOT_WORD = bytes(b if chr(b).isalnum() else 32 for b in range(128)) + bytes(range(128, 256))


#: … and byte 1 kept: it joins an article's paragraphs, to be cut apart after one translation
_ASCII_NOT_WORD_SEP = _ASCII_NOT_WORD[:1] + b"\x01" + _ASCII_NOT_WORD[2:]


def _para_key(p: str) -> bytes:
    """A paragraph's identity for the repetition rule: its words in lower case (punctuation and
    spacing ignored), hashed to 64 bits (a collision among one outlet's paragraphs is unlikely
    below billions of them)."""
    low = p.lower()
    if low.isascii():  # the same words as the pattern finds, without the Unicode tables
        norm = b" ".join(low.encode("ascii").translate(_ASCII_NOT_WORD).split())
    else:
        norm = _NOT_WORD.sub(" ", low).strip().encode("utf-8")
    return hashlib.blake2b(norm, digest_size=8).digest()


def _para_keys(body: list[str]) -> list[bytes]:
    """:func:`_para_key` of each paragraph, an ASCII article's in one pass: its paragraphs
    joined by byte 1 (which no paragraph holds: checked), lowered and translated at once."""
    blob = "\x01".join(body)
    if not blob.isascii() or blob.count("\x01") != len(body) - 1:
        return [_para_key(p) for p in body]
    parts = blob.lower().encode("ascii").translate(_ASCII_NOT_WORD_SEP).split(b"\x01")
    return [hashlib.blake2b(b" ".join(x.split()), digest_size=8).digest() for x in parts]


#: a saved page's site furniture shows in two pages already: two different articles of one
#: site do not share a paragraph word for word by chance (wire copy needs three: two items of
#: one feed may share a stock paragraph)
PAGE_MIN_COUNT = 2


def _site_group(a: Article) -> str:
    """The group whose common text is furniture: a saved page's site (by its one name, else
    its host; pages of unknown sites form one group, by the folder's name if it gives one),
    else the outlet or agency."""
    if a.doc.site is not None:
        return "site:" + (_name_key(a.outlet.value) if a.outlet.value else a.doc.site)
    return _group(a)


#: two pages of one site are copies of one story (their common text is kept) when the
#: paragraphs they share hold half the shorter one's words; a site's chrome (a menu, a
#: disclaimer, a related-stories list: several lines at once) is a smaller part of an article,
#: a story's copy repeats most of it
PAGE_SAME_SHARE = 0.5


def _page_pairs(
    group: list[Article], keys: list[list[bytes]], sets: list[set[bytes]]
) -> Callable[[int, int], bool]:
    """``same(x, y)``: do pages x and y of one site share half the shorter's words (see
    PAGE_SAME_SHARE), remembered per pair. Pages share all their chrome lines at once, so "they
    share some other paragraph" cannot tell chrome from a story's copies; the amount can."""
    words: list[dict[bytes, int]] = []
    for a, ks in zip(group, keys, strict=True):
        w: dict[bytes, int] = {}
        for p, k in zip(a.body, ks, strict=True):
            w.setdefault(k, _words(p))
        words.append(w)
    totals = [sum(w.values()) for w in words]
    memo: dict[tuple[int, int], bool] = {}

    def same(x: int, y: int) -> bool:
        pair = (x, y) if x < y else (y, x)
        hit = memo.get(pair)
        if hit is None:
            common = sum(words[x][k] for k in sets[x] & sets[y])
            hit = memo[pair] = common >= PAGE_SAME_SHARE * min(totals[x], totals[y]) > 0
        return hit

    return same


def _remove_repeated(articles: list[Article], min_count: int = 3) -> None:
    """A paragraph that recurs in several articles of one outlet whose other paragraphs have
    nothing in common is that outlet's boilerplate, whatever its wording. Re-sends and pages of
    one story share their other paragraphs too, so their common text is kept. Saved pages are
    grouped by their site, and two of them are enough."""
    by_group: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_group[_site_group(a)].append(a)
    for name, group in by_group.items():
        pages = name.startswith("site:")
        least = PAGE_MIN_COUNT if pages else min_count
        if len(group) < least:
            continue
        keys = [_para_keys(a.body) for a in group]
        sets = [set(ks) for ks in keys]
        where: dict[bytes, list[int]] = defaultdict(list)
        for idx, distinct in enumerate(sets):
            for k in distinct:
                where[k].append(idx)
        # in three articles at least (min_count: twice is a coincidence or a re-send), and in
        # one in a hundred of a large outlet's: the bar grows with the outlet, so a line that a
        # handful of its many stories share by chance is not taken for furniture
        need = max(least, len(group) // 100)
        boiler: set[bytes] = set()
        # the pages' word counts are needed only for a site's pages (wire and newspaper copy
        # is told by what else its articles share, below)
        same_story = _page_pairs(group, keys, sets) if pages else None
        for k, docs in where.items():
            if len(docs) < need:
                continue
            first = docs[0]
            sample = group[first].body[keys[first].index(k)]
            # a furniture line says something: four words at least; table labels ("Year",
            # "Nine mths") are not boilerplate. A site's short lines ("Home", "Share this")
            # are its chrome: its pages' articles differ, so the pair test below decides
            if _words(sample) < 4 and not pages:
                continue
            # fifty of the articles (1,225 pairs) tell repeated furniture from a story's copies
            # as well as all of them would, at a bounded cost
            if same_story is not None:
                sample_docs = docs[:50]
                n = len(sample_docs)
                shared = sum(
                    1
                    for x in range(n)
                    for y in range(x + 1, n)
                    if same_story(sample_docs[x], sample_docs[y])
                )
            else:
                others = [sets[d] - {k} for d in docs[:50]]
                n = len(others)
                shared = sum(
                    1
                    for x in range(n)
                    for y in range(x + 1, n)
                    if not others[x].isdisjoint(others[y])
                )
            pairs = n * (n - 1) // 2
            # boilerplate: fewer than one pair in five of its articles share anything else (the
            # copies of one story share most of their paragraphs)
            if pairs and shared / pairs < 0.2:
                boiler.add(k)
        if not boiler:
            continue
        for a, ks in zip(group, keys, strict=True):
            if not any(k in boiler for k in ks):
                continue
            kept = []
            for p, k in zip(a.body, ks, strict=True):
                if k in boiler:
                    a.removed.append(Removed("repeated", p))
                else:
                    kept.append(p)
            a.body = kept


def normalise(docs: Iterable[Document], settings: Settings) -> list[Article]:
    """Parse every document, then apply the corpus-level decisions."""
    return finalise([parse(d, settings) for d in docs], settings)
