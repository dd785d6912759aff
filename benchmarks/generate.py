"""Build a benchmark corpus of N articles from real Reuters sentences, with a known duplicate
structure and the repetition rates of real wire copy.

Each story takes its sentences from ``reuters-dev`` (the pool), once each while the pool lasts;
after that, and for every sentence a story takes beyond it, a pool sentence is *rewritten*: its
names, figures and a share of its other words replaced by words drawn, by their frequency, from
the pool itself. So no sentence runs through dozens of unrelated stories (real wire copy does not
do that), while a small share of sentences is repeated verbatim in an unrelated story, as stock
phrases are. Then:

* some stories are run again: exact **reprints** (same body and headline, new timestamp),
  **edits** (a sentence dropped, a figure changed, same headline) and **rewrites** by another
  outlet (some sentences kept, others new, the outlet's own headline);
* some items are **template** items (dividend notices, results tables) about made-up companies:
  near-identical text, different stories.

Dates spread over eight weeks. The output is raw wire text (timestamp, headline, dateline, body,
sign-off), one folder per outlet, deterministic for a seed. The generator prints what it made
(each kind's share of the articles) and two repetition rates measured the same way on the
source and on the output: the share of articles whose headline another article has, and the
share of distinct sentences (8 words or more) found under more than one headline.

usage: python benchmarks/generate.py N OUT_DIR [--seed 7] [--source ../shared/data/reuters-dev]
       python benchmarks/generate.py --rates FOLDER...   (only measure the two rates)
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from newsdedup.sketch import sentences

OUTLETS = ["wire", "daily", "herald", "post", "courier"]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

#: a story is run again (reprint, edit or rewrite) this often: with the mix below (and 2
#: copies a story run again, on average) it gives about the source's shared-headline rate
#: (reuters-dev: 7% of articles share a headline with another, re-sends and templates included)
FOLLOWED = 0.03
#: how a story run again is run again (cumulative shares: reprint, edit, else rewrite)
REPRINT, EDIT = 0.35, 0.65
#: share of items that are template items (dividend notices, results tables): reuters-dev has
#: many of them; a tenth keeps them a visible part of the corpus without dominating it
TEMPLATE = 0.10
#: chance that a story's sentence is one used before in another story, verbatim (stock
#: phrases): with the sentences rewrites keep under their own headlines, about the source's
#: share of sentences found under two headlines (reuters-dev: 1.4%)
STOCK = 0.001
#: share of a rewritten sentence's common words (4 letters or more) swapped for others: enough
#: that two rewrites of one pool sentence share few 5-word runs, few enough to read as prose
SWAP = 0.3
#: sentences a story has (uniform): reuters-dev's stories run from a few lines to a page
SENTENCES = (4, 12)
#: the least words of a sentence counted by the sentence rate: shorter ones ("Shr 10 cts vs
#: nine cts.") repeat by nature and are not what makes stories look alike
RATE_WORDS = 8

_NUMBER = re.compile(r"^\d[\d,.]*$")
_NAME = re.compile(r"^[A-Z][A-Za-z.&'-]*$")
_WORD = re.compile(r"^[a-z]{4,}$")


@dataclass
class Pool:
    """Sentences of the source as token lists, and the words to rewrite them with."""

    sentences: list[list[str]]
    names: list[str]  # capitalised words, one entry per occurrence: drawn by frequency
    words: list[str]  # lower-case words of 4 letters or more, the same way
    used: list[str] = field(default_factory=list)  # sentences given out so far (verbatim text)


def _wire_body(lines: list[str]) -> str:
    body = " ".join(ln.strip() for ln in lines[2:] if ln.strip() and ln.strip() != "Reuter")
    return re.sub(r"^[A-Z][A-Z .,/]+, \w+ \d+ - ", "", body)


def load_pool(source: Path, limit: int = 200_000) -> Pool:
    out: list[list[str]] = []
    names: list[str] = []
    words: list[str] = []
    seen: set[str] = set()
    for name in sorted(os.listdir(source)):
        lines = (source / name).read_text(encoding="utf-8", errors="replace").splitlines()
        for s in sentences(_wire_body(lines)):
            toks = s.split()
            # each distinct sentence once: the source's own re-sends would repeat it
            if not 6 <= len(toks) <= 60 or s in seen:
                continue
            seen.add(s)
            out.append(toks)
            names.extend(t for t in toks[1:] if _NAME.match(t))
            words.extend(t for t in toks if _WORD.match(t))
        if len(out) >= limit:
            break
    return Pool(out, names, words)


def _rewrite(toks: list[str], pool: Pool, rng: random.Random) -> str:
    """A pool sentence with other names, figures and some other words: the same kind of
    sentence, not the same sentence."""
    out = [toks[0]]
    for t in toks[1:]:
        core = t.rstrip(".,;:")
        tail = t[len(core) :]
        if _NUMBER.match(core):
            core = str(rng.randint(2, 999))
        elif _NAME.match(core):
            core = rng.choice(pool.names).rstrip(".,;:")
        elif _WORD.match(core) and rng.random() < SWAP:
            core = rng.choice(pool.words)
        out.append(core + tail)
    return " ".join(out)


def _sentences(pool: Pool, order: Iterator[int], k: int, rng: random.Random) -> list[str]:
    """``k`` sentences for a new story: pool sentences while unused ones last, then rewrites;
    now and then a stock sentence another story had."""
    body: list[str] = []
    for _ in range(k):
        if pool.used and rng.random() < STOCK:
            body.append(rng.choice(pool.used))
            continue
        i = next(order, None)
        if i is None:
            text = _rewrite(rng.choice(pool.sentences), pool, rng)
        else:
            text = " ".join(pool.sentences[i])
        body.append(text)
        pool.used.append(text)
    return body


def _company(pool: Pool, rng: random.Random) -> str:
    """A made-up company name of two of the pool's names (two: so that two template items of
    one company are about as rare as a company's two notices in a few weeks of wire copy)."""
    first, second = (rng.choice(pool.names).rstrip(".,;:") for _ in range(2))
    return f"{first}{second.lower()} {rng.choice(['Inc', 'Corp', 'Co', 'Ltd'])}"


