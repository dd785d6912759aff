"""Issue 13: saved web pages, scraper exports and web archives as input."""

from __future__ import annotations

import io
import json
from html import escape as html_escape
from pathlib import Path

import pytest

from newsdedup.errors import UsageError
from newsdedup.ingest import Found, document_from_bytes, read_inputs, strip_markup
from newsdedup.normalise import normalise
from newsdedup.pipeline import find_stories_in, load
from newsdedup.settings import Settings

from .conftest import run_cli

BODY = [
    "The city council approved a budget of 40 million pounds for the new harbour bridge on "
    "Tuesday, after three years of arguments over its cost.",
    "Work on the bridge will start in the spring and is expected to last two years, the "
    "council's chief engineer told reporters at the town hall.",
    "Opponents said the money would be better spent on the town's schools and on repairs to "
    "the existing crossing, which has been closed to lorries since January.",
]


def page(
    title: str = "Council approves harbour bridge",
    site: str = "Harbour Gazette",
    body: list[str] = BODY,
    date: str = "2024-03-05",
    extra_head: str = "",
) -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in body)
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{title} | {site}</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="og:site_name" content="{site}">'
        '<meta property="og:url" content="https://www.harbour-gazette.example/news/bridge">'
        f'<meta name="author" content="Jane Smith">'
        f'<meta property="article:published_time" content="{date}T09:30:00Z">'
        f"{extra_head}</head><body>"
        '<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>'
        '<li><a href="/sport">Sport</a></li></ul></nav>'
        f"<main><article><h1>{title}</h1>{paras}</article></main>"
        "<footer><p>Contact us | Privacy policy | Terms of use</p></footer>"
        "</body></html>"
    ).encode()


# ---------------------------------------------------------------------------------------------
# one page


def test_page_fields_have_html_provenance() -> None:
    doc = document_from_bytes(page(), "bridge.html", "bridge.html")
    (art,) = normalise([doc], Settings())
    assert (art.headline.value, art.headline.source) == (
        "Council approves harbour bridge",
        "html:og:title",
    )
    assert (art.outlet.value, art.outlet.source) == ("Harbour Gazette", "html:sitename")
    assert (art.date.value, art.date.source) == ("2024-03-05", "html:htmldate")
    assert (art.byline.value, art.byline.source) == ("Jane Smith", "html:author")
    text = art.text()
    assert all(p in text for p in BODY)
    for furniture in ("Home", "Sport", "Privacy policy", "Contact us"):
        assert furniture not in text


def test_page_detected_by_content_whatever_the_name() -> None:
    doc = document_from_bytes(page(), "saved-page.txt", "saved-page.txt")
    assert doc.meta["outlet"].value == "Harbour Gazette"
    plain = document_from_bytes(
        b"A story that mentions <body> late in its text.\n" * 3, "p.txt", "p.txt"
    )
    assert not plain.meta


def test_outlet_from_the_url_host_without_a_site_name() -> None:
    raw = page().replace(b'<meta property="og:site_name" content="Harbour Gazette">', b"")
    raw = raw.replace(b"| Harbour Gazette", b"")
    (art,) = normalise([document_from_bytes(raw, "p.html", "p.html")], Settings())
    assert art.outlet.value == "harbour-gazette.example"
    assert art.outlet.source == "html:url"


def test_ansi_in_title_and_body_is_removed() -> None:
    raw = page(
        title="Bridge \x1b[31mRED\x1b[0m vote", body=[BODY[0] + " \x1b]0;owned\x07", *BODY[1:]]
    )
    raw = raw.replace(b"</title>", b"&#27;[2J</title>")
    (art,) = normalise([document_from_bytes(raw, "p.html", "p.html")], Settings())
    for value in (art.headline.value or "", art.text(), art.outlet.value or ""):
        assert "\x1b" not in value and "\x07" not in value


def test_no_article_found_falls_back_to_tag_stripping() -> None:
    raw = b"<html><body><footer>Short note.</footer></body></html>"
    doc = document_from_bytes(raw, "n.html", "n.html")
    assert doc.paragraphs == ["Short note."]
    assert "tags stripped" in doc.encoding_note


