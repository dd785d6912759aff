"""Extraction quality on the saved web pages of ../shared/data/web-dev.

    python benchmarks/web_quality.py [WEB_DEV_FOLDER]

Reads ``pages/`` with newsdedup (the same path as ``newsdedup inspect``) and checks, per page,
the snippets of ``expected.json`` against the article text newsdedup keeps (headline, a dateline taken from the lead, and body):
``with`` snippets must be there, ``without`` snippets must not. White space is compared
collapsed (a snippet's line break is a space in a paragraph). Prints the two percentages.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from newsdedup.pipeline import load
from newsdedup.settings import Settings


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


SITES = Path(__file__).resolve().parent.parent / "tests/data/web_dev_sites.tsv"


def name_key(name: str) -> str:
    """A name as the judging rule of tests/data/web_dev_sites.tsv compares it: case,
    punctuation and a leading "The" ignored."""
    return re.sub(r"[\W_]+", "", re.sub(r"^the\s+", "", name.strip(), flags=re.I).lower())


def accepted_sites(path: Path = SITES) -> dict[str, set[str]]:
    """Page name -> the outlet names judged right for it."""
    out: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, names = line.split("\t")
        out[name] = {name_key(n) for n in names.split(" ; ")}
    return out


#: what no headline or text line may hold: a tag or declaration, an extractor's escaped pipe,
#: a headline of separators only
_RAW_TAG = re.compile(r"<[!?/]|<[A-Za-z][\w:-]{0,30}(?:\s[^<>]{0,200})?>")


def measure(root: Path, jobs: int = 1) -> dict[str, Any]:
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    corpus = load([str(root / "pages")], Settings(jobs=jobs))
    texts: dict[str, str] = {}
    sites = accepted_sites()
    outlet_right = 0
    bad_headlines: list[str] = []
    escapes = 0
    sources: set[str] = set()
    for art in corpus.articles:
        name = art.doc.rel.replace("\\", "/").rsplit("/", 1)[-1]
        outlet_right += name_key(art.outlet.value or "") in sites.get(name, set())
        head = art.headline.value or ""
        if _RAW_TAG.search(head) or "\\|" in head or not re.search(r"\w", head):
            bad_headlines.append(f"{name}: {head!r}")
        escapes += sum("\\|" in p or _RAW_TAG.search(p) is not None for p in art.body)
        sources.update(
            f.source for f in (art.headline, art.outlet, art.byline, art.date) if f.source
        )
        # a dateline newsdedup moved from the lead into its own field is still extracted text
        lead = [art.dateline.evidence] if art.dateline.source == "dateline" else []
        texts[name] = _flat("\n".join([art.headline.value or "", *lead, *art.body]))
    found = total_with = present = total_without = 0
    for name, exp in expected.items():
        text = texts.get(name, "")
        for snippet in exp.get("with", []):
            total_with += 1
            found += _flat(snippet) in text
        for snippet in exp.get("without", []):
            total_without += 1
            present += _flat(snippet) in text
    return {
        "pages": len(expected),
        "read": len(texts),
        "skipped": len(corpus.skipped),
        "with_found": found,
        "with_total": total_with,
        "without_present": present,
        "without_total": total_without,
        "with_pct": 100.0 * found / max(1, total_with),
        "without_pct": 100.0 * present / max(1, total_without),
        "outlet_right": outlet_right,
        "outlet_pct": 100.0 * outlet_right / max(1, len(texts)),
        "bad_headlines": len(bad_headlines),
        "bad_headline_list": bad_headlines,
        "tag_or_escape_lines": escapes,
        "sources": sources,
    }


def main() -> None:
    default = Path(__file__).resolve().parent.parent.parent / "shared/data/web-dev"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    start = time.perf_counter()
    m = measure(root)
    took = time.perf_counter() - start
    print(
        f"web-dev: {m['read']}/{m['pages']} pages read; with {m['with_found']}/{m['with_total']}"
        f" = {m['with_pct']:.1f}% found; without {m['without_present']}/{m['without_total']}"
        f" = {m['without_pct']:.1f}% present; outlet right {m['outlet_right']}/{m['read']}"
        f" = {m['outlet_pct']:.1f}%; headlines with markup, escapes or no words:"
        f" {m['bad_headlines']}; text lines with a tag or escape: {m['tag_or_escape_lines']};"
        f" {took:.1f} s ({m['read'] / took:.0f} pages/s)"
    )


if __name__ == "__main__":
    main()