def _template(pool: Pool, rng: random.Random) -> tuple[str, list[str]]:
    """A template item: a dividend notice or a results table of a made-up company."""
    firm = _company(pool, rng)
    if rng.random() < 0.5:
        cts = rng.randint(2, 90)
        head = f"{firm.upper()} SETS QUARTERLY DIVIDEND"
        body = [
            f"Qtly div {cts} cts vs {cts if rng.random() < 0.7 else cts - 1} cts prior.",
            f"Pay {rng.choice(MONTHS).title()} {rng.randint(1, 28)}.",
            f"Record {rng.choice(MONTHS).title()} {rng.randint(1, 28)}.",
        ]
    else:
        head = f"{firm.upper()} {rng.choice(['1ST', '2ND', '3RD', '4TH'])} QTR NET"
        body = [
            f"Shr {rng.randint(2, 150)} cts vs {rng.randint(2, 150)} cts.",
            f"Net {rng.randint(100, 99_999):,} vs {rng.randint(100, 99_999):,}.",
            f"Revs {rng.randint(1, 900)}.{rng.randint(0, 9)} mln vs {rng.randint(1, 900)} mln.",
        ]
    return head, body


def _headline(body: list[str]) -> str:
    """Wire style: the first sentence's names, figures and longer words, in capitals (its
    first words would give many stories one headline: "THE COMPANY SAID IT HAD ...")."""
    toks = [t.strip(".,;:\"'()") for t in body[0].split()]
    keep = [t for t in toks if _NUMBER.match(t) or _NAME.match(t) or len(t) >= 5]
    return " ".join((keep or toks)[:7]).upper()


def write(folder: Path, n: int, when: dt.datetime, headline: str, body: list[str]) -> None:
    stamp = f"{when.day}-{MONTHS[when.month - 1]}-{when.year} {when:%H:%M:%S}.00"
    text = (
        f"{stamp}\n{headline}\n    NEW YORK, {when:%B} {when.day} - "
        + "\n    ".join(body)
        + "\n Reuter\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{n:07d}.txt").write_text(text, encoding="utf-8")