def test_unclosed_head_with_a_second_head_keeps_the_article() -> None:
    """Regression: an unclosed <head> and a later <HEAD>…</HEAD> swallowed the whole article."""
    raw = "<html><head><title>x</title><body><p>" + BODY[0] + "</p><HEAD><b>y</b></HEAD></body>"
    text, removed = strip_markup(raw)
    assert removed and BODY[0] in text and "<" not in text


def test_option_select_dd_tags_do_not_survive_as_text() -> None:
    raw = (
        "<html><body><select><option>Choose a section</option><option>Sport</option></select>"
        f"<dl><dt>Filed</dt><dd>{BODY[1]}</dd></dl><p>{BODY[0]}</p></body></html>"
    )
    text, _ = strip_markup(raw)
    assert "<" not in text and "Choose a section" not in text
    assert BODY[1] in text and BODY[0] in text


def test_pre_wrapped_wire_copy_is_read_as_text(data: Path) -> None:
    raw = (data / "meter-dev/pa/2e64c5a664.txt").read_bytes()
    doc = document_from_bytes(raw, "pa/x.txt", "pa/x.txt")
    assert doc.paragraphs[0].startswith("02:59 12/07/99: Page 1") and not doc.meta


def test_site_furniture_repeated_across_a_sites_pages_is_removed() -> None:
    promo = "Read our weekend magazine for the best walks in the county this season"
    stories = [
        [f"Story {i}: the {w} closed on {d} after the storm damaged its roof badly.", promo]
        for i, (w, d) in enumerate(
            [("library", "Monday"), ("museum", "Friday"), ("pool", "Sunday"), ("cinema", "today")]
        )
    ]
    docs = [
        document_from_bytes(page(title=f"Title {i}", body=b), f"p{i}.html", f"p{i}.html")
        for i, b in enumerate(stories)
    ]
    arts = normalise(docs, Settings())
    assert {a.outlet.value for a in arts} == {"Harbour Gazette"}
    for a in arts:
        assert promo not in a.text()
        assert any(r.kind == "repeated" and r.text == promo for r in a.removed)


# ---------------------------------------------------------------------------------------------
# scraper exports


def _records() -> list[object]:
    return [
        {"title": "Bridge approved", "maintext": "\n".join(BODY), "date_publish": "2024-03-05 09:30:00",
         "source_domain": "harbour-gazette.example", "url": "https://harbour-gazette.example/a",
         "authors": ["Jane Smith", "Tom Brown"]},
        ["not", "an", "object"],
        {"title": "Numbers", "text": 42},
        {"title": "Nothing", "text": "   "},
        {"title": "Second", "text": BODY[2] + "\n" + BODY[0], "sitename": "Gazette"},
    ]  # fmt: skip


def _found(path: Path) -> Found:
    return Found(str(path), str(path.parent), path.name)


def test_jsonl_records_become_articles_with_line_paths(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [json.dumps(r) for r in _records()]
    lines.insert(1, "{broken json")
    lines.insert(2, "")
    feed.write_text("\n".join(lines) + "\n")
    out = read_inputs(_found(feed), Settings())
    shown = str(feed)
    got = {x.path: getattr(x, "reason", None) for x in out}
    assert list(got) == [f"{shown}:{n}" for n in (1, 2, 4, 5, 6, 7)]
    assert got[f"{shown}:1"] is None and got[f"{shown}:7"] is None
    assert "not valid JSON" in got[f"{shown}:2"]
    assert "not a JSON object" in got[f"{shown}:4"]
    assert "'text' is not a string" in got[f"{shown}:5"]
    assert "empty text" in got[f"{shown}:6"]
    arts = normalise([x for x in out if not hasattr(x, "reason")], Settings())  # type: ignore[misc]
    first = arts[0]
    assert (first.headline.value, first.headline.source) == ("Bridge approved", "json:title")
    assert (first.date.value, first.date.source) == ("2024-03-05T09:30:00", "json:date_publish")
    assert first.outlet.value == "harbour-gazette.example"
    assert first.byline.value == "Jane Smith, Tom Brown"
    assert first.body == BODY
    assert len({a.id for a in arts}) == 2  # ids from each record's own bytes


def test_json_list_paths_and_field_option(tmp_path: Path) -> None:
    export = tmp_path / "feed.json"
    export.write_text(json.dumps([{"headline_x": "H", "story": BODY[0]}] * 2 + [{"story": 5}]))
    s = Settings(fields=("text=story", "title=headline_x"))
    out = read_inputs(_found(export), s)
    assert [x.path for x in out] == [f"{export}:1", f"{export}:2", f"{export}:3"]
    assert out[0].meta["headline"].value == "H"  # type: ignore[union-attr]
    assert "not a string" in out[2].reason  # type: ignore[union-attr]
    (one,) = read_inputs(_found(export), Settings())
    assert one.path == str(export) and one.reason == "not an article export (no text field)"  # type: ignore[union-attr]


def test_a_single_object_json_is_one_article(tmp_path: Path) -> None:
    export = tmp_path / "one.json"
    export.write_text(json.dumps({"title": "T", "text": BODY[0]}))
    (doc,) = read_inputs(_found(export), Settings())
    assert doc.path == str(export) and doc.paragraphs == [BODY[0]]  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["title", "text=", "colour=x", "nokey"])
