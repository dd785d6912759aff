"""Quality gate for saved pages: pinned floors on ../shared/data/web-dev (102 real pages from
trafilatura's evaluation set). Lowering a floor is a visible act.

Measured when pinned (``python benchmarks/web_quality.py``, trafilatura 2.3.1, htmldate 1.11.0):
295/307 = 96.1% of the ``with`` snippets found, 14/303 = 4.6% of the ``without`` snippets present
in the text newsdedup keeps (headline, dateline, body); about 8 s for the 102 pages. Issue 24
(page metadata labels, one site per page): 96.1% / 3.6%, outlet right on 98.0%.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .conftest import ROOT

FLOOR_WITH_PCT = 96.0  # issue 24's target; measured 96.1
CEILING_WITHOUT_PCT = 4.0  # issue 24's target; measured 3.6 (4.6 before page metadata labels)
#: issue 24: the outlet judged right (tests/data/web_dev_sites.tsv states the judging rule);
#: measured 98.0 (100 of 102; the two pages that name their site nowhere get none)
FLOOR_OUTLET_PCT = 95.0


def _measure_module():
    spec = importlib.util.spec_from_file_location("web_quality", ROOT / "benchmarks/web_quality.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_web_dev_extraction_gate(data: Path) -> None:
    m = _measure_module().measure(data / "web-dev")
    print(f"web-dev with={m['with_pct']:.1f}% without={m['without_pct']:.1f}%")
    assert m["read"] == m["pages"] == 102 and m["skipped"] == 0
    assert m["with_pct"] >= FLOOR_WITH_PCT, m
    assert m["without_pct"] <= CEILING_WITHOUT_PCT, m
    print(f"web-dev outlet right {m['outlet_pct']:.1f}%")
    assert m["outlet_pct"] >= FLOOR_OUTLET_PCT, m
    # no raw tag, extractor escape or empty-separator headline, no tag or escape in the text
    assert m["bad_headlines"] == 0, m["bad_headline_list"]
    assert m["tag_or_escape_lines"] == 0, m
    # every field says where it came from in one of the documented sources
    from newsdedup import FieldSource

    assert m["sources"] <= {str(s) for s in FieldSource}, m["sources"]