def generate(n: int, out: Path, seed: int, source: Path) -> collections.Counter[str]:
    """Write ``n`` articles to ``out``; return how many of each kind were made."""
    rng = random.Random(seed)
    pool = load_pool(source)
    order_list = list(range(len(pool.sentences)))
    rng.shuffle(order_list)
    order = iter(order_list)
    start = dt.datetime(1987, 2, 2, 6, 0)
    kinds: collections.Counter[str] = collections.Counter()
    made = 0
    while made < n:
        when = start + dt.timedelta(minutes=rng.randrange(8 * 7 * 24 * 60))
        if rng.random() < TEMPLATE:
            headline, body = _template(pool, rng)
            write(out / "wire", made, when, headline, body)
            kinds["template"] += 1
            made += 1
            continue
        body = _sentences(pool, order, rng.randint(*SENTENCES), rng)
        headline = _headline(body)
        write(out / "wire", made, when, headline, body)
        kinds["story"] += 1
        made += 1
        if rng.random() >= FOLLOWED:
            continue
        for _ in range(rng.randint(1, 3)):
            if made >= n:
                break
            kind = rng.random()
            later = when + dt.timedelta(minutes=rng.randint(5, 20 * 60))
            outlet, head = "wire", headline
            if kind < REPRINT:
                copy, what = list(body), "reprint"
            elif kind < EDIT:  # drop a sentence, change a figure
                copy = [s for s in body if rng.random() > 0.15] or body[:1]
                copy = [
                    re.sub(r"\d+", lambda m: str(int(m.group(0)) + rng.randint(1, 9)), s, count=1)
                    for s in copy
                ]
                what = "edit"
            else:  # another outlet's rewrite, under its own headline
                outlet = rng.choice(OUTLETS[1:])
                kept = [s for s in body if rng.random() < 0.5] or body[:2]
                copy = kept + _sentences(pool, order, rng.randint(1, 5), rng)
                head, what = _headline(rng.sample(copy, len(copy))), "rewrite"
            write(out / outlet, made, later, head, copy)
            kinds[what] += 1
            made += 1
    return kinds


def rates(folder: Path) -> tuple[int, float, float]:
    """(articles, share of articles whose headline another article has, share of distinct
    sentences of :data:`RATE_WORDS` words or more found under two headlines or more) of a
    folder of raw wire files."""
    heads: collections.Counter[str] = collections.Counter()
    under: dict[str, set[str]] = collections.defaultdict(set)
    n = 0
    for root, _, files in os.walk(folder):
        for name in files:
            lines = (Path(root) / name).read_text(encoding="utf-8", errors="replace").splitlines()
            if len(lines) < 3:
                continue
            n += 1
            head = lines[1].strip()
            heads[head] += 1
            for s in set(sentences(_wire_body(lines))):
                if len(s.split()) >= RATE_WORDS:
                    under[s].add(head)
    shared = sum(c for c in heads.values() if c > 1)
    spread = sum(1 for h in under.values() if len(h) > 1)
    return n, shared / max(n, 1), spread / max(len(under), 1)


def print_rates(name: str, folder: Path) -> None:
    n, head, sent = rates(folder)
    print(
        f"{name}: {n:,} articles; headline shared by another article {head:.1%}; "
        f"sentences under 2+ headlines {sent:.2%}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int)
    ap.add_argument("out", nargs="?", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--source",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared/data/reuters-dev",
    )
    ap.add_argument("--rates", nargs="+", type=Path, metavar="FOLDER")
    a = ap.parse_args()
    if a.rates:
        for folder in a.rates:
            print_rates(str(folder), folder)
        return
    if a.n is None or a.out is None:
        ap.error("N and OUT_DIR are needed (or --rates FOLDER)")
    kinds = generate(a.n, a.out, a.seed, a.source)
    total = sum(kinds.values())
    mix = ", ".join(f"{k} {kinds[k] / total:.1%}" for k in sorted(kinds))
    print(f"generated {total:,} articles in {a.out}: {mix}", flush=True)
    print_rates("  source", a.source)
    print_rates("  generated", a.out)


if __name__ == "__main__":
    main()
