"""Ingestion: encodings, markup, paragraphs, and every bad input accounted for."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from newsdedup.errors import InputError
from newsdedup.ingest import (
    Found,
    decode,
    discover,
    document_from_bytes,
    ingest,
    read_capped,
    to_paragraphs,
)
from newsdedup.settings import Settings

TEXT = "Café owners in Zürich said prices rose – sharply – this year.\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_decode_to_the_same_text(data: bytes, encoding: str) -> None:
    text, enc, note = decode(data)
    assert text is not None and text.strip() == TEXT.strip()
    assert enc == encoding
    assert note


def test_mixed_utf8_and_latin1_in_one_file() -> None:
    data = "Zürich ".encode() + "café".encode("latin-1") + b"\n"
    text, _enc, note = decode(data)
    assert text == "Zürich café\n"
    assert "mixed" in note


def test_pa_html_wrapper_is_stripped(data: Path) -> None:
    raw = (data / "meter-dev/pa/2e64c5a664.txt").read_bytes()
    doc = document_from_bytes(raw, "pa/2e64c5a664.txt")
    assert doc.markup_removed
    joined = "\n".join(doc.paragraphs)
    assert "<" not in joined and "HSA Search utility" not in joined
    assert doc.paragraphs[0].startswith("02:59 12/07/99: Page 1")
    # PA's '<' line ends close paragraphs; wrapped lines inside are joined
    assert any(
        p.startswith("A family timber firm will be sentenced today") and p.endswith("arm.")
        for p in doc.paragraphs
    )


def test_reuters_wrapped_lines_joined_and_tickers_kept(data: Path) -> None:
    doc = document_from_bytes((data / "reuters-dev/00500.txt").read_bytes(), "00500.txt")
    assert doc.paragraphs[0] == "2-MAR-1987 11:25:38.57"
    assert doc.paragraphs[1] == "FAA FINES DELTA <DAL> 140,400 DLRS ON SAFETY"  # not markup
    assert doc.paragraphs[2].startswith(
        "WASHINGTON, March 2 - The Federal Aviation Administration fined Delta"
    )
    assert doc.paragraphs[2].endswith("officials said.")


def test_long_line_paragraphs_are_kept_one_per_line() -> None:
    lines = ["x " * 80 + "end one.", "Short cross-head", "y " * 90 + "end two."]
    assert len(to_paragraphs("\n".join(lines))) == 3


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\t\n  ", "only white space"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary file (PNG image)"),
        (b"\x1f\x8b\x08\x00" + bytes(200), "binary file (gzip archive)"),
        (bytes(range(0, 32)) * 20, "binary file"),
    ],
)
def test_bad_bytes_raise_input_error(data: bytes, reason: str) -> None:
    with pytest.raises(InputError) as exc:
        document_from_bytes(data, "bad.txt")
    assert reason in exc.value.reason


def test_every_input_is_accounted_for(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A real article about a flood in the valley today.\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "big.txt").write_text("word " * 1000)
    os.symlink(tmp_path, tmp_path / "loop")
    weird = os.fsencode(tmp_path) + b"/caf\xe9\nname.txt"
    with open(weird, "wb") as fh:
        fh.write(b"Another article, named in latin-1 with a newline in its name.\n")
    docs, skipped = ingest([str(tmp_path), str(tmp_path / "missing.txt")], Settings(max_bytes=2000))
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert sorted(Path(d.path).name for d in docs) == ["caf\\xe9\\nname.txt", "good.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert "2,000-byte cap" in reasons["big.txt"]
    assert "no such file" in reasons["missing.txt"]
    # a linked folder is not walked without -L; with -L the loop is reported once
    docs_l, skipped_l = ingest([str(tmp_path)], Settings(follow_symlinks=True, max_bytes=2000))
    assert any(s.reason == "symbolic link loop" for s in skipped_l)
    assert len(docs_l) == 2


def _as_unprivileged(fn: Callable[[], object]) -> object:
    """Run ``fn`` in a forked child that dropped root to nobody (permissions bind it), and return
    its JSON-able result; as a normal user, just run it."""
    if os.geteuid() != 0:
        return fn()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            payload = json.dumps(fn()).encode()
        except BaseException as exc:  # report anything to the parent
            payload, code = json.dumps({"error": repr(exc)}).encode(), 1
        with os.fdopen(write_end, "wb") as fh:
            fh.write(payload)
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_unreadable_file_is_skipped() -> None:
    # a folder every user may enter (pytest's tmp_path is private to root), a file no one may read
    folder = Path(tempfile.mkdtemp(prefix="newsdedup-perm-"))
    try:
        folder.chmod(0o755)
        f = folder / "locked.txt"
        f.write_text("text")
        f.chmod(0)

        def run() -> object:
            docs, skipped = ingest([str(folder)], Settings())
            return [len(docs), [s.reason for s in skipped]]

        assert _as_unprivileged(run) == [0, ["permission denied"]]
    finally:
        shutil.rmtree(folder)


def test_discovery_is_sorted_and_recursive(tmp_path: Path) -> None:
    for name in ["b/2.txt", "a/9.txt", "a/10.txt", "c.txt"]:
        p = tmp_path / name
        p.parent.mkdir(exist_ok=True)
        p.write_text(f"Story text number {name} about the harbour.\n")
    docs, _ = ingest([str(tmp_path)], Settings())
    assert [d.rel for d in docs] == ["a/10.txt", "a/9.txt", "b/2.txt", "c.txt"]


def test_globs_follow_ripgrep_rules(tmp_path: Path) -> None:
    for name in ["a/x.txt", "a/README.md", "b/y.txt", "b/z.html"]:
        p = tmp_path / name
        p.parent.mkdir(exist_ok=True)
        p.write_text(f"Text of {name} about the city council meeting.\n")
    only_txt, _ = ingest([str(tmp_path)], Settings(globs=("*.txt",)))
    assert sorted(d.rel for d in only_txt) == ["a/x.txt", "b/y.txt"]
    no_readme, _ = ingest([str(tmp_path)], Settings(globs=("!README.md",)))
    assert sorted(d.rel for d in no_readme) == ["a/x.txt", "b/y.txt", "b/z.html"]
    in_b, _ = ingest([str(tmp_path)], Settings(globs=("b/*", "!*.html")))
    assert [d.rel for d in in_b] == ["b/y.txt"]
    named, _ = ingest([str(tmp_path / "a/README.md")], Settings(globs=("!README.md",)))
    assert len(named) == 1  # a file named on the command line is always read


def test_plain_text_files_are_read_without_the_web_libraries(tmp_path: Path) -> None:
    # trafilatura, htmldate, warcio (and lxml under them) cost a run most of a second of
    # imports: they are loaded only when a page or an archive is met, never for plain text
    (tmp_path / "a.txt").write_text("PARIS - A wire story.\n\nIt goes on here.\n", "utf-8")
    (tmp_path / "b.txt").write_bytes("Caf\xe9 owners said prices rose.\n".encode("cp1252"))
    heavy = ("trafilatura", "htmldate", "warcio", "lxml")
    code = (
        "import sys; from newsdedup.pipeline import load; from newsdedup.settings import Settings; "
        f"corpus = load([{str(tmp_path)!r}], Settings()); assert len(corpus.articles) == 2; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        TEXT.encode("cp1252"),
        TEXT.encode("utf-8") + "Stray caf\xe9".encode("cp1252"),
        TEXT.encode("utf-16"),
        b"Plain ASCII wire copy.\n",
    ],
)
def test_charset_detector_only_for_bytes_the_cheap_tests_cannot_read(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import charset_normalizer

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the charset detector was asked about text the cheap tests read")

    monkeypatch.setattr(charset_normalizer, "from_bytes", refuse)
    text, _, _ = decode(data)
    assert text is not None and text.strip()


@pytest.mark.parametrize("length", [0, 1, 9, 10, 11, 25])
@pytest.mark.parametrize("size_when_opened", [0, 5, 10, 11, 30])
def test_read_capped_reads_what_one_read_past_the_cap_would(
    length: int, size_when_opened: int
) -> None:
    # the size seen when the file was opened may be stale (the file grew or shrank since, or
    # it is a /proc file of size 0): what comes back is still the file up to the cap plus one
    # byte, so a file over the cap is always seen to be over it
    data = bytes(range(length))
    assert read_capped(io.BytesIO(data), size_when_opened, 10) == data[:11]


def test_discovery_finds_each_real_file_once_below_its_root(tmp_path: Path) -> None:
    """The walk builds a file's real path from its folder's and its path below the root from
    the folder's: a file reached again (through a linked folder, a link to it, the folder
    under another name, or named on its own) is found once, and every path below a root is
    what os.path gives."""
    corpus = tmp_path / "corpus"
    for rel in ("a/1.txt", "a/2.txt", "b/3.txt", "b/deep/4.txt"):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(f"An article called {rel} about a flood in the valley.\n")
    os.symlink("../a/1.txt", corpus / "b" / "link.txt")  # a link to a file found anyway
    os.symlink("a", corpus / "c")  # a linked folder: its files are a/'s
    os.symlink(corpus, tmp_path / "alias")  # the corpus under another name
    given = [str(corpus), str(tmp_path / "alias"), str(corpus / "a" / "2.txt")]
    for follow in (False, True):
        found = [
            f for f in discover(given, Settings(follow_symlinks=follow)) if isinstance(f, Found)
        ]
        rels = [f.rel for f in found]
        assert rels == ["corpus/a/1.txt", "corpus/a/2.txt", "corpus/b/3.txt", "corpus/b/deep/4.txt"]
        for f in found:
            assert f.rel == os.path.relpath(f.ospath, f.root)
            assert os.path.realpath(f.ospath) == os.path.realpath(tmp_path / f.rel)
    # a folder given as "./x/" below the working directory: the paths below it are plain
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        found = [f for f in discover(["./corpus/b/"], Settings()) if isinstance(f, Found)]
    finally:
        os.chdir(cwd)
    assert [(f.ospath, f.rel) for f in found] == [
        ("./corpus/b/3.txt", "3.txt"),
        ("./corpus/b/deep/4.txt", "deep/4.txt"),
    ]


def test_text_that_is_not_wrapped_is_a_paragraph_a_line() -> None:
    """Long lines (no hard wrap): each line is a paragraph with its white space runs made one
    space; rule lines go; PA's end mark ``<`` goes, but a slug line keeps what it says."""
    long = (
        "The council voted on Tuesday to close the old bridge over the river to all traffic"
        " for good, citing"
    )  # over 100 characters: a paragraph a line
    text = (
        f"{long} cracks.<\n\n-----------\n{long}\tits\t  age.\n"
        "02:59 12/07/99: Page 1 (HHH) COURTS Arm<\n"
        f"   {long} costs. <\n"
    )
    assert to_paragraphs(text) == [
        f"{long} cracks.",
        f"{long} its age.",
        "02:59 12/07/99: Page 1 (HHH) COURTS Arm<",
        f"{long} costs.",
    ]
