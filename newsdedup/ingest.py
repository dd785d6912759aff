"""Stage 1: find input files, read them whatever their encoding, strip markup, cut paragraphs.

Every path handed in ends up either as a :class:`~newsdedup.model.Document` or as a
:class:`~newsdedup.model.Skipped` with a reason; nothing raises past this module for a bad file.
"""

from __future__ import annotations

import bisect
import codecs
import fnmatch
import functools
import hashlib
import html
import io
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .errors import InputError, NotAnArticle
from .model import Document, Skipped
from .settings import Settings

# ---------------------------------------------------------------------------------------------
# discovery


#: the input path that stands for standard input (its bytes are read by the caller)
STDIN = "-"


#: what a walked file is read as an article by (``--type articles``, the default): these name
#: endings, or none at all (wire files often have none); hidden files never
ARTICLE_SUFFIXES = (".txt", ".text", ".htm", ".html", ".xhtml", ".json", ".jsonl", ".ndjson",
                    ".warc", ".warc.gz")  # fmt: skip
# a name's extension: a dot, a letter, then up to seven letters or digits ("md", "jpeg",
# "mp4"); wire names such as "story.001" or "00001" have none and are articles
_EXT = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")


def is_article_name(name: str) -> bool:
    """Is a walked file called ``name`` an article by default? (``labels.tsv``, ``x.png``,
    ``README.md``, ``.DS_Store`` are not; ``reuters-00001``, ``x.txt``, ``page.html`` are.)"""
    if name.startswith("."):
        return False
    lower = name.lower()
    return lower.endswith(ARTICLE_SUFFIXES) or not _EXT.search(lower)


@dataclass(frozen=True)
class PassedOver:
    """A walked file that is not an article by its name (not an error; counted, not listed)."""

    path: str


@dataclass(frozen=True)
class Found:
    """A file found under an input root: the OS path, the root and the path below it."""

    ospath: str
    root: str
    rel: str
    named: bool = False  # named on the command line or listed, not found by walking a folder


