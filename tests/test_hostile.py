"""Hostile and broken input: nothing crashes, nothing is lost, nothing leaks to the terminal.

The bad-input corpus is built here, in a temporary folder, never committed as blobs.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import random
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdedup.errors import InputError
from newsdedup.ingest import Found, display_path, document_from_bytes, read_document, real_path
from newsdedup.merge import timeline
from newsdedup.normalise import normalise
from newsdedup.pipeline import Corpus, find_stories_in, load
from newsdedup.render.records import story_record as timeline_record
from newsdedup.render.writers import write_table
from newsdedup.settings import Settings
from newsdedup.sketch import sentences

from .conftest import SAMPLES, run_cli

STORY = (
    "Fire crews fought a blaze at a timber yard in Worthing overnight, the county fire service said. "
    "Nobody was hurt, but the smoke closed the coast road for six hours."
)
ANSI = "\x1b[31mRED\x1b[0m \x1b]0;owned title\x07 \x1b[2J"
MARKUP = "[bold red]not markup[/bold red] [link=http://evil]click[/link]"


def _w(folder: Path, name: str | bytes, data: bytes) -> str:
    path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
    with open(path, "wb") as fh:
        fh.write(data)
    return os.fsdecode(path)


DEPTH = 1200


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, str | None]]]:
    """Build the corpus. Returns the folder and {display path: expected skip reason or None}."""
    root = tmp_path_factory.mktemp("hostile")
    expect: dict[str, str | None] = {}

    def add(name: str | bytes, data: bytes, reason: str | None = None, folder: Path = root) -> None:
        expect[display_path(_w(folder, name, data))] = reason

    png = b"\x89PNG\r\n\x1a\n" + zlib.compress(bytes(range(256)) * 40)
    add("image.png", png, "binary file (PNG image)")
    add("archive.gz", gzip.compress(STORY.encode() * 50), "binary file (gzip archive)")
    add("nul-inside.txt", STORY.encode().replace(b" the ", b" the\x00 "))
    add("utf16-bom.txt", ("Zürich café. " + STORY).encode("utf-16"))
    add("utf16-nobom.txt", ("Zürich café. " + STORY).encode("utf-16-le"))
    add("invalid-utf8.txt", b"Broken \xff\xfe\xc3 bytes. " + STORY.encode())
    add("mixed.txt", "Zürich ".encode() + "café ".encode("latin-1") + STORY.encode())
    add("crlf.txt", STORY.replace(". ", ".\r\n\r\n").encode())
    add("cr-only.txt", STORY.replace(". ", ".\r\r").encode())
    add("empty.txt", b"", "empty file")
    add("spaces.txt", b"  \n\t \r\n   ", "only white space")
    add(
        "ansi.txt",
        f'{ANSI} {MARKUP} Officials said the bridge opened today. =HYPERLINK("x")\n'.encode(),
    )
    add(
        "formula.txt",
        b"=SUM(A1:A9) +1 -2 @cmd Council tax rises by five percent, the council said today.\n",
    )
    add(
        "control.txt",
        "Bell\x07 back\x08 form\x0c feed and bidi \u202eevil\u202c text in a story today.\n".encode(),
    )
    add("longword.txt", ("x" * 10_000 + " " + STORY).encode())
    add(
        "punct.txt",
        (
            ". " * 200_000
            + "!" * 100_000
            + " " * 200_000
            + "<p" * 50_000
            + "<script>" * 20_000
            + STORY
        ).encode(),
    )
    add("spaces-run.txt", (STORY + " " * 500_000 + "AFP").encode())
    add(
        "big-line.txt", b"word " * 10_000_000, "larger than the 10,485,760-byte cap"
    )  # 50 MB, one line
    big = root / "huge.bin"
    with open(big, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)  # 100 MB, sparse: costs no disk
    expect[display_path(str(big))] = "larger than the 10,485,760-byte cap"
    add(b"new\nline.txt", STORY.encode())
    add(b"caf\xe9-latin1-name.txt", STORY.encode())
    add("-leading-dash.txt", STORY.encode())
    locked = _w(root, "locked.txt", STORY.encode())
    os.chmod(locked, 0)
    expect[display_path(locked)] = None if os.geteuid() == 0 else "permission denied"
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "back")
    bottom = os.path.join(str(root), "deep")
    os.mkdir(bottom)
    for _ in range(DEPTH):  # deeper than Python's recursion limit (os.makedirs itself recurses)
        bottom += "/d"
        os.mkdir(bottom)
    expect[display_path(_w(Path(bottom), "bottom.txt", STORY.encode()))] = None
    # hostile containers (issue 13): each problem reported once, the records around it kept
    good = _page("Timber yard fire", STORY)
    add("bomb.warc.gz", _warc([(1, good)]) + _bomb(), "inflates past the 10,485,760-byte cap")
    expect[f"{display_path(str(root / 'bomb.warc.gz'))}#{_uuid(1)}"] = None
    cut = _warc([(2, good), (3, good), (4, good)])
    _w(root, "cut.warc.gz", cut[: len(cut) - 150])
    for n in (2, 3):
        expect[f"{display_path(str(root / 'cut.warc.gz'))}#{_uuid(n)}"] = None
    expect[f"{display_path(str(root / 'cut.warc.gz'))}#{_uuid(4)}"] = "truncated record"
    with open(root / "huge-line.jsonl", "wb") as fh:  # a 100 MB JSON line, then a good record
        fh.write(b'{"text": "' + b"word " * 20_000_000 + b'"}\n')
        fh.write(json.dumps({"title": "Fire", "text": STORY}).encode() + b"\n")
    shown = display_path(str(root / "huge-line.jsonl"))
    expect[f"{shown}:1"] = "line larger than the 10,485,760-byte cap"
    expect[f"{shown}:2"] = None
    add("not-string.jsonl", b'{"text": ["a", "list"]}\n')
    expect[f"{expect.popitem()[0]}:1"] = "'text' is not a string"
    add("ansi-title.html", _page(f"Fire {ANSI} {MARKUP}", STORY + " " + ANSI))
    tiny = root / "tiny"
    tiny.mkdir()
    rng = random.Random(3)
    for i in range(100_000):
        add(
            f"{i:05d}.txt",
            f"Item {i}: {rng.choice(['rates', 'grain', 'oil'])} up.\n".encode(),
            folder=tiny,
        )
    yield root, expect
    remove_deep(root / "deep")


def _uuid(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def _page(title: str, text: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>"
    ).encode()


def _warc(pages: list[tuple[int, bytes]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for n, data in pages:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                f"https://example.org/{n}", "response", payload=io.BytesIO(data),
                http_headers=headers, warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:{_uuid(n)}>"},
            )
        )  # fmt: skip
    return buf.getvalue()


def _bomb() -> bytes:
    """A gzip member that inflates to 200 MiB from ~200 KB: a WARC response declaring a terabyte,
    then one compressed MiB of spaces repeated (after a full flush, the same bytes each time)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:bomb>\r\n"
        b"WARC-Target-URI: https://example.org/bomb\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: 1000000000000\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>"
    )
    out = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b" " * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == c.compress(b" " * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return out + block * 199


def remove_deep(top: Path) -> None:
    """Remove the deep chain bottom-up without recursion (shutil.rmtree and pytest's own clean-up
    of old temporary folders recurse and fail on it)."""
    path = str(top) + "/d" * DEPTH
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    for _ in range(DEPTH + 1):
        os.rmdir(path)
        path = os.path.dirname(path)


def test_every_input_accounted_for_once(corpus: tuple[Path, dict[str, str | None]]) -> None:
    root, expect = corpus
    # --type all: every file, whatever its name (by default image.png, archive.gz and huge.bin
    # would be passed over as not articles)
    r = run_cli("clusters", "-f", "json", "--type", "all", str(root))
    assert r.returncode == 1  # some inputs skipped; the run still completes
    # JSON holds a name as it is (a newline in it too); messages on stderr show it escaped
    shown = {real_path(k): k for k in expect}
    expect = {real_path(k): v for k, v in expect.items()}
    doc = json.loads(r.stdout)
    seen = [a["path"] for a in doc["articles"]]
    skipped = {s["path"]: s["reason"] for s in doc["skipped"]}
    assert len(seen) == len(set(seen))
    assert set(seen) | set(skipped) == set(expect)
    seen_set = set(seen)
    for path, reason in expect.items():
        if reason is None:
            assert path in seen_set, path
        else:
            assert reason in skipped[path], (path, skipped.get(path))
    for path in skipped:  # each bad file reported once on stderr, with its reason
        assert r.stderr.count(f"newsdedup: {shown[path]}: skipped:") == 1
    assert r.stderr.endswith(f", {len(skipped)} skipped\n")  # counted in the summary line


OUTPUTS = [
    (c, f)
    for c in ("clusters", "timeline", "pairs")
    for f in ("text", "json", "jsonl", "csv", "tsv")
]
OUTPUTS = [o for o in OUTPUTS if o != ("pairs", "text")]
OUTPUTS += [
    ("inspect", "text"),
    ("inspect", "json"),
    ("inspect", "jsonl"),
    ("timeline", "markdown"),
    ("timeline", "html"),
]


@pytest.mark.parametrize(("command", "fmt"), OUTPUTS)
def test_nothing_leaks_to_the_terminal(
    corpus: tuple[Path, dict[str, str | None]], command: str, fmt: str
) -> None:
    root, _ = corpus
    files = [str(root / n) for n in ("ansi.txt", "control.txt", "formula.txt")] + [str(root)]
    r = run_cli(command, "-f", fmt, "--full" if command == "timeline" else "-q", *files[:3])
    assert r.returncode == 0, r.stderr
    for stream in (r.stdout, r.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\x08" not in stream
        assert "\u202e" not in stream
    if fmt in ("csv", "tsv"):
        rows = list(csv.reader(io.StringIO(r.stdout), delimiter="," if fmt == "csv" else "\t"))
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize("command", ["inspect", "timeline", "clusters"])
def test_nothing_leaks_from_a_page(
    corpus: tuple[Path, dict[str, str | None]], command: str
) -> None:
    root, _ = corpus
    r = run_cli(command, "-f", "text", str(root / "ansi-title.html"))
    assert r.returncode == 0, r.stderr
    assert "Fire" in r.stdout
    for stream in (r.stdout, r.stderr):
        assert "\x1b" not in stream and "\x07" not in stream


def test_file_deleted_between_discovery_and_reading(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    path.write_text(STORY)
    found = Found(str(path), str(tmp_path), "gone.txt")
    path.unlink()
    with pytest.raises(InputError) as exc:
        read_document(found, Settings())
    assert "deleted while running" in exc.value.reason


def test_leading_dash_name_after_double_dash(corpus: tuple[Path, dict[str, str | None]]) -> None:
    root, _ = corpus
    r = run_cli("clusters", "-f", "jsonl", "--", "-leading-dash.txt", cwd=root)
    assert r.returncode == 0 and json.loads(r.stdout)["path"] == "-leading-dash.txt"


def test_huge_line_within_time_and_memory_when_allowed(tmp_path: Path) -> None:
    """With the cap raised, a 12 MB single-line file is read and matched (the bound is generous:
    a hang or a quadratic regex would blow it by orders of magnitude)."""
    _w(tmp_path, "line.txt", ((STORY + " ") * 60_000).encode())
    r = run_cli("clusters", "--max-bytes", "20000000", "-f", "jsonl", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["story_size"] == 1


# ---------------------------------------------------------------------------------------------
# properties

TEXTS = [p.read_bytes() for p in sorted(SAMPLES.rglob("*.txt"))]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(TEXTS))))
def test_stories_do_not_depend_on_input_order(order: list[int]) -> None:
    s = Settings()
    docs = [document_from_bytes(TEXTS[i], f"f{i}.txt", f"f{i}.txt") for i in order]
    result = find_stories_in(Corpus(normalise(docs, s)), s)
    groups = {
        frozenset(result.corpus.articles[m].path for m in story.members) for story in result.stories
    }
    base_docs = [document_from_bytes(t, f"f{i}.txt", f"f{i}.txt") for i, t in enumerate(TEXTS)]
    base = find_stories_in(Corpus(normalise(base_docs, s)), s)
    assert groups == {
        frozenset(base.corpus.articles[m].path for m in story.members) for story in base.stories
    }
    assert sorted(x.id for x in result.stories) == sorted(x.id for x in base.stories)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=400), min_size=1, max_size=6))
