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

from newsdedup.pipeline import load
from newsdedup.settings import Settings


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def measure(root: Path, jobs: int = 1) -> dict[str, float | int]:
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    corpus = load([str(root / "pages")], Settings(jobs=jobs))
    texts: dict[str, str] = {}
    for art in corpus.articles:
        name = art.doc.rel.replace("\\", "/").rsplit("/", 1)[-1]
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
        f" = {m['without_pct']:.1f}% present; {took:.1f} s"
    )


if __name__ == "__main__":
    main()
