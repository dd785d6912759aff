"""Stage 4: candidate pairs from MinHash LSH over three signatures, verified by exact scores.

Candidates never come from comparing all pairs: each signature has its own LSH index (datasketch
MinHash signatures, banded with datasketch's optimal (bands, rows) for the threshold, bucketed
with one numpy sort per band), and only the pairs some index returns are scored exactly.
Every link has a kind and a score:

* ``reprint``: the word-shingle sets nearly contain one another (verbatim or lightly edited);
* ``shared passages``: at least two sentences have a near-identical counterpart (one famous
  quote is not enough), with some agreement of terms besides;
* ``same facts``: the TF-IDF cosine of the articles' terms reaches the threshold.

Articles whose dates are more than ``window_days`` apart link only as near-identical texts, so
recurring template stories on different days stay apart.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .model import Article
from .settings import Settings
from .sketch import (
    PASSAGE_PERM,
    Features,
    Permutations,
    build_features,
    cosine,
    jaccard_containment,
    term_hashes,
    weigh_terms,
)

REPRINT_CONTAINMENT = 0.8
APPROX_MARGIN = 0.25  # estimated Jaccard this far below a reprint's need skips the exact check
NEAR_IDENTICAL = 0.9
PASSAGE_THRESHOLD = 0.5
PASSAGE_MAX_DOCS = 25  # a sentence in more articles than this is a stock phrase, not evidence
PASSAGE_MIN_COSINE = 0.08
PASSAGE_MAX_HITS = 4 * PASSAGE_MAX_DOCS
TERMS_MAX_BUCKET = 1000  # a term sampled by more articles than this names no subject
DOC_LSH_THRESHOLD = 0.3
TERMS_SIG_K = 10  # the signature indexes this many of an article's most distinctive terms
HOP_MAX_DEGREE = 60
SLUG_SCORE = 0.8
SAME_SOURCE_HOURS = 20  # one source's items this far apart on different days are different items
SLUG_MAX_GROUP = 100
MIN_SHARED_TERMS = 1  # same facts: at least this many distinctive terms in common
# One row per band: a pair collides in a band when the band's minimum term is the same in both
# sets (probability = their Jaccard). Two ten-term sets sharing one term (J = 1/19) meet in 64
# bands with probability 1 - (18/19)**64 ≈ 97%; 128 bands add little at twice the index memory.
TERMS_PERM = 64
TERMS_LSH_PARAMS = (64, 1)


@dataclass(frozen=True)
class Link:
    """Evidence that articles ``a`` and ``b`` (indices, a < b) tell the same story."""

    a: int
    b: int
    kind: str
    score: float
    jaccard: float
    containment: float
    passages: int
    cosine: float

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "score": round(self.score, 4),
            "jaccard": round(self.jaccard, 4),
            "containment": round(self.containment, 4),
            "shared_passages": self.passages,
            "cosine": round(self.cosine, 4),
        }


def hours(art: Article) -> float | None:
    """The article's time as hours since 0001-01-01 if its date has a time, else None."""
    v = art.date.value
    if not v or len(v) < 16 or v[10] != "T":
        return None
    try:
        h, m = int(v[11:13]), int(v[14:16])
        return dt.date.fromisoformat(v[:10]).toordinal() * 24 + h + m / 60
    except ValueError:
        return None


def day_number(art: Article) -> int | None:
    v = art.date.value
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v[:10]).toordinal()
    except ValueError:
        return None


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's choice of (bands, rows) for a Jaccard threshold (equal FP/FN weights)."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_buckets(
    sigs: np.ndarray, bands: int, rows: int, valid: np.ndarray | None = None
) -> list[np.ndarray]:
    """LSH banding, vectorised: for each band, the groups (≥ 2 members, sorted) of rows whose
    band values are all equal. It is MinHashLSH's bucketing done with one sort per band instead
    of a Python call per item and band; rows not ``valid`` (empty sets) are left out."""
    ids = np.arange(len(sigs)) if valid is None else np.flatnonzero(valid)
    out: list[np.ndarray] = []
    if len(ids) < 2:
        return out
    sub = sigs[ids].astype(np.uint64)
    for band in range(bands):
        key = np.zeros(len(ids), dtype=np.uint64)
        for col in range(band * rows, (band + 1) * rows):
            key = (key ^ sub[:, col]) * _BAND_MIX
            key ^= key >> np.uint64(31)
        order = np.argsort(key, kind="stable")
        sk = key[order]
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        sizes = np.diff(np.r_[starts, len(sk)])
        for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            out.append(np.sort(ids[order[start : start + size]]))
    return out