def test_matching_never_raises(texts: list[str]) -> None:
    s = Settings()
    docs = []
    for i, t in enumerate(texts):
        with contextlib.suppress(InputError):
            docs.append(
                document_from_bytes(t.encode("utf-8", "surrogatepass"), f"{i}.txt", f"{i}.txt")
            )
    result = find_stories_in(Corpus(normalise(docs, s)), s)
    timeline(result)


PRINTABLE = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf")), min_size=3, max_size=200
)


@settings(max_examples=60, deadline=None)
@given(st.lists(PRINTABLE.filter(lambda t: bool(t.strip())), min_size=1, max_size=3))
def test_json_round_trip_and_passages_cover_the_body(paragraphs: list[str]) -> None:
    s = Settings()
    raw = "\n\n".join(p.strip() for p in paragraphs).encode()
    try:
        doc = document_from_bytes(raw, "p.txt", "p.txt")
    except InputError:
        return
    result = find_stories_in(Corpus(normalise([doc], s)), s)
    art = result.corpus.articles[0]
    (entry,) = timeline(result)
    rec = timeline_record(entry)
    assert json.loads(json.dumps(rec, ensure_ascii=False)) == rec
    assert json.loads(json.dumps(rec)) == rec
    body_sentences = {x for para in art.body for x in (sentences(para) or [para])}
    assert {p["text"] for p in rec["passages"]} == body_sentences


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_csv_and_tsv_cells_parse_back_to_the_same_text(text: str) -> None:
    row = {"path": text, "story": "s1"}
    for sep in (",", "\t"):
        out = io.StringIO()
        write_table(out, ["path", "story"], [row], sep)
        if sep == ",":
            (got,) = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
            cell = got["path"]
        else:
            _header, line = out.getvalue().split("\n")[:2]
            cell = line.split("\t")[0]
            cell = re.sub(
                r"\\(.)",
                lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)),
                cell,
            )
        risky = (
            ("=", "+", "-", "@", "\t", "\r") if sep == "," else ("=", "+", "-", "@")
        )  # TSV escapes tab, CR
        if text[:1] in risky:
            assert cell == "'" + text  # neutralised for spreadsheets: one quote added, nothing lost
        else:
            assert cell == text


def test_load_accounts_for_every_sample() -> None:
    corpus = load([str(SAMPLES)], Settings())
    files = [p for p in SAMPLES.rglob("*") if p.is_file()]
    assert corpus.passed_over == 1  # README.md is not an article
    assert len(corpus.articles) + len(corpus.skipped) + corpus.passed_over == len(files)