def test_bad_field_option_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError):
        Settings(fields=(bad,))


# ---------------------------------------------------------------------------------------------
# web archives


def warc_bytes(
    pages: list[tuple[str, bytes]], gz: bool = True, date: str = "2024-04-09T10:00:00Z"
) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for url, data in pages:
        req = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")
        )
        writer.write_record(req)
        ctype = "image/png" if url.endswith(".png") else "text/html; charset=utf-8"
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        rec = writer.create_warc_record(
            url, "response", payload=io.BytesIO(data), http_headers=headers,
            warc_headers_dict={"WARC-Date": date},
        )  # fmt: skip
        writer.write_record(rec)
    return buf.getvalue()


@pytest.mark.parametrize("gz", [True, False])
def test_warc_html_responses_become_articles(tmp_path: Path, gz: bool) -> None:
    undated = page(date="")
    crawl = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    crawl.write_bytes(
        warc_bytes(
            [
                ("https://a.example/1", page()),
                ("https://a.example/logo.png", b"\x89PNG"),
                ("https://a.example/2", undated),
            ],
            gz,
        )
    )
    out = read_inputs(_found(crawl), Settings())
    assert len(out) == 2 and all(x.path.startswith(f"{crawl}#") for x in out)
    assert "urn:uuid" not in out[0].path and ">" not in out[0].path
    arts = normalise(out, Settings())  # type: ignore[arg-type]
    assert (arts[0].date.value, arts[0].date.source) == ("2024-03-05", "html:htmldate")
    assert (arts[1].date.value, arts[1].date.source) == ("2024-04-09", "warc-date")
    assert arts[0].outlet.value == "Harbour Gazette"


def test_truncated_warc_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    raw = warc_bytes([(f"https://a.example/{i}", page(title=f"T{i}")) for i in range(3)])
    crawl = tmp_path / "cut.warc.gz"
    crawl.write_bytes(raw[: len(raw) - 200])
    out = read_inputs(_found(crawl), Settings())
    assert [hasattr(x, "reason") for x in out] == [False, False, True]
    assert "truncated" in out[-1].reason  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# the same stories whatever the container


