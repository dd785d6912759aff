"""Stage 7: printers. The library hands them results; they write to a text stream.

* :mod:`.records` — one typed record schema per command (``inspect``, ``clusters``, ``pairs``,
  ``timeline``): the contract of the machine formats, documented in the README under
  :data:`SCHEMA_VERSION`;
* :mod:`.writers` — one writer per machine format (json, jsonl, csv, tsv), chosen in one place;
* :mod:`.text` — the human formats: ``inspect`` and ``clusters`` text, and the timeline's text,
  markdown and rich printers, which share one layout (:func:`.text.layout`);
* :mod:`.html` — the self-contained HTML report (a Jinja2 template, autoescaped);
* :mod:`.safe` — what makes article text safe for a terminal, a spreadsheet or markdown.

Importing this package is cheap: jinja2 and rich are imported only by the printers that use them.
"""

from __future__ import annotations

#: the version of the machine formats' record schemas (README "Output formats"); the state's
#: own store format is versioned apart (``newsdedup.state.SCHEMA_VERSION``)
SCHEMA_VERSION = 2

__all__ = ["SCHEMA_VERSION"]