def bucket_pairs(buckets: list[np.ndarray], max_size: int | None = None) -> set[tuple[int, int]]:
    """Every pair (i < j) sharing a bucket; buckets over ``max_size`` are skipped."""
    pairs: set[tuple[int, int]] = set()
    for members in buckets:
        if max_size is not None and len(members) > max_size:
            continue
        m = members.tolist()
        for x in range(len(m)):
            for y in range(x + 1, len(m)):
                pairs.add((m[x], m[y]))
    return pairs


def _passage_matches(feats: list[Features], seed: int) -> dict[tuple[int, int], int]:
    """For each pair of articles, how many sentences they share: banded LSH at Jaccard ≈ 0.5
    over sentence 3-shingles, every candidate verified exactly."""
    owners: list[tuple[int, int]] = []
    sets: list[np.ndarray] = []
    for d, f in enumerate(feats):
        for k, p in enumerate(f.passages):
            owners.append((d, k))
            sets.append(p)
    if not sets:
        return {}
    perms = Permutations(PASSAGE_PERM, seed + 1)
    sigs = perms.signatures(sets)
    doc_of = np.fromiter((o[0] for o in owners), dtype=np.int64, count=len(owners))
    buckets = []
    for members in band_buckets(sigs, *lsh_params(PASSAGE_THRESHOLD, PASSAGE_PERM)):
        # a sentence in many articles is a stock phrase (or a flood of copies): no evidence
        if len(members) > PASSAGE_MAX_HITS or len(np.unique(doc_of[members])) > PASSAGE_MAX_DOCS:
            continue
        buckets.append(members)
    matched: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    for x, y in sorted(bucket_pairs(buckets)):
        (d, k), (e, k2) = owners[x], owners[y]
        if d == e:
            continue
        a, b = sets[x], sets[y]
        inter = len(np.intersect1d(a, b, assume_unique=True))
        if inter / (len(a) + len(b) - inter) < PASSAGE_THRESHOLD:
            continue  # LSH false positive
        left, right = matched.setdefault((d, e) if d < e else (e, d), (set(), set()))
        left.add(k if d < e else k2)
        right.add(k2 if d < e else k)
    # sentences of each side that have a counterpart; the smaller count is the evidence
    return {key: min(len(lt), len(rt)) for key, (lt, rt) in matched.items()}