def test_pages_export_and_archive_give_the_stories_of_the_plain_texts(
    data: Path, tmp_path: Path
) -> None:
    """Seeds and a few web-dev pages as plain text, as saved pages, as a JSONL export and as a
    WARC file: the same grouping of stories (by origin) every time."""
    s = Settings()
    origins: dict[str, tuple[str, str]] = {}  # name → (headline, text)
    for seed in sorted((data / "seeds").iterdir()):
        (art,) = load([str(seed)], s).articles
        origins[seed.stem] = (art.headline.value or "", art.text())
    for name in ("bbc.com.52241221.html", "axios.com.future.html", "abc7news.com-Napa.html"):
        (art,) = load([str(data / "web-dev/pages" / name)], s).articles
        origins[name] = (art.headline.value or "", art.text())

    def html(title: str, text: str) -> bytes:
        return page(title=title, body=text.split("\n\n"), site="Site")

    def grouping(paths: list[str], key_of: dict[str, str]) -> set[frozenset[str]]:
        result = find_stories_in(load(paths, s), s)
        arts = result.corpus.articles
        assert len(arts) == len(origins)
        return {
            frozenset(key_of[_longest(arts[m].body)] for m in st.members) for st in result.stories
        }

    def _longest(paragraphs: list[str]) -> str:
        # the longest paragraph names an article in every form (a plain-text reader may take a
        # short first line for a headline)
        return max(paragraphs, key=len)

    by_text = {_longest(text.split("\n\n")): name for name, (_h, text) in origins.items()}
    plain, pages = tmp_path / "plain", tmp_path / "pages"
    plain.mkdir()
    pages.mkdir()
    for i, (title, text) in enumerate(origins.values()):
        (plain / f"{i:02d}.txt").write_text(text)
        (pages / f"{i:02d}.html").write_bytes(html(title, text))
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "".join(
            json.dumps({"title": h, "text": t, "source": "Site"}) + "\n"
            for h, t in origins.values()
        )
    )
    crawl = tmp_path / "crawl.warc.gz"
    crawl.write_bytes(
        warc_bytes(
            [(f"https://site.example/{i}", html(h, t)) for i, (h, t) in enumerate(origins.values())]
        )
    )
    want = grouping([str(plain)], by_text)
    assert frozenset({"000_a0dfa486038019e8", "002_a201a40dc613b11f"}) in want
    for inputs in ([str(pages)], [str(feed)], [str(crawl)]):
        assert grouping(inputs, by_text) == want, inputs


# ---------------------------------------------------------------------------------------------
# state and command line


def test_state_with_a_container_reads_it_once_and_matches_a_batch_run(tmp_path: Path) -> None:
    from newsdedup.store.sqlite import SQLiteStore

    feed = tmp_path / "in" / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text("".join(json.dumps(r) + "\n" for r in _records()))
    s = Settings()
    batch = [(a.path, a.id) for a in load([str(feed.parent)], s).articles]
    with SQLiteStore(str(tmp_path / "st.db"), s) as st:
        first = load([str(feed.parent)], s, st)
    with SQLiteStore(str(tmp_path / "st.db"), s) as st:
        second = load([str(feed.parent)], s, st)
    assert (
        [(a.path, a.id) for a in first.articles]
        == batch
        == [(a.path, a.id) for a in second.articles]
    )
    assert len(first.fresh) == 2 and second.fresh == set() and len(first.skipped) == 3
    feed.write_text(json.dumps({"text": BODY[1]}) + "\n")
    with SQLiteStore(str(tmp_path / "st.db"), s) as st:
        third = load([str(feed.parent)], s, st)
    assert [a.path for a in third.articles] == [f"{feed}:1"] and third.articles[0].body == [BODY[1]]
    feed.unlink()
    with SQLiteStore(str(tmp_path / "st.db"), s) as st:
        assert load([str(feed.parent)], s, st).articles == []


def test_cli_inspect_shows_record_paths_and_field_option(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"head": "Bridge approved", "story": "\n".join(BODY)})
        + "\n"
        + json.dumps([1])
        + "\n"
    )
    r = run_cli(
        "inspect", "-f", "json", "--field", "text=story", "--field", "title=head", str(feed)
    )
    assert r.returncode == 1  # a record was skipped
    doc = json.loads(r.stdout)
    assert [a["path"] for a in doc["articles"]] == [f"{feed}:1"]
    assert doc["articles"][0]["headline"] == {
        "value": "Bridge approved",
        "source": "json:head",
        "evidence": "Bridge approved",
    }
    assert doc["skipped"] == [{"path": f"{feed}:2", "reason": "not a JSON object (list)"}]
    assert r.stderr.count(f"newsdedup: {feed}:2: skipped: not a JSON object") == 1
    text = run_cli("inspect", "--field", "text=story", str(feed))
    assert f"== {feed}:1" in text.stdout
    bad = run_cli("inspect", "--field", "colour=x", str(feed))
    assert bad.returncode == 2 and "--field" in bad.stderr


