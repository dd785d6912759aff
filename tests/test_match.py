"""Story detection: links, clustering without chaining, stable ids, order independence."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from newsdedup.cluster import cluster
from newsdedup.ingest import document_from_bytes
from newsdedup.match import Link, find_links, slug_key
from newsdedup.normalise import normalise
from newsdedup.pipeline import Corpus, find_stories_in, load
from newsdedup.render.records import pair_record
from newsdedup.settings import Settings


def _stories(paths: list[str], settings: Settings | None = None) -> dict[str, str]:
    s = settings or Settings()
    result = find_stories_in(load(paths, s), s)
    return {result.corpus.articles[m].path: st.id for st in result.stories for m in st.members}


def test_seed_pair_is_one_story(data: Path) -> None:
    s = Settings()
    result = find_stories_in(load([str(data / "seeds")], s), s)
    assert len(result.stories) == 1 and len(result.stories[0].members) == 2
    (link,) = result.links
    assert link.kind == "shared passages" and link.passages >= 2


def test_identical_reuters_bodies_share_a_story(data: Path) -> None:
    # 00032 and 00055 are one Reuters story sent twice (same body, new timestamp)
    files = [str(data / f"reuters-dev/{n}.txt") for n in ("00032", "00055", "00001")]
    st = _stories(files)
    assert st[files[0]] == st[files[1]] != st[files[2]]


def _article(text: str, name: str) -> bytes:
    return text.encode()


def test_template_stories_on_different_days_stay_apart() -> None:
    body = ("The Bank of England said it had provided the money market with {n} mln stg "
            "assistance in the afternoon session. This brings the bank's total help today to {n} mln stg "
            "and compares with its forecast of a shortage of around 400 mln stg.")  # fmt: skip
    docs = [
        document_from_bytes(f"{d}-MAR-1987 15:00:00.00\nU.K. MONEY MARKET GIVEN HELP\n    LONDON, March {d} - {body.format(n=n)}\n Reuter\n".encode(),
                            f"r{d}.txt", f"r{d}.txt")
        for d, n in ((2, 215), (9, 312), (16, 128))
    ]  # fmt: skip
    s = Settings()
    corpus = Corpus(normalise(docs, s))
    result = find_stories_in(corpus, s)
    assert len(result.stories) == 3


def test_bridge_article_does_not_chain_two_stories() -> None:
    """A~B and B~C with no A~C evidence: a lone bridge does not merge groups of stories."""
    arts = normalise(
        [
            document_from_bytes(f"Article number {i} text.\n".encode(), f"{i}.txt", f"{i}.txt")
            for i in range(7)
        ],
        Settings(),
    )

    def link(a: int, b: int, score: float) -> Link:
        return Link(a, b, "same facts", score, 0.0, 0.0, 0, score)

    # story X = {0,1,2} fully linked; story Y = {4,5,6} fully linked; 3 links to one of each
    links = [link(0, 1, .9), link(0, 2, .9), link(1, 2, .9), link(4, 5, .9), link(4, 6, .9), link(5, 6, .9),
             link(2, 3, .5), link(3, 4, .5)]  # fmt: skip
    stories = cluster(arts, links, Settings())
    groups = sorted(sorted(s.members) for s in stories)
    assert [0, 1, 2, 4, 5, 6] not in [sorted(g) for g in groups]
    assert not any({0, 4} <= set(g) for g in groups)


def test_cohesion_tells_a_tight_story_from_a_chain() -> None:
    """Issue 12: a story keeps a measure of how tightly its members hang together."""
    arts = normalise(
        [
            document_from_bytes(f"Article number {i} text.\n".encode(), f"{i}.txt", f"{i}.txt")
            for i in range(6)
        ],
        Settings(),
    )

    def link(a: int, b: int, score: float) -> Link:
        return Link(a, b, "same facts", score, 0.0, 0.0, 0, score)

    # {0,1,2} all linked at 0.9; {3,4,5} a chain 3~4~5 (no 3~5) at 0.9
    links = [link(0, 1, 0.9), link(0, 2, 0.9), link(1, 2, 0.9), link(3, 4, 0.9), link(4, 5, 0.9)]
    stories = {tuple(sorted(s.members)): s.cohesion for s in cluster(arts, links, Settings())}
    assert stories[(0, 1, 2)] == 0.9
    assert stories[(3, 4, 5)] == 0.6  # 1.8 over three pairs: the missing 3~5 counts 0
    single = normalise([document_from_bytes(b"Alone.\n", "x.txt", "x.txt")], Settings())
    assert cluster(single, [], Settings())[0].cohesion == 1.0


def test_story_ids_are_stable_and_ignore_unrelated_files(data: Path) -> None:
    seeds = [str(data / "seeds")]
    first = _stories(seeds)
    again = _stories(seeds)
    assert first == again
    more = _stories(
        [*seeds, str(data / "reuters-dev/00001.txt"), str(data / "reuters-dev/00500.txt")]
    )
    for path, sid in first.items():
        assert more[path] == sid


def test_stories_do_not_depend_on_input_order(data: Path) -> None:
    pa = sorted((data / "meter-dev/pa").iterdir())[:40]
    papers = sorted((data / "meter-dev/sun").iterdir())[:20]
    files = [str(p) for p in pa + papers]
    base = _stories(files)
    shuffled = files[:]
    random.Random(7).shuffle(shuffled)
    assert _stories(shuffled) == base


def test_slug_key_drops_version_words() -> None:
    assert slug_key("COURTS Care Substitute") == "courts care"
    assert slug_key("COURTS Care Nightlead") == "courts care"
    assert slug_key("SHOWBIZ Posh") == "showbiz posh"


def test_every_link_has_kind_and_score(data: Path) -> None:
    s = Settings()
    corpus = load([str(data / "meter-dev/pa")], s)
    links = find_links(corpus.articles[:80], s)
    assert links
    for ln in links:
        assert ln.kind in {"reprint", "shared passages", "same facts", "same slug"}
        assert 0.0 < ln.score <= 1.0 and ln.a < ln.b
        json.dumps(pair_record("a", "b", None, ln))


def _wire(day: int, time: str, body: str, folder: str = "wire") -> tuple[bytes, str]:
    text = f"{day}-MAR-1987 {time}\nFED ADDS RESERVES VIA CUSTOMER REPURCHASES\n    NEW YORK, March {day} - {body}\n Reuter\n"
    return text.encode(), f"{folder}/{day}-{time[:2]}.txt"


FED = (
    "The Federal Reserve entered the U.S. Government securities market to arrange {n} billion dlrs "
    "of customer repurchase agreements, a Fed spokesman said. Dealers said Federal funds were "
    "trading at {r} pct when the Fed began its temporary and indirect supply of reserves."
)


def test_one_source_on_consecutive_days_is_two_items() -> None:
    s = Settings()
    docs = [
        document_from_bytes(data, path, path)
        for data, path in (
            _wire(11, "11:45:40.56", FED.format(n="1.5", r="6-5/16")),
            _wire(12, "11:45:22.18", FED.format(n="2.0", r="6-1/8")),
        )
    ]
    result = find_stories_in(Corpus(normalise(docs, s)), s)
    assert len(result.stories) == 2


def test_overnight_resend_of_one_source_is_one_story() -> None:
    s = Settings()
    body = FED.format(n="1.5", r="6-5/16")
    docs = [
        document_from_bytes(data, path, path)
        for data, path in (
            _wire(11, "21:40:00.00", body),
            _wire(12, "07:10:00.00", body + " Dealers expect more."),
        )
    ]
    result = find_stories_in(Corpus(normalise(docs, s)), s)
    assert len(result.stories) == 1


def test_background_weights_do_not_depend_on_the_run_size() -> None:
    # issue 12: a name two articles share weighs about as much in a five-file run as in a large
    # one, and far more than an everyday word they happen to share
    from newsdedup.background import idf

    small_name, small_word = idf("kilburn", 2, 5), idf("article", 2, 5)
    large_name = idf("kilburn", 2, 10_000)
    assert small_name > 2 * small_word
    assert small_name > 0.6 * large_name
    # a word in a quarter of a large run (a topic word) weighs little whatever the language says
    assert idf("manafort", 2_500, 10_000) < 0.5 * idf("manafort", 2, 10_000)


def _bulletin(stamp: str, headline: str, body: str, name: str):
    raw = f"{stamp}\n{headline}\n{body}\n Reuter\n".encode()
    return document_from_bytes(raw, name, name)


def test_template_items_of_different_companies_are_different_stories() -> None:
    """Issue 12: identical notice bodies under headlines naming different companies."""
    body = "    NEW YORK, March 3 - Qtly div 12 cts vs 12 cts prior\n    Pay April 1\n    Record March 15"
    docs = [
        _bulletin(
            "3-MAR-1987 10:00:00.00", "KELLWOOD CORP <KWD> SETS QTLY DIVIDEND", body, "a.txt"
        ),
        _bulletin(
            "3-MAR-1987 10:05:00.00", "ZAPATA GULF MARINE <ZGM> SETS QTLY DIVIDEND", body, "b.txt"
        ),
    ]
    s = Settings()
    result = find_stories_in(Corpus(normalise(docs, s)), s)
    assert len(result.stories) == 2


def test_flash_joins_its_full_story_within_hours() -> None:
    """Issue 12: a headline with a placeholder body joins the full story sent hours later."""
    flash = _bulletin("27-MAR-1987 05:04:50.04", "Bank of France buying dollars for yen - banking sources",
                  "****** Bank of France buying dollars for yen - banking sources\nBlah blah blah.", "f.txt")  # fmt: skip
    full = _bulletin(
        "27-MAR-1987 07:30:29.12",
        "BANK OF FRANCE AGAIN BUYING DOLLARS, SOURCES SAY",
        "    PARIS, March 27 - The Bank of France intervened in the Paris foreign exchange market "
        "this morning for the third successive day, banking sources said. Like yesterday, it "
        "bought dollars and sold yen in small amounts, they said. One dealer said it was seen "
        "in the market twice in early trading, buying modest amounts of dollars.",
        "g.txt",
    )
    other = _bulletin(
        "27-MAR-1987 06:00:00.00",
        "BUNDESBANK LEAVES CREDIT POLICIES UNCHANGED",
        "    FRANKFURT, March 27 - The Bundesbank left its credit policies unchanged after its "
        "regular council meeting, a spokesman said, and no changes were expected soon by dealers "
        "who had watched the money market through the week with some care.",
        "h.txt",
    )
    s = Settings()
    result = find_stories_in(Corpus(normalise([flash, full, other], s)), s)
    arts = result.corpus.articles
    groups = sorted(sorted(arts[m].path for m in st.members) for st in result.stories)
    assert groups == [["f.txt", "g.txt"], ["h.txt"]]
    kinds = {ln.kind for ln in result.links}
    assert "flash" in kinds


def test_background_lookups_one_by_one_equal_the_whole_list() -> None:
    """Small runs look words up one at a time, large ones load wordfreq's whole list: the same
    frequencies either way, so the output does not depend on which path a run took."""
    import wordfreq

    from newsdedup import background

    words = [*list(wordfreq.get_frequency_dict("en", "best"))[::211][:1500], "kilburn", "trump's",
             "40,000", "2017", "zzzqx"]  # fmt: skip
    one = [background.WordModel(0).frequency(w) for w in words]
    bulk = [background.WordModel(background.BULK_LOAD_TERMS).frequency(w) for w in words]
    assert not background.WordModel(0).bulk and background.WordModel(10**6).bulk
    assert one == bulk
    # and many at once (a run's vocabulary) gives the same floats, bit for bit
    for model in (background.WordModel(0), background.WordModel(background.BULK_LOAD_TERMS)):
        assert model.frequencies(words).tolist() == one
        dfs = np.arange(len(words)) % 7
        single = background.WordModel(model.bulk * background.BULK_LOAD_TERMS)
        assert model.dfs(words).tolist() == [single.df(w) for w in words]
        assert model.idfs(words, dfs, 50).tolist() == [
            single.idf(w, d, 50) for w, d in zip(words, dfs.tolist(), strict=True)
        ]


def test_cosine_of_an_article_without_terms_is_an_int_zero(tmp_path: Path) -> None:
    """Two copies of a text of stopwords only: a reprint whose term cosine was always written
    as 0 (the sum over no terms), and still is with the cosines worked out in bulk."""
    from newsdedup.sketch import cosine

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(
            "It is what it is and we are here now, so we will do it again and again.\n"
        )
    corpus = load([str(tmp_path)], Settings())
    (link,) = find_links(corpus.articles, Settings())
    assert link.kind == "reprint" and link.cosine == 0 and type(link.cosine) is int
    assert json.dumps(pair_record("a", "b", None, link)["cosine"]) == "0"
    assert type(cosine({}, {"x": 1.0})) is int and type(cosine({"x": 1.0}, {"y": 1.0})) is float