def find_links(
    articles: list[Article],
    settings: Settings,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Link]:
    """All verified links between the articles, sorted by (a, b)."""
    feats = build_features(articles, settings.shingle_size, progress, settings.jobs)
    days = [day_number(a) for a in articles]
    weigh_terms(feats, days)
    perms = Permutations(settings.num_perm, settings.seed)
    candidates: set[tuple[int, int]] = set()
    # exact duplicates by content: no need for LSH to find them
    by_body: dict[bytes, list[int]] = defaultdict(list)
    for i, f in enumerate(feats):
        if len(f.shingles):
            by_body[f.shingles.tobytes()].append(i)
    for group in by_body.values():
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                candidates.add((group[x], group[y]))
    has_text = np.fromiter((len(f.shingles) > 0 for f in feats), dtype=bool, count=len(feats))
    doc_sigs = perms.signatures([f.shingles for f in feats])
    doc_params = lsh_params(DOC_LSH_THRESHOLD, perms.num_perm)
    candidates |= bucket_pairs(band_buckets(doc_sigs, *doc_params, has_text))
    term_sets = [term_hashes(f.top_terms[:TERMS_SIG_K]) for f in feats]
    has_terms = np.fromiter((len(t) > 0 for t in term_sets), dtype=bool, count=len(term_sets))
    term_perms = Permutations(TERMS_PERM, settings.seed + 2)
    term_buckets = band_buckets(term_perms.signatures(term_sets), *TERMS_LSH_PARAMS, has_terms)
    candidates |= bucket_pairs(term_buckets, TERMS_MAX_BUCKET)
    passages = _passage_matches(feats, settings.seed)
    candidates |= set(passages)
    found: dict[tuple[int, int], Link] = {}

    sources = [art.outlet.value or art.agency.value for art in articles]
    clock = [hours(art) for art in articles]

    def check(pairs: set[tuple[int, int]]) -> None:
        ordered = sorted(pairs)
        approx = _approx_jaccard(doc_sigs, ordered)
        for n, (a, b) in enumerate(ordered):
            if progress is not None and n % 1024 == 0:
                progress("verify", n, len(pairs))
            da, db = days[a], days[b]
            gap = None if da is None or db is None else abs(da - db)
            same_source = sources[a] is not None and sources[a] == sources[b]
            if same_source and gap:
                # one source on two days: a new item, unless hours apart across midnight
                ha, hb = clock[a], clock[b]
                same_source = ha is None or hb is None or abs(ha - hb) >= SAME_SOURCE_HOURS
            shared = passages.get((a, b), 0)
            link = verify(
                a, b, feats[a], feats[b], shared, gap, same_source, settings, float(approx[n])
            )
            if link is not None:
                found[(a, b)] = link

    check(candidates)
    for key, link in slug_links(articles, days, settings).items():
        if key not in found or found[key].score < link.score:
            found[key] = link
    # two hops: articles that both link to a third are candidates too (bounded by degree²)
    adj: dict[int, list[int]] = defaultdict(list)
    for a, b in found:
        adj[a].append(b)
        adj[b].append(a)
    hops: set[tuple[int, int]] = set()
    for nbrs in adj.values():
        if len(nbrs) > HOP_MAX_DEGREE:
            continue
        for x in nbrs:
            for y in nbrs:
                if x < y and (x, y) not in candidates:
                    hops.add((x, y))
    check(hops)
    return [found[k] for k in sorted(found)]


_SLUG_VERSIONS = frozenset(
    [
        "substitute",
        "sub",
        "correction",
        "correct",
        "corrected",
        "corrects",
        "update",
        "updated",
        "updates",
        "urgent",
        "advisory",
        "nightlead",
        "lead",
        "newlead",
        "writethru",
        "background",
        "bgd",
        "q",
        "adds",
        "add",
        "insert",
        "repeat",
        "repeats",
        "refile",
        "recasts",
        "wrap",
        "glance",
    ]
)


def slug_key(slug: str) -> str | None:
    """The story part of a wire slug: desk and keyword, without version words
    (``COURTS Care Substitute`` → ``courts care``)."""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", slug.lower()) if w not in _SLUG_VERSIONS]
    if not words:
        return None
    return " ".join(words[:2])