def test_cli_timeline_of_a_warc_shows_site_names_and_dates(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    crawl.write_bytes(
        warc_bytes(
            [("https://a.example/1", page()), ("https://b.example/2", page(site="Other Paper"))]
        )
    )
    for jobs in ("1", "2"):
        r = run_cli("timeline", "-f", "json", "-j", jobs, str(crawl))
        assert r.returncode == 0, r.stderr
        (story,) = json.loads(r.stdout)["stories"]
        assert story["date"] == "2024-03-05"
        assert sorted(x["outlet"] for x in story["sources"]) == ["Harbour Gazette", "Other Paper"]
        assert all(x["path"].startswith(f"{crawl}#") for x in story["sources"])


# ---------------------------------------------------------------------------------------------
# issue 24: saved pages read as a reader sees them

#: one site's chrome, as the held-out pages carry it inside the article's own block: a menu, a
#: related-stories list, a share prompt and the site's disclaimer
CHROME = [
    "Home | News Archives | Browse | Feedback | Contact Us | Advertise",
    "Tennis | Football | Basketball | Motor Racing | Golf | Cricket",
    "Share this article with a friend by e-mail or on your favourite network",
    "The views expressed in the articles on this site are those of the authors and agencies "
    "that supplied them and do not reflect the views of the site, its owners or its sponsors.",
    "More stories: Final fixtures announced | New coach named | Transfer window closes",
]
#: four web-dev pages of four different stories, lent their text
LENDERS = [
    "bbc.com.52241221.html",
    "abc7news.com-Napa.html",
    "caymancompass.com-prison.html",
    "theverge.com.ios13.html",
]


def _chrome_page(title: str, body: list[str], known: bool) -> bytes:
    head = (
        '<meta property="og:site_name" content="Netsports Daily">'
        '<link rel="canonical" href="https://www.netsports.example/story">'
        if known
        else ""
    )
    title = f"{title} - Netsports Daily" if known else title
    paras = "".join(f"<p>{p}</p>" for p in [*CHROME[:2], *body, *CHROME[2:]])
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head>"
        f"<body><article><h1>{title}</h1>{paras}</article></body></html>"
    ).encode()


@pytest.mark.parametrize("known", [True, False], ids=["site-known", "site-unknown"])
def test_a_sites_chrome_links_no_articles_and_leaves_no_text(
    data: Path, tmp_path: Path, known: bool
) -> None:
    """Real articles of four web-dev pages given one site's chrome: four stories, the chrome in
    no article's text, whether or not the pages say what their site is (if not, the folder
    names it)."""
    folder = tmp_path / "netsports"
    folder.mkdir()
    for i, name in enumerate(LENDERS):
        (real,) = load([str(data / "web-dev/pages" / name)], Settings()).articles
        raw = _chrome_page(real.headline.value or f"Story {i}", real.body, known)
        (folder / f"page{i}.html").write_bytes(raw)
    s = Settings()
    result = find_stories_in(load([str(tmp_path)], s), s)
    assert len(result.articles) == 4
    assert [len(story.members) for story in result.stories] == [1, 1, 1, 1]
    for art in result.articles:
        for chrome in CHROME:
            assert chrome not in art.text()
        assert "Netsports" not in (art.headline.value or "")
    outlets = {a.outlet.value for a in result.articles}
    assert outlets == ({"Netsports Daily"} if known else {"netsports"})


def test_label_rows_are_never_passages() -> None:
    """A menu's row of labels is long enough for a passage but is none: it cannot link."""
    from newsdedup.sketch import build_features

    doc = document_from_bytes(
        page(body=[CHROME[0] + " | Archive | Search the site", *BODY]), "p.html", "p.html"
    )
    (art,) = normalise([doc], Settings())
    assert any("Feedback" in p for p in art.body)  # one page: its menu is still text …
    table = build_features([art], 5)
    with_row = table.row(0).passage_count
    art.body = [p for p in art.body if "Feedback" not in p]
    assert build_features([art], 5).row(0).passage_count == with_row  # … but no passage


def _bare(head: str, title: str = "Council approves harbour bridge", links: str = "") -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in BODY)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>{links}"
        f"<article><h1>Council approves harbour bridge</h1>{paras}</article></body></html>"
    ).encode()


def _site_of(raw: bytes) -> tuple[str | None, str | None]:
    (art,) = normalise([document_from_bytes(raw, "p.html", "p.html")], Settings())
    return art.outlet.value, art.outlet.source


