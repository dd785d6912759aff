"""Every number that decides how articles are sketched, matched and clustered, in one frozen
object, each with the reason for its value and the measurement behind it where there is one.

The numbers of reading and normalising stay with the readers (they were explained there); the
story levels' thresholds are fitted (:mod:`newsdedup.levels_weights`). Where no measurement is
named, none was recorded when the number was chosen: the reason given is the one it was set
for. Memory bounds (pairs or articles a step) stay beside their loops: they change no output."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # -- sketch: passages, terms, specifics ------------------------------------------------
    #: a passage is a sentence of at least this many words: shorter ones ("He said so.") are
    #: shared by unrelated articles
    passage_min_tokens: int = 8
    #: passages are compared as sets of word 3-shingles (a sentence has a few dozen)
    passage_shingle: int = 3
    #: permutations of a passage's signature: a sentence's set is small, 32 values estimate its
    #: Jaccard near the 0.5 threshold well enough for banding, every candidate is checked exactly
    passage_perm: int = 32
    #: an article's most distinctive terms kept per article (the term index samples the first
    #: ``terms_sig_k`` of them)
    terms_k: int = 24
    #: a term in more than this share of the run's articles (at least 20) is the run's common
    #: vocabulary: it neither counts in the cosine nor serves as a distinctive term
    terms_max_df: float = 0.05
    #: a specific is in at most this many of the run's articles (the handful that report one
    #: event: a story rarely runs in more than four versions in a small run) …
    specific_min_df: int = 4
    #: … or this share of a larger run (1%: in 10,000 wire items, an event's names recur in a
    #: hundred follow-ups; a topic's words are in far more)
    specific_max_share: float = 0.01
    #: … and in under 1% of ordinary news articles (wordfreq): "Kilburn", "parliamentarian",
    #: "40,000", not "court", "tax" or "police"
    specific_max_bg: float = 0.01
    #: articles weighed a step: their per-term arrays (~150 terms an article, a dozen arrays)
    #: stay near 100 MB, whatever the size of the run
    weigh_block: int = 16_384

    # -- match: candidate indexes ------------------------------------------------------------
    #: the document LSH's Jaccard threshold over word shingles: low, so that re-edited copies
    #: (a reprint with a new lead, a cut version) are offered; every candidate is scored exactly
    doc_lsh_threshold: float = 0.3
    #: the term index signs each article's this many most distinctive terms
    terms_sig_k: int = 10
    #: a term sampled by more articles than this names no subject
    terms_max_bucket: int = 1000
    # One row per band: a pair collides in a band when the band's minimum term is the same in
    # both sets (probability = their Jaccard). Two ten-term sets sharing one term (J = 1/19)
    # meet in 64 bands with probability 1 - (18/19)**64 ≈ 97%; 128 bands add little at twice
    # the index memory.
    terms_perm: int = 64
    terms_lsh_bands: int = 64
    terms_lsh_rows: int = 1
    #: two sentences are one passage when their 3-shingles overlap by half (Jaccard): a light
    #: edit of a sentence (a word changed, a clause moved) stays above it, two different
    #: sentences about one event fall below; the passage LSH is banded for it
    passage_threshold: float = 0.5
    #: a sentence in more articles than this is a stock phrase, not evidence
    passage_max_docs: int = 25
    #: days beyond the window over which a sentence may recur and still be a story's own
    #: wording (a re-send the next day, a follow-up quoting it); more and it is a standing text
    stock_span_slack: int = 1
    #: articles that both link to a third are candidates (two hops) only while the third has at
    #: most this many links: the checks grow with its degree squared (a hub links everything)
    hop_max_degree: int = 60

    # -- match: the rules of a link ------------------------------------------------------------
    #: a reprint: the smaller shingle set is this much contained in the larger (verbatim or
    #: lightly edited copy; a re-led or cut version keeps most of its shingles)
    reprint_containment: float = 0.8
    #: estimated Jaccard this far below a reprint's need skips the exact check (over five
    #: standard errors of the MinHash estimate at 128 permutations)
    approx_margin: float = 0.25
    #: a reprint need not be smaller than this many shingles (fewer say nothing)
    reprint_min_shingles: int = 3
    #: near-identical texts (Jaccard): the only link across the date window or between one
    #: source's items of different days
    near_identical: float = 0.9
    #: shared passages also need this much term cosine (agreement of terms besides the quotes)
    passage_min_cosine: float = 0.08
    #: shared passages need at least this many shared sentences (one famous quote is not enough)
    passage_min_shared: int = 2
    #: same facts: at least this many distinctive terms in common
    min_shared_terms: int = 1
    #: two undated items of one source link as same facts only with this much more cosine and
    #: this many shared specifics (names and figures rare in the language and the run).
    #: Measured on reuters-2017 (half undated, one source): precision 0.33 -> 0.43 at recall
    #: 0.54 -> 0.51; no effect on METER, whose undated newspapers link across outlets.
    undated_same_source_margin: float = 0.04
    undated_same_source_specifics: int = 1
    #: one source's items this far apart (hours) on different days are different items
    same_source_hours: int = 20
    #: headline words rarer than this (chance that an ordinary news article has them) are its
    #: slots: names, tickers, figures, "qtly"; "sets", "dividend", "issues", "loses", "bill"
    #: and "says" are template. At 0.02 headline verbs counted as slots and split write-ups of
    #: one event (reuters-2017 recall 0.51 -> 0.35); at 0.001 template items slipped through.
    headline_slot_max_bg: float = 0.003
    #: a headline with fewer slots than this says too little to disagree with anything (two:
    #: "NUCOR RAISES QTLY" is too short to tell a company's second notice from a rival's)
    headline_min_slots: int = 3
    #: share of one headline's slots that must be exceeded in the other article (half: a
    #: re-led write-up keeps the actor and the figure, a template item of another company
    #: keeps neither)
    headline_slot_cover: float = 0.5
    #: shared specifics listed with a link (the rest add nothing to read)
    evidence_specifics: int = 12

    # -- match: wire rules ---------------------------------------------------------------------
    #: a same-slug link's score: below a reprint's, above the clustering's linkage
    slug_score: float = 0.8
    #: a slug shared by more items than this in one window is a desk's standing slug
    slug_max_group: int = 100
    #: a body of at most this many words is a flash's placeholder ("Blah blah blah.") or a
    #: one-line bulletin: it says too little to link by its text
    flash_max_tokens: int = 30
    #: … whose headline has at least this many terms to look for
    flash_min_words: int = 3
    #: the full story follows a flash within hours (minutes to a few hours in wire copy)
    flash_hours: float = 6.0
    #: share of the flash headline's terms the full story must have (every slot: name, figure)
    flash_cover: float = 0.6

    # -- cluster ---------------------------------------------------------------------------------
    #: share of links back a group taking in a smaller one needs (see back_span)
    support: float = 0.5
    #: a group taking in a smaller one must link back from at least SUPPORT of this many times
    #: the smaller group's size (of its own size if smaller): a single article joins a story of
    #: three only if two of them link to it. At 2, one weak link let a lone article into a big
    #: story (reuters-dev chains of 10-19 items); 3 keeps METER's rewrites (F1 0.9406 -> 0.9412)
    back_span: int = 3
    #: mean link score between two groups (missing links count 0)
    linkage: float = 0.05

    # -- pair evidence (story levels) -----------------------------------------------------------
    #: the lead is the first this many terms of the body: about the first two sentences of a
    #: news article, where a write-up of an event says what happened (a storyline's other
    #: pieces open on their own news and recall the event further down)
    lead_terms: int = 40
    #: gaps in days beyond this count as this: a story's versions are days apart at most, and
    #: storylines a week
    gap_cap: int = 7
    #: ranks beyond this count as this (a pair's place among an article's candidates by cosine)
    rank_cap: int = 20

    # -- merge -----------------------------------------------------------------------------------
    #: two sentences in a merged timeline are one passage when they keep a long stretch
    #: verbatim: 8 shared 3-shingles (a run of ten words) covering half of the shorter one (a
    #: wire sentence cut or extended by a newspaper); else by passage_threshold
    merge_min_shared: int = 8
    merge_containment: float = 0.5

    @property
    def passage_max_hits(self) -> int:
        """A passage bucket larger than this is a flood of one sentence: skipped whole."""
        return 4 * self.passage_max_docs

    @property
    def terms_lsh_params(self) -> tuple[int, int]:
        return self.terms_lsh_bands, self.terms_lsh_rows


TUNING = Tuning()