def slug_links(
    articles: list[Article], days: list[int | None], settings: Settings
) -> dict[tuple[int, int], Link]:
    """Pages, substitutes and follow-ups of one wire story share its slug on the same day."""
    groups: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for i, art in enumerate(articles):
        if art.slug.value and days[i] is not None:
            key = slug_key(art.slug.value)
            source = art.outlet.value or art.agency.value or ""
            if key:
                groups[(source, key, days[i] // max(1, settings.window_days + 1))].append(i)
    out: dict[tuple[int, int], Link] = {}
    for members in groups.values():
        if len(members) > SLUG_MAX_GROUP:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                out[(a, b)] = Link(a, b, "same slug", SLUG_SCORE, 0.0, 0.0, 0, 0.0)
    return out


def _approx_jaccard(sigs: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Estimated Jaccard of each pair: the share of equal MinHash values (vectorised)."""
    out = np.empty(len(pairs), dtype=np.float32)
    for lo in range(0, len(pairs), 65536):
        chunk = np.asarray(pairs[lo : lo + 65536], dtype=np.int64).reshape(-1, 2)
        out[lo : lo + len(chunk)] = (sigs[chunk[:, 0]] == sigs[chunk[:, 1]]).mean(axis=1)
    return out


def _shares_distinctive(fa: Features, fb: Features) -> bool:
    """At least one of each article's most distinctive terms is among the other's."""
    return len(set(fa.top_terms) & set(fb.top_terms)) >= MIN_SHARED_TERMS


def verify(
    a: int, b: int, fa: Features, fb: Features, shared: int,
    gap_days: int | None, same_source: bool, settings: Settings,
    approx: float | None = None,
) -> Link | None:  # fmt: skip
    """Score one candidate pair exactly and decide whether (and how) it links.

    Articles dated further apart than the window link only when near-identical; so do two
    articles of one source on different days (a source does not rewrite its own story the next
    day: that is a follow-up, or a recurring template item).

    ``approx`` is the pair's Jaccard estimated from the MinHash signatures. It only spares the
    exact shingle intersection where the estimate is far (``APPROX_MARGIN``, over five standard
    errors at 128 permutations) below what a reprint needs; every link is scored exactly."""
    la, lb = len(fa.shingles), len(fb.shingles)
    far = gap_days is not None and (
        gap_days > settings.window_days or (same_source and gap_days > 0)
    )
    if far:
        if approx is not None and approx < NEAR_IDENTICAL - APPROX_MARGIN:
            return None
        jac, cont = jaccard_containment(fa.shingles, fb.shingles)
        if jac >= NEAR_IDENTICAL:
            return Link(a, b, "reprint", jac, jac, cont, shared, cosine(fa.terms, fb.terms))
        return None
    exact: tuple[float, float] | None = None
    small, large = min(la, lb), max(la, lb)
    if small >= 3:
        # containment ≥ c of the smaller set means Jaccard ≥ c·m / ((1 - c)·m + M)
        need = REPRINT_CONTAINMENT * small / ((1 - REPRINT_CONTAINMENT) * small + large)
        if approx is None or approx >= need - APPROX_MARGIN:
            exact = jaccard_containment(fa.shingles, fb.shingles)
            if exact[1] >= REPRINT_CONTAINMENT:
                jac, cont = exact
                return Link(a, b, "reprint", cont, jac, cont, shared, cosine(fa.terms, fb.terms))
    if shared >= 2:
        cos = cosine(fa.terms, fb.terms)
        if cos >= PASSAGE_MIN_COSINE:
            jac, cont = exact or jaccard_containment(fa.shingles, fb.shingles)
            few = max(1, min(len(fa.passages), len(fb.passages)))
            return Link(
                a, b, "shared passages", max(cos, min(1.0, shared / few)), jac, cont, shared, cos
            )
    if _shares_distinctive(fa, fb):
        cos = cosine(fa.terms, fb.terms)
        if cos >= settings.threshold:
            jac, cont = exact or jaccard_containment(fa.shingles, fb.shingles)
            return Link(a, b, "same facts", cos, jac, cont, shared, cos)
    return None
    if cont >= REPRINT_CONTAINMENT and min(len(fa.shingles), len(fb.shingles)) >= 3:
        return Link(a, b, "reprint", cont, jac, cont, shared, cos)
    if shared >= 2 and cos >= PASSAGE_MIN_COSINE:
        few = max(1, min(len(fa.passages), len(fb.passages)))
        return Link(
            a, b, "shared passages", max(cos, min(1.0, shared / few)), jac, cont, shared, cos
        )
    if cos >= settings.threshold and _shares_distinctive(fa, fb):
        return Link(a, b, "same facts", cos, jac, cont, shared, cos)
    return None