def test_the_site_comes_from_the_page_in_order() -> None:
    ld = (
        '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "publisher":'
        ' {"@id": "https://gazette.example/#org"}}, {"@id": "https://gazette.example/#org",'
        ' "@type": "NewsMediaOrganization", "name": "Harbour Gazette"}]}</script>'
    )
    canonical = '<link rel="canonical" href="https://www.harbour-gazette.example/a">'
    og = '<meta property="og:site_name" content="HARBOUR GAZETTE | News, Sport, Weather">'
    assert _site_of(_bare(og + ld + canonical)) == ("HARBOUR GAZETTE", "html:sitename")
    assert _site_of(_bare(ld + canonical)) == ("Harbour Gazette", "html:json-ld:publisher")
    assert _site_of(_bare(canonical)) == ("harbour-gazette.example", "html:url")
    saved = b"<!-- saved from url=(0035)https://news.gazette.example/a/b -->\n"
    assert _site_of(saved + _bare("")) == ("news.gazette.example", "html:saved-from")
    base = '<base href="http://www.gazette.example/news/">'
    assert _site_of(_bare(base)) == ("gazette.example", "html:url")
    suffix = _bare("", title="Council approves harbour bridge - Harbour Gazette")
    assert _site_of(suffix) == ("Harbour Gazette", "html:title-suffix")
    first = _bare("", title="Gazette.example - Council approves harbour bridge")
    assert _site_of(first) == ("gazette.example", "html:title-suffix")
    home = "".join(f'<a href="https://www.gazette.example/s/{i}">s</a>' for i in range(4))
    social = "".join(f'<a href="https://twitter.com/x/{i}">t</a>' for i in range(9))
    assert _site_of(_bare("", links=home + social)) == ("gazette.example", "html:links")
    # a copyright line is never a name; a URL given as a name is its host
    copyright_name = (
        '<meta property="og:site_name" content="© 2008 Gazette Group. All Rights Reserved.">'
    )
    assert _site_of(_bare(copyright_name + canonical)) == ("harbour-gazette.example", "html:url")
    url_name = '<meta property="og:site_name" content="https://www.gazette.example">'
    assert _site_of(_bare(url_name))[0] == "gazette.example"


def test_one_name_per_site_across_the_run() -> None:
    canonical = '<link rel="canonical" href="https://www.gazette.example/a">'
    named = '<meta property="og:site_name" content="{}">' + canonical
    raws = [
        _bare(named.format("Harbour Gazette")),
        _bare(named.format("Harbour Gazette")),
        _bare(named.format("The HARBOUR GAZETTE")),
        _bare(canonical),  # names no site: the name its site's other pages give
    ]
    docs = [
        document_from_bytes(r + f"<!-- {i} -->".encode(), f"p{i}.html", f"p{i}.html")
        for i, r in enumerate(raws)
    ]
    arts = normalise(docs, Settings())
    assert {a.outlet.value for a in arts} == {"Harbour Gazette"}
    assert arts[3].outlet.source == "inferred" and "gazette.example" in (
        arts[3].outlet.evidence or ""
    )


@pytest.mark.parametrize(
    ("og", "title", "want"),
    [
        ("Bridge approved | Harbour Gazette", "x", "Bridge approved"),
        ("Harbour Gazette » Bridge approved", "x", "Bridge approved"),
        (
            "Letters: Bridge | Undermining road safety | Tax",
            "x",
            "Letters: Bridge | Undermining road safety | Tax",
        ),
        ("| | | |", "Bridge approved - Harbour Gazette", "Bridge approved"),
        ("<!", "Bridge approved", "Bridge approved"),
        ("Home", "Bridge approved at last", "Bridge approved at last"),
        ("Please support local business!", "Bridge approved", "Bridge approved"),
        ("By Jane Smith", "Bridge approved", "Bridge approved"),
        ("The Harbour Gazette", "Bridge approved", "Bridge approved"),  # the site's name alone
    ],
)
def test_headline_a_reader_would_give(og: str, title: str, want: str) -> None:
    head = (
        f'<meta property="og:title" content="{html_escape(og)}">'
        '<meta property="og:site_name" content="Harbour Gazette">'
    )
    (art,) = normalise(
        [document_from_bytes(_bare(head, title=html_escape(title)), "p.html", "p.html")],
        Settings(),
    )
    assert art.headline.value == want


