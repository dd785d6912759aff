"""Issue 13: saved web pages, scraper exports and web archives as input."""

from __future__ import annotations

import io
import json
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
