"""Rows of link labels: a menu, a breadcrumb, a footer's links (``Home | News | Browse``).

A leaf module (plain ``re``): normalising (headlines, leads) and the feature builder (passages)
both ask it, and neither imports the other for it.
"""

from __future__ import annotations

import re

# a separator between link labels: a bar, a bullet or a guillemet anywhere, a slash or a dash
# between spaces
_LABEL_SEP = re.compile(r"\s*[|•·»«›‹]\s*|\s+[/–—-]\s+")
_LABEL_HINT = re.compile(r"[|•·»«›‹]|\s[/–—-]\s")
#: link labels are short: four words ("News Archives", "Terms of use", "Contact the editors")
LABEL_MAX_WORDS = 4
_LABEL_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")  # a word, as normalise counts them


def label_run(text: str, max_words: int = LABEL_MAX_WORDS) -> bool:
    """Is ``text`` a row of link labels or separators (a menu, a breadcrumb, a footer's links:
    ``Home | News Archives | Browse | Feedback``), with no sentence in it? Three pieces at
    least (two could be a headline's kicker), none longer than a label."""
    if text.isascii() and "|" not in text and " - " not in text and " / " not in text:
        return False  # most sentences: no mark at all, found without a pattern
    first = _LABEL_HINT.search(text)
    if first is None or _LABEL_HINT.search(text, first.end()) is None:
        return False
    pieces = [p for p in _LABEL_SEP.split(text.strip()) if p.strip()]
    return all(
        len(_LABEL_WORD.findall(p)) <= max_words and p.rstrip()[-1:] not in ".!?" for p in pieces
    )