def test_html_recognised_after_a_long_preamble_and_no_tag_reaches_the_text() -> None:
    preamble = (
        "<!-- " + "generated by a publishing system " * 200 + "-->\n"
        + "<script>var x = '<html>';</script>\n" * 40
        + "<style>p { color: red }</style>\n"
    )  # fmt: skip
    table = (
        "<table><tr><td>Year</td><td>Cost | pounds</td></tr>"
        "<tr><td>2024</td><td>40 million</td></tr></table>"
    )
    body = (
        '<map name="canoe_net2"><area shape="rect" href="/a"></map>'
        + "".join(f"<p>{p}</p>" for p in BODY)
        + table
    )
    raw = (
        f"{preamble}<html><head><title>Bridge approved</title></head>"
        f"<body><article>{body}</article></body></html>"
    ).encode()
    doc = document_from_bytes(raw, "p.txt", "p.txt")
    assert doc.markup_removed and doc.meta  # read as a page, whatever the file's name
    (art,) = normalise([doc], Settings())
    text = art.text()
    assert all(p in text for p in BODY)
    assert "<" not in text and "\\|" not in text


def _in_real_chrome(chrome: bytes, headline: str, body: list[str], n: int) -> bytes:
    """A real page of a site (nationnews.com) with its own article swapped for another one:
    its titles, heading and the article's story paragraphs replaced, every other part (menus,
    the site's prompts in the article block, footers, metadata) left as the site wrote it."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(chrome)
    article = tree.find(".//article")
    assert article is not None
    heading = article.find(".//h1")
    assert heading is not None
    heading.text = headline
    story = [p for p in article.findall("p") if len(p.text_content().split()) > 25]
    assert story
    at = list(article).index(story[0])
    for p in story:
        article.remove(p)
    for i, text in enumerate(body):
        new = lxml_html.Element("p")
        new.text = text
        article.insert(at + i, new)
    for meta in tree.xpath('//meta[contains(@property, "title") or contains(@name, "title")]'):
        meta.set("content", headline)
    for title in tree.xpath("//title"):
        title.text = f"{headline} – NationNews Barbados — nationnews.com"
    for link in tree.xpath('//link[@rel="canonical"]|//meta[@property="og:url"]'):
        attr = "href" if link.tag == "link" else "content"
        link.set(attr, f"https://www.nationnews.com/2022/04/2{n}/story-{n}/")
    return lxml_html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")


def test_real_pages_in_one_sites_real_chrome_are_not_linked(data: Path, tmp_path: Path) -> None:
    """Four web-dev articles of other sites given nationnews.com's real page around them: four
    stories, one outlet, and the site's own prompts in no article's text."""
    pages = data / "web-dev/pages"
    chrome = (pages / "nationnews.com-schools.html").read_bytes()
    for i, name in enumerate(LENDERS):
        (real,) = load([str(pages / name)], Settings()).articles
        raw = _in_real_chrome(chrome, real.headline.value or f"Story {i}", real.body, i)
        (tmp_path / f"n{i}.html").write_bytes(raw)
    s = Settings()
    result = find_stories_in(load([str(tmp_path)], s), s)
    assert [len(story.members) for story in result.stories] == [1, 1, 1, 1]
    assert {a.outlet.value for a in result.articles} == {"nationnews.com"}
    for art in result.articles:
        assert "Posted on" not in art.body
        assert not any("Nationnews apps" in p or "eNATION" in p for p in art.body)
        assert "Schools" not in (art.headline.value or "")


def test_odd_json_ld_never_stops_a_page() -> None:
    odd = (
        '<script type="application/ld+json">[{"publisher": {"@id": ["a", "b"]}},'
        ' {"publisher": [null, 3, {"name": {"x": 1}}, "Harbour Gazette"]}, "text", 5]</script>'
        '<script type="application/ld+json">{not json</script>'
    )
    assert _site_of(_bare(odd)) == ("Harbour Gazette", "html:json-ld:publisher")