def display_path(path: str) -> str:
    """A printable form of a path: undecodable bytes as ``\\xNN``, control characters escaped
    (``\\n``, ``\\x1b``) and a backslash doubled, so that :func:`real_path` can undo it."""
    raw = os.fsencode(path)
    if raw.isascii() and raw.decode("ascii").isprintable() and b"\\" not in raw:
        return raw.decode("ascii")  # the usual case: nothing to escape (a space is printable)
    text = raw.decode("utf-8", errors="surrogateescape")
    return "".join(
        ch
        if (ch.isprintable() or ch == " ") and ch != "\\"
        else "\\\\"
        if ch == "\\"
        else f"\\x{ord(ch) - 0xDC00:02x}"
        if 0xDC80 <= ord(ch) <= 0xDCFF  # an undecodable byte (surrogateescape)
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


_ESCAPE = re.compile(r"\\(?:\\|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|[ntr])")


def real_path(shown: str) -> str:
    """The name :func:`display_path` escaped, for formats that can hold any text (JSON, CSV,
    TSV): control characters as they are; only bytes that are not UTF-8 stay ``\\xNN``,
    since no text holds them (and so do C1 control characters, U+0080-U+009F, which print
    alike)."""
    if "\\" not in shown:
        return shown

    def undo(m: re.Match[str]) -> str:
        esc = m.group(0)
        if esc == "\\\\":
            return "\\"
        if esc[1] == "x" and int(esc[2:], 16) >= 0x80:
            return esc  # a byte that is not UTF-8: it stays an escape
        return esc.encode("ascii").decode("unicode_escape")

    return _ESCAPE.sub(undo, shown)


def discover(paths: Iterable[str], settings: Settings) -> Iterator[Found | Skipped | PassedOver]:
    """Yield every regular file under ``paths`` (files or folders), sorted within each folder.

    Folders are walked recursively in byte order of names, so the order never depends on the
    filesystem. Symlinks are followed only with ``settings.follow_symlinks``; loops are reported.
    """
    seen: set[str] = set()
    paths = list(paths)
    file_root, folder_root = _layout_roots(paths)
    for given in paths:
        if given == STDIN:  # the caller supplies standard input's bytes
            yield Found(STDIN, ".", STDIN)
            continue
        try:
            st = os.stat(given) if settings.follow_symlinks else os.lstat(given)
        except OSError as exc:
            yield Skipped(display_path(given), os_reason(exc))
            continue
        if stat.S_ISLNK(st.st_mode):
            # a symlink named on the command line is what the user asked for: follow it
            try:
                st = os.stat(given)
            except OSError as exc:
                yield Skipped(display_path(given), os_reason(exc))
                continue
        if stat.S_ISDIR(st.st_mode):
            root = folder_root if folder_root == _parent(given) else given
            yield from _walk(given, root, settings, {_dev_ino(st)}, seen)
        elif stat.S_ISREG(st.st_mode):
            key = os.path.realpath(given)
            if key not in seen:
                seen.add(key)
                root = file_root if file_root is not None else os.path.dirname(given)
                yield Found(given, root, os.path.relpath(given, root or "."), named=True)
        else:
            yield Skipped(display_path(given), "not a regular file")


def _parent(path: str) -> str:
    return os.path.dirname(os.path.normpath(path)) or "."


def _layout_roots(paths: list[str]) -> tuple[str | None, str | None]:
    """The roots that keep the outlet-per-folder layout (``corpus/OUTLET/…``) when inputs come
    one by one: files named or listed (``find corpus -print0``) are taken below their common
    folder, and sibling folders given together (``corpus/pa corpus/sun``) below their parent,
    so their outlets are those of a run over ``corpus``. Returns (files' root, folders' root)."""
    files: list[str] = []
    folders: list[str] = []
    for p in paths:
        if p != STDIN:
            (folders if os.path.isdir(p) else files).append(p)

    def common(parts: list[str]) -> str | None:
        if not parts:
            return None
        try:
            base = os.path.commonpath(parts)
        except ValueError:  # absolute and relative paths mixed
            return None
        return None if base == os.sep else (base or ".")

    file_root = common([_parent(f) for f in files])
    folder_root = common([_parent(f) for f in folders]) if len(folders) > 1 else None
    return file_root, folder_root


def _dev_ino(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _walk(
    folder: str, root: str, settings: Settings, ancestors: set[tuple[int, int]], seen: set[str]
) -> Iterator[Found | Skipped | PassedOver]:
    """Depth-first, entries in byte order, without recursion (folders may nest deeply).

    One ``scandir`` a folder and no system call a plain file: the entry's type says file or
    folder (a folder is stat-ed for its device and inode, the loop check), and a file's real
    path is its folder's real path and its name (the folder's is resolved once; only a link
    followed with -L is resolved again), its path below the root the folder's and its name."""
    # the stack holds (entry path, its path below the root, its real path, its ancestors'
    # device/inode pairs, what it is), next item on top
    stack: list[tuple[str, str, str, frozenset[tuple[int, int]], int]] = [
        (folder, os.path.relpath(folder, root), os.path.realpath(folder), frozenset(ancestors),
         _DIR)
    ]  # fmt: skip
    follow = settings.follow_symlinks
    while stack:
        path, rel, real, above, kind = stack.pop()
        if kind != _DIR:
            yield from _file(path, root, rel, real, kind == _LINK, settings, seen)
            continue
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as exc:
            yield Skipped(display_path(path), os_reason(exc))
            continue
        children: list[tuple[str, str, str, frozenset[tuple[int, int]], int]] = []
        for entry in entries:
            full, name = entry.path, entry.name
            sub = name if rel == "." else os.path.join(rel, name)
            try:
                if entry.is_symlink():
                    if not follow:
                        if not entry.is_dir(follow_symlinks=True) and not entry.is_file(
                            follow_symlinks=True
                        ):
                            # reported as broken below (or read, if it points at a FIFO)
                            children.append((full, sub, "", above, _LINK))
                        continue  # links are followed only with -L
                    st = entry.stat(follow_symlinks=True)
                    if stat.S_ISDIR(st.st_mode):
                        key = _dev_ino(st)
                        if key in above:
                            yield Skipped(display_path(full), "symbolic link loop")
                            continue
                        children.append((full, sub, os.path.realpath(full), above | {key}, _DIR))
                    elif stat.S_ISREG(st.st_mode):
                        children.append((full, sub, os.path.realpath(full), above, _FILE))
                elif entry.is_dir(follow_symlinks=False):
                    key = _dev_ino(entry.stat(follow_symlinks=False))
                    if key in above:  # a bind mount of a folder above it
                        yield Skipped(display_path(full), "symbolic link loop")
                        continue
                    children.append((full, sub, os.path.join(real, name), above | {key}, _DIR))
                elif entry.is_file(follow_symlinks=False):
                    children.append((full, sub, os.path.join(real, name), above, _FILE))
                # sockets, fifos and devices inside folders are not articles
            except OSError as exc:
                yield Skipped(display_path(full), os_reason(exc))
        stack.extend(reversed(children))


#: what a walked entry is: a folder, a regular file, or a link that is not followed (without
#: -L) and points at neither (a broken link, or a FIFO's)
_DIR, _FILE, _LINK = 0, 1, 2


def _file(
    path: str, root: str, rel: str, real: str, link: bool, settings: Settings, seen: set[str]
) -> Iterator[Found | Skipped | PassedOver]:
    """A walked file: ``rel`` its path below the root, ``real`` its real path ("" for a link
    not followed, resolved here if it is read)."""
    if link and not os.path.exists(path):
        yield Skipped(
            display_path(path), "broken symbolic link" if os.path.islink(path) else "no such file"
        )
        return
    if settings.globs and not wanted(rel, settings.globs):
        return
    chosen = settings.types == "all" or any(not g.startswith("!") for g in settings.globs)
    if not chosen and not is_article_name(os.path.basename(path)):
        yield PassedOver(display_path(path))  # an include --glob chooses files by itself
        return
    real = real or os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    yield Found(path, root, rel)


def wanted(rel: str, globs: tuple[str, ...]) -> bool:
    """ripgrep's rule: a file is kept if it matches an include pattern (when there are any) and
    no exclude pattern (``!PAT``). Patterns match the path below the root or the file name."""
    rel = rel.replace(os.sep, "/")
    name = rel.rsplit("/", 1)[-1]

    def hit(pat: str) -> bool:
        return fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(name, pat)

    includes = [g for g in globs if not g.startswith("!")]
    if includes and not any(hit(g) for g in includes):
        return False
    return not any(hit(g[1:]) for g in globs if g.startswith("!"))


def os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file (deleted while running?)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a folder"
    if isinstance(exc, NotRegular):
        return NOT_REGULAR
    if exc.errno == 40:  # ELOOP
        return "symbolic link loop"
    return exc.strerror or exc.__class__.__name__


# ---------------------------------------------------------------------------------------------
# reading and decoding

_MAGIC = {
    b"\x89PNG": "PNG image",
    b"\x1f\x8b": "gzip archive",
    b"%PDF": "PDF document",
    b"PK\x03\x04": "zip archive",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"BZh": "bzip2 archive",
    b"\xfd7zXZ": "xz archive",
    b"\x7fELF": "executable",
}

_MAGIC_PREFIXES = tuple(_MAGIC)


#: why a path that was a regular file when found is not read
NOT_REGULAR = "not a regular file (replaced while running?)"


def open_regular(ospath: str) -> io.BufferedReader:
    """Open a file found as a regular file for reading, without ever blocking: it is opened
    with ``O_NONBLOCK`` (a FIFO put in its place would otherwise hang the run until a writer
    came) and checked to be a regular file on the open descriptor (``fstat``, so nothing can
    swap it between the check and the read). Raises :class:`OSError`, or :class:`NotRegular`
    for a FIFO, folder, device or socket."""
    fd = os.open(ospath, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(ospath)
        os.set_blocking(fd, True)  # a regular file: reads as usual
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class NotRegular(OSError):
    """A path opened as an input is not a regular file (a FIFO, folder, device or socket)."""

    def __init__(self, path: str) -> None:
        super().__init__(0, NOT_REGULAR, path)


def read_document(found: Found, settings: Settings) -> Document:
    """Read and decode one file. Raises :class:`InputError` with a short reason."""
    shown = display_path(found.ospath)
    try:
        with open_regular(found.ospath) as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > settings.max_bytes:
                raise InputError(
                    shown,
                    f"larger than the {settings.max_bytes:,}-byte cap "
                    f"({st.st_size:,} bytes; raise it with --max-bytes)",
                )
            data = read_capped(fh, st.st_size, settings.max_bytes)
    except OSError as exc:
        raise InputError(shown, os_reason(exc)) from exc
    if len(data) > settings.max_bytes:
        raise InputError(shown, f"grew past the {settings.max_bytes:,}-byte cap while reading")
    return document_from_bytes(data, shown, display_path(found.rel), st.st_mtime)


def read_capped(fh: BinaryIO, size: int, cap: int) -> bytes:
    """What ``fh.read(cap + 1)`` returns (the file, and one byte more if it is over ``cap``),
    without a buffer of ``cap`` bytes for every file: ``size`` bytes (its size when opened)
    and one are read, and the rest up to the cap only if that byte came (it grew)."""
    want = min(size, cap) + 1
    data = fh.read(want)
    if len(data) == want and want <= cap:
        data += fh.read(cap + 1 - want)
    return data


def read_inputs(found: Found, settings: Settings) -> list[Document | Skipped]:
    """One file's documents: one for a text file or a saved page, one per record for a
    container (a scraper export, a web archive), with a Skipped for each record or file that
    cannot be used, in file order. Never raises."""
    kind = _web_tests()[0](found.rel)
    try:
        if kind is None:
            return [read_document(found, settings)]
        from .web import read_container

        shown = display_path(found.ospath)
        try:
            mtime = os.stat(found.ospath).st_mtime
        except OSError as exc:
            raise InputError(shown, os_reason(exc)) from exc
        docs = read_container(found.ospath, shown, display_path(found.rel), kind, settings, mtime)
        if found.named:  # named or listed: read as asked, so not being an article is an error
            return [Skipped(d.path, d.reason) if isinstance(d, Skipped) else d for d in docs]
        return docs
    except InputError as exc:
        return [Skipped(exc.path, exc.reason, isinstance(exc, NotAnArticle) and not found.named)]


def document_from_bytes(
    data: bytes, path: str, rel: str | None = None, mtime: float = 0.0
) -> Document:
    """Decode ``data`` and cut it into paragraphs. Raises :class:`InputError` if it is no text."""
    if not data:
        raise InputError(path, "empty file")
    if data.startswith(_MAGIC_PREFIXES):  # one test for all of them (text has none)
        for magic, kind in _MAGIC.items():
            if data.startswith(magic):
                raise InputError(path, f"binary file ({kind}), not text")
    text, encoding, note = decode(data)
    if text is None:
        raise InputError(path, f"binary file ({note}), not text")
    if not text.strip():
        raise InputError(path, "only white space")
    rel = rel if rel is not None else path
    if _looks_like_html(text):
        from .web import page_document

        args = {"path": path, "rel": rel, "encoding": encoding, "encoding_note": note}
        page = page_document(data, text, {**args, "mtime": mtime})
        if page is not None:
            return page
    text, markup = strip_markup(text)
    paragraphs = to_paragraphs(text)
    if not paragraphs:
        raise InputError(path, "no text left after removing markup")
    return Document(
        path=path,
        rel=rel,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        encoding=encoding,
        encoding_note=note,
        markup_removed=markup,
        paragraphs=paragraphs,
        mtime=mtime,
    )


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return bad.decode("cp1252", errors="replace").replace("\ufffd", ""), err.end


codecs.register_error("newsdedup-cp1252", _cp1252_fallback)

_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


#: byte-order marks and their codecs, the longer first (UTF-32 LE's starts with UTF-16 LE's)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)


def decode(data: bytes) -> tuple[str | None, str, str]:
    """Decode bytes to text. Returns ``(text, encoding, note)``; text is None for binary data.

    Order of evidence: a byte-order mark; NUL patterns of BOM-less UTF-16; strict UTF-8; UTF-8
    with stray single-byte characters (mixed files: those bytes are read as cp1252); cp1252 for
    text with few non-ASCII bytes (Western news copy); otherwise charset-normalizer's guess.
    """
    if data.startswith(_BOM_PREFIXES):  # one test for all of them first (most text has none)
        for bom, enc in _BOMS:
            if data.startswith(bom):
                text = data.decode(enc, errors="replace")
                return clean_controls(text), enc, "byte-order mark"
    # the first 4 KB show UTF-16's NUL bytes or a binary format's control bytes as well as the
    # whole file would, without a pass over megabytes
    sample = data[:4096]
    nuls = sample.count(0)
    if nuls and len(sample) >= 4:
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        half = len(sample) / 2
        # UTF-16 of Western text: a NUL in most high bytes (over 40%, leaving room for other
        # scripts and marks) and almost none in the low ones (under 5%)
        if odd > 0.4 * half and even < 0.05 * half:
            return (
                clean_controls(data.decode("utf-16-le", errors="replace")),
                "utf-16-le",
                "NUL pattern, no BOM",
            )
        if even > 0.4 * half and odd < 0.05 * half:
            return (
                clean_controls(data.decode("utf-16-be", errors="replace")),
                "utf-16-be",
                "NUL pattern, no BOM",
            )
        if nuls > 0.3 * len(sample):  # not UTF-16, and NULs in three bytes of ten: not text
            return None, "binary", "mostly NUL bytes"
    if _looks_binary(sample):
        return None, "binary", "control bytes"
    try:
        return clean_controls(data.decode("utf-8")), "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    if _not_text(sample):
        return None, "binary", "control bytes and unassigned codes"
    if _UTF8_MULTIBYTE.search(data):
        text = data.decode("utf-8", errors="newsdedup-cp1252")
        return clean_controls(text), "utf-8", "mixed: UTF-8 with stray bytes read as cp1252"
    high = len(data) - len(data.translate(None, _HIGH))
    # Western copy in cp1252 has a few accented letters and curly quotes (15% of the bytes at
    # most, a quote or a name in French); more is another script: the detector's turn
    if high <= 0.15 * len(data) and _plausible_cp1252(data):
        return (
            clean_controls(data.decode("cp1252", errors="newsdedup-latin1")),
            "cp1252",
            "not UTF-8; non-ASCII bytes read as Western letters",
        )
    try:
        from charset_normalizer import from_bytes

        # 200 kB give the detector enough text to be sure; its time grows with the input
        best = from_bytes(data[:200_000]).best()
    except Exception:  # the detector is a guess; any failure means we fall back
        best = None
    if best is not None and best.encoding:
        return (
            clean_controls(data.decode(best.encoding, errors="replace")),
            best.encoding,
            "charset-normalizer guess",
        )
    return clean_controls(data.decode("cp1252", errors="newsdedup-latin1")), "cp1252", "fallback"


_HIGH = bytes(range(0x80, 0x100))
_LOW = bytes(range(0x80))
_WESTERN = re.compile(r"[À-ÖØ-öø-ÿ‘’‚“”„–—…•€£¥©®°±·«»¼½¾¢§¶ŒœŠšŽžŸƒ\xa0]")


def _plausible_cp1252(data: bytes) -> bool:
    """Do the non-ASCII bytes read as cp1252 give Western letters and typographic marks?"""
    high = data.translate(None, _LOW)
    text = high.decode("cp1252", errors="replace")
    # nine in ten: a stray symbol or two is allowed; a text whose non-ASCII bytes read as
    # symbols and unused codes is in another code page
    return len(_WESTERN.findall(text)) >= 0.9 * len(text)


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("newsdedup-latin1", _latin1_fallback)


#: the control bytes that mark binary data: below 32, except NUL (counted apart), tab, line
#: feed, form feed, carriage return and 25 (EM, which METER's PA wire copy carries)
_BINARY_CONTROLS = bytes(b for b in range(32) if b not in (0, 9, 10, 12, 13, 25))


#: bytes that no text in a single-byte Western encoding holds: the control bytes above, DEL,
#: and the five codes cp1252 leaves unassigned
_NOT_TEXT = _BINARY_CONTROLS + b"\x7f\x81\x8d\x8f\x90\x9d"


def _not_text(sample: bytes) -> bool:
    """Bytes that are not UTF-8 and hold more than a stray few of :data:`_NOT_TEXT`: random or
    compressed data, where one byte in eight is one of them. 3%: the cp1252 and latin-1 files of
    the dev corpora (METER's newspapers) have none, and a stray control or two in a short
    article stays under it."""
    odd = len(sample) - len(sample.translate(None, _NOT_TEXT))
    return odd > 0.03 * len(sample)


def _looks_binary(sample: bytes) -> bool:
    if not sample:
        return False
    ctrl = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    # a tenth: text has none of these bytes, or a stray few; binary formats are full of them
    return ctrl > 0.1 * len(sample)


_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


_ANSI_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
# an operating-system command (a terminal title, a hyperlink) up to its terminator; 512
# characters at most, so an unterminated one cannot make the search run over the whole text
_ANSI_OSC = re.compile(r"\x1b\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)")


def clean_controls(text: str) -> str:
    """Unify line ends and remove control characters (ESC included, so no ANSI sequence
    survives), bidi overrides and zero-width characters. Tabs and newlines stay."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        # a dangling ANSI CSI sequence would leave '[31m' behind: drop the whole sequence
        text = _ANSI_CSI.sub("", text)
        text = _ANSI_OSC.sub("", text)
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


# ---------------------------------------------------------------------------------------------
# markup


@functools.cache
def _web_tests() -> tuple[Callable[[str], str | None], Callable[[str], bool]]:
    """:func:`newsdedup.web.container_kind` and :func:`~newsdedup.web.looks_like_html`, asked
    of every file: the web module is imported on the first (not with this module), and an
    import statement in the function that calls them would cost a few microseconds a file
    (reuters-dev: 0.08 s)."""
    from .web import container_kind, looks_like_html

    return container_kind, looks_like_html


def _looks_like_html(text: str) -> bool:
    return _web_tests()[1](text)


_HTML_TAGS = (
    "html|head|body|title|meta|link|script|style|p|br|hr|div|span|pre|center|font|b|i|u|em|strong|"
    "h[1-6]|a|img|table|tr|td|th|tbody|thead|ul|ol|li|blockquote|section|article|header|footer|"
    "nav|aside|figure|figcaption|small|sup|sub|!doctype|noscript|iframe|form|input|button"
)
# a tag's attributes in 2,000 characters at most (long inline styles and data attributes fit),
# so a stray "<" in text never makes a tag of the pages after it, and a search stays linear
_TAG = re.compile(rf"</?(?:{_HTML_TAGS})\b[^<>]{{0,2000}}>", re.IGNORECASE)
# removed too once a text is known to carry HTML, but not counted as evidence that it does: these
# names (DD, DL, TIME, …) also occur as wire ticker marks such as Reuters' <DD>
_MORE_TAGS = (
    "option|optgroup|select|dd|dl|dt|label|textarea|main|time|abbr|cite|code|svg|path|picture|"
    "source|video|audio|caption|col|colgroup|tfoot|fieldset|legend|menu|mark|del|ins|s|q|wbr"
)
_ANY_TAG = re.compile(rf"</?(?:{_HTML_TAGS}|{_MORE_TAGS})\b[^<>]{{0,2000}}>", re.IGNORECASE)
_BLOCK = re.compile(
    r"</?(?:p|br|hr|div|pre|center|h[1-6]|tr|li|ul|ol|table|blockquote|section|article|header|footer|title|dd|dt|dl|option|main)\b[^<>]{0,2000}>",
    re.IGNORECASE,
)
_DROP_OPEN = re.compile(
    r"<(script|style|title|head|noscript|select|textarea|svg|template)\b[^<>]{0,2000}>",
    re.IGNORECASE,
)


def _drop_blocks(text: str) -> str:
    """Remove comments and script/style/title/head blocks with plain searches (linear time,
    whatever the input: no regex that can backtrack over a large unclosed block)."""
    out: list[str] = []
    pos = 0
    lower = text.lower()
    while True:
        c = lower.find("<!--", pos)
        m = _DROP_OPEN.search(text, pos)
        starts = [x for x in (c, m.start() if m else -1) if x >= 0]
        if not starts:
            break
        start = min(starts)
        out.append(text[pos:start])
        if start == c:
            end = lower.find("-->", c + 4)
            pos = len(text) if end < 0 else end + 3
        else:
            assert m is not None
            tag = m.group(1).lower()
            close = lower.find(f"</{tag}", m.end())
            body = lower.find("<body", m.end()) if tag == "head" else -1
            if body >= 0 and (close < 0 or body < close):
                # an unclosed <head> ends where the body starts: a later <HEAD>…</HEAD> must
                # not swallow the article in between
                pos = body
            elif close < 0:
                pos = m.end()  # unclosed: drop the tag only
            else:
                gt = lower.find(">", close)
                pos = len(text) if gt < 0 else gt + 1
            out.append("\n")
    out.append(text[pos:])
    return "".join(out)


#: how far into a text its tags are counted to tell HTML leftovers from wire marks: the first
#: screens of a page carry its structure; counting further would only cost time on long files
_MARKUP_SNIFF = 20000
_PAGE_TAG = re.compile(r"<(html|body|p|br)\b", re.IGNORECASE)


def strip_markup(text: str) -> tuple[str, bool]:
    """Remove HTML leftovers if the text has them. Returns ``(text, removed_anything)``.

    Only known HTML tag names are removed, and only when at least two appear (or the page
    structure does), so wire conventions such as Reuters' ``<DAL>`` ticker marks stay (one
    tag-like mark is a ticker or a quoted tag; two known tags are markup).
    """
    if "<" in text:  # without one there is no tag to count or to remove
        hits = len(_TAG.findall(text, 0, _MARKUP_SNIFF))
        markup = hits >= 2 or _PAGE_TAG.search(text, 0, _MARKUP_SNIFF) is not None
    else:
        markup = False
    if not markup:
        return (html.unescape(text) if "&" in text else text), False
    text = _drop_blocks(text)
    text = _BLOCK.sub("\n", text)
    text = _ANY_TAG.sub("", text)
    return html.unescape(text), True


# ---------------------------------------------------------------------------------------------
# paragraphs

# a rule line: five or more of these marks alone on a line (fewer is an ellipsis or a dash)
_RULE = re.compile(r"^\s*[-=_*~#+.]{5,}\s*$")
# lines that are a header of their own: wire timestamps, slug lines
_STANDALONE = re.compile(
    r"^\s*(?:\d{1,2}-[A-Za-z]{3}-\d{4}\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?[A-Z]{0,3}"
    r"|\d{1,2}:\d{2}\s+\d{1,2}/\d{1,2}/\d{2,4}:?\s+Page\s+\d+.*)\s*$"
)


#: a rule line starts with one of these (after white space); other lines skip the pattern
_RULE_CHARS = frozenset("-=_*~#+.")


def to_paragraphs(text: str) -> list[str]:
    """Cut text into paragraphs, joining hard-wrapped lines.

    A paragraph ends at a blank line, a line ending in ``<`` (PA's end-of-paragraph mark), a
    rule line, or, in hard-wrapped text, a line much shorter than the wrap width or a next line
    that is indented. Text whose lines are long (one paragraph per line) keeps each line.
    """
    if "\t" in text:
        text = text.replace("\t", " ")
    lines = list(map(str.rstrip, text.split("\n")))  # a blank line is empty
    lengths = sorted(map(len, filter(None, lines)))
    if not lengths:
        return []
    # the wrap width: the 90th percentile of line lengths (headers and short last lines of
    # paragraphs below it, a few overlong lines above it)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    # hard-wrapped: lines of at most 100 characters (wider is one paragraph a line), at least
    # three of them, and two in five of them filled to three quarters of the width or more
    full = len(lengths) - bisect.bisect_left(lengths, 0.75 * width)
    wrapped = width <= 100 and len(lengths) >= 3 and full >= 0.4 * len(lengths)
    if not wrapped:
        return _line_paragraphs(lines)
    # a line shorter than this ends its paragraph in hard-wrapped text (the last line of a
    # paragraph; a wrapped line is rarely cut below three fifths of the width)
    short = 0.6 * width
    paragraphs: list[str] = []
    current: list[str] = []  # the lines of the paragraph being read, stripped
    for line in lines:
        if not line:
            if current:
                _flush(current, paragraphs)
                current = []
            continue
        stripped = line.lstrip() if line[0].isspace() else line
        # a line indented by two spaces or more starts a paragraph
        if current and line[0] == " " and len(line) - len(stripped) >= 2:
            _flush(current, paragraphs)
            current = []
        first = stripped[0]
        if first in _RULE_CHARS and _RULE.match(line):
            if current:
                _flush(current, paragraphs)
                current = []
            continue
        if first.isdigit() and _STANDALONE.match(line):  # both its forms open with a digit
            if current:
                _flush(current, paragraphs)
            paragraphs.append(" ".join(stripped.split()))
            current = []
            continue
        if line[-1] == "<":
            current.append(line[:-1].strip())
            _flush(current, paragraphs)
            current = []
        elif len(line) < short:
            current.append(stripped)
            _flush(current, paragraphs)
            current = []
        else:
            current.append(stripped)
    if current:
        _flush(current, paragraphs)
    return paragraphs


def _flush(lines: list[str], paragraphs: list[str]) -> None:
    """The lines of one paragraph joined, white space runs as one space (none if it is empty)."""
    para = " ".join(" ".join(lines).split())
    if para:
        paragraphs.append(para)


def _line_paragraphs(lines: list[str]) -> list[str]:
    """A paragraph a line (text that is not hard-wrapped): rule lines dropped, PA's ``<``
    mark taken off (but a timestamp's or slug's), white space runs as one space."""
    paragraphs: list[str] = []
    for line in lines:
        if not line:
            continue
        first = line.lstrip()[0]
        if first in _RULE_CHARS and _RULE.match(line):
            continue
        if line[-1] == "<" and not (first.isdigit() and _STANDALONE.match(line)):
            line = line[:-1]  # a header line of its own keeps it
        para = " ".join(line.split())
        if para:
            paragraphs.append(para)
    return paragraphs


def ingest(paths: Iterable[str], settings: Settings) -> tuple[list[Document], list[Skipped]]:
    """Discover and read every input. Returns the documents and the skipped inputs, both sorted."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for item in discover(paths, settings):
        if isinstance(item, PassedOver):
            continue
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        try:
            docs.append(read_document(item, settings))
        except InputError as exc:
            skipped.append(Skipped(exc.path, exc.reason))
    return docs, skipped
