"""Stage 4: candidate pairs from MinHash LSH over three signatures, verified by exact scores.

* :mod:`~newsdedup.match.lsh`: banding and bucket pairs;
* :mod:`~newsdedup.match.indexes`: the candidate indexes (duplicates, documents, terms,
  passages), each returning pair codes;
* :mod:`~newsdedup.match.measures`: exact and estimated measures of many pairs;
* :mod:`~newsdedup.match.rules`: the one rule book (bulk pre-filter and per-pair verify);
* :mod:`~newsdedup.match.wire`: slug and flash links;
* :mod:`~newsdedup.match.run`: ``prepare``, ``rule_links``, ``find_links``.
"""

from __future__ import annotations

from .link import Link, day_number, hours
from .lsh import UNDATED, lsh_params
from .measures import pair_cosines, set_jaccard_csr
from .rules import headline_slots, headlines_agree, headlines_agree_bulk, verify, with_specifics
from .run import MatchRun, check_pairs, find_links, prepare, rule_links
from .wire import flash_links, slug_key, slug_links

__all__ = [
    "UNDATED",
    "Link",
    "MatchRun",
    "check_pairs",
    "day_number",
    "find_links",
    "flash_links",
    "headline_slots",
    "headlines_agree",
    "headlines_agree_bulk",
    "hours",
    "lsh_params",
    "pair_cosines",
    "prepare",
    "rule_links",
    "set_jaccard_csr",
    "slug_key",
    "slug_links",
    "verify",
    "with_specifics",
]
