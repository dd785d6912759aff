"""Header normalisation on real files, boilerplate removal, and robustness on arbitrary bytes."""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsdedup import normalise as nm
from newsdedup.errors import InputError
from newsdedup.ingest import document_from_bytes
from newsdedup.normalise import boilerplate_kind, normalise, parse
from newsdedup.pipeline import load
from newsdedup.settings import Settings


def _one(path: Path, rel: str | None = None):
    doc = document_from_bytes(path.read_bytes(), str(path), rel or path.name)
    return normalise([doc], Settings())[0]


def test_seed_afp_singapore(data: Path) -> None:
    art = _one(data / "seeds/000_a0dfa486038019e8.txt")
    assert art.date.value == "2024-04-09" and art.date.source == "header"
    assert art.dateline.value == "BEIJING" and art.dateline.source == "dateline"
    assert art.agency.value == "AFP" and art.agency.source == "credit"
    assert art.body[0].startswith(
        "China’s top diplomat said on April 9"
    )  # header and dateline gone
    assert not art.body[-1].endswith("AFP")


def test_seed_moscow_times(data: Path) -> None:
    art = _one(data / "seeds/002_a201a40dc613b11f.txt")
    assert art.outlet.value == "The Moscow Times" and art.outlet.source == "signature"
    assert art.date.value is None  # "Tuesday" alone is no date; the timeline infers it
    text = art.text()
    for phrase in ("Dear readers", "undesirable", "Remind me later", "support us monthly"):
        assert phrase not in text
    assert any(r.kind == "appeal" and "Remind me later" in r.text for r in art.removed)
    assert text.rstrip().endswith('will never add oil to the flames," he added.')


def test_meter_pa_files_dated_from_slugs(data: Path) -> None:
    corpus = load([str(data / "meter-dev")], Settings())
    pa = [a for a in corpus.articles if a.doc.rel.startswith("pa/")]
    assert len(pa) == 282
    assert all(a.date.value and a.date.source == "slug" for a in pa)
    byname = {a.doc.rel: a for a in pa}
    arm = byname["pa/2e64c5a664.txt"]
    assert arm.date.value == "1999-07-12T02:59"  # 12/07/99 day-first: PA writes 16/07/99 elsewhere
    assert arm.headline.value == "TIMBER FIRM IN COURT OVER ARM-LOSS ACCIDENT"
    assert arm.byline.value == "James Morrison" and arm.agency.value == "PA"
    assert arm.outlet.value == "pa" and arm.outlet.source == "path"
    assert "£5,000" in arm.text()  # '#' is PA's pound sign
    assert "``" not in arm.text()
    assert all(a.agency.value == "PA" for a in pa if a.agency.source == "inferred")
    papers = [a for a in corpus.articles if a.doc.rel.startswith("times/")]
    assert papers and all(a.outlet.value == "times" for a in papers)


def test_reuters_dated_to_the_second(data: Path) -> None:
    art = _one(data / "reuters-dev/00001.txt")
    assert art.date.value == "1987-02-26T15:01:01.79" and art.date.source == "timestamp"
    assert art.headline.value == "BAHIA COCOA REVIEW"
    assert art.dateline.value == "SALVADOR"
    assert art.agency.value == "Reuters" and art.outlet.value == "Reuters"
    assert art.body[0].startswith("Showers continued throughout the week")
    assert "Reuter" not in art.body[-1].split()[-1]


def test_boilerplate_rules() -> None:
    assert boilerplate_kind("Reporting by Jane Doe; Editing by John Roe") == "credits"
    assert (
        boilerplate_kind("Sign up for our daily newsletter to get the news in your inbox")
        == "newsletter"
    )
    assert boilerplate_kind("If you can, please support us monthly from just $2.") == "donation"
    assert boilerplate_kind("Copyright 2024 Example News. All rights reserved.") == "copyright"
    assert boilerplate_kind("REUTER") == "sign-off"
    # news text that merely talks about donations is not boilerplate
    assert (
        boilerplate_kind("Current law requires USDA to donate at least 750,000 tonnes of grain.")
        is None
    )


def _kind_rule_by_rule(paragraph: str) -> str | None:
    """boilerplate_kind as the rules read, one pattern after another (the specification its
    prefilters and combined pattern must agree with)."""
    p = paragraph.strip()
    if len(p) > 600:
        return None
    if len(p) <= 300:
        for kind, first, second, _ in nm._PROMPTS:
            if first.search(p) and second.search(p):
                return kind
    if len(nm._MIXED_SCRIPT.findall(p)) >= 3:
        return "disguised"
    if nm._APPEAL_ASK.search(p) and nm._APPEAL_YOU.search(p) and nm._APPEAL_US.search(p):
        return "donation"
    for kind, rx, _ in nm._BOILERPLATE_RULES:
        if rx.match(p):
            return kind
    return None


# words of every rule, the letters case-insensitive matching folds (İ ı ſ K), Cyrillic
# look-alikes and punctuation: short texts built from them hit every rule and near-miss
_RULE_TEXT = (
    "Sign up SIGNING UP subscribe ſubscribe SUBSCRIPTION register newsletter inbox here "
    "full story log in download our app iOS android follow us on twitter Follow write letters "
    "to the editor affiliate we may receive commission donate contribute support us become a "
    "member you your our we Reuters REUTER AFP AP PA (c) © copyright all rights reserved. "
    "ALL RİGHTS RESERVED updates alerts read more advertisement most read stories search "
    "www.example.com share tweet email print | Remind me later Moscоw Pаris Kremlіn the council "
    "said on Tuesday"
)
_RULE_WORDS = _RULE_TEXT.split()


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_RULE_WORDS), max_size=14),
    st.sampled_from(["", " ", ".", " - ", "\u212a", "ı"]),
)
@example(["search", "ſubscribe", "for", "updates"], "")  # two rules match: the earlier names it
@example(["Example", "News.", "ALL", "RİGHTS", "RESERVED"], ".")  # İ is i to the pattern
def test_boilerplate_kind_agrees_with_the_rules_one_by_one(words: list[str], tail: str) -> None:
    text = " ".join(words) + tail
    assert boilerplate_kind(text) == _kind_rule_by_rule(text)


def test_ascii_fold_covers_every_letter_case_insensitive_matching_takes_for_ascii() -> None:
    # the word tests before the patterns rely on it: a letter missing here would let a
    # paragraph that a rule matches ("ſubscribe") skip that rule
    every = "".join(chr(c) for c in range(0x80, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    for letter in string.ascii_lowercase:
        for ch in re.findall(letter, every, re.IGNORECASE):
            assert nm._folded(ch) == letter, (hex(ord(ch)), letter)


def test_long_paragraph_is_never_boilerplate() -> None:
    # a story paragraph longer than any rule's reach is kept whatever its words
    assert boilerplate_kind("Sign up for our newsletter in your inbox. " * 20) is None


def test_trailing_credit_is_an_agency_name_at_the_very_end() -> None:
    # _strip_tail searches for a credit only when the text ends in a letter (then ")" and
    # spaces), which holds because every agency name ends in one
    assert all(name[-1].isalpha() for name in nm.AGENCIES)
    for ending in ("deepens. AFP", "deepens. (AFP) ", "deepens. \u2014 Reuters"):
        art = _text(f"Talks went on.\n\nThe crisis {ending}\n")
        assert art.agency.source == "credit" and art.body[-1] == "The crisis deepens.", ending
    assert _text("Talks went on.\n\nAFP said the crisis deepens.\n").agency.value is None


def test_repeated_paragraph_is_outlet_boilerplate() -> None:
    promo = "Get the best of the Daily Example delivered to your inbox every morning at seven."
    stories = [
        "Fire crews fought a blaze at a warehouse in the docks overnight.",
        "The council approved a new budget for schools after a long debate.",
        "A rare bird was spotted in the park, drawing crowds of watchers.",
        "Rail services were cancelled after storms brought down power lines.",
    ]
    docs = [
        document_from_bytes(
            f"{s}\n\nMore detail followed about event {i}.\n\n{promo}\n".encode(),
            f"ex/{i}.txt",
            f"example/{i}.txt",
        )
        for i, s in enumerate(stories)
    ]
    arts = normalise(docs, Settings())
    for a in arts:
        assert promo not in a.body
        assert any(r.kind == "repeated" for r in a.removed)
        assert len(a.body) == 2


def test_resends_keep_their_shared_paragraphs() -> None:
    body = "Police said the suspect was arrested at the scene on Monday night.\n\nHe will appear in court.\n"
    docs = [
        document_from_bytes(
            f"Version {i} lead about the arrest.\n\n{body}".encode(), f"w/{i}", f"wire/{i}.txt"
        )
        for i in range(4)
    ]
    arts = normalise(docs, Settings())
    assert all(len(a.body) == 3 for a in arts)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_normalisation_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    try:
        doc = document_from_bytes(data, "fuzz.txt")
    except InputError:
        return
    art = parse(doc, Settings())
    normalise([doc, doc], Settings())
    assert isinstance(art.body, list)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_normalisation_never_raises_on_arbitrary_text(text: str) -> None:
    try:
        doc = document_from_bytes(text.encode("utf-8", "surrogatepass"), "fuzz.txt")
    except InputError:
        return
    normalise([doc], Settings())


def _text(raw: str, name: str = "a.txt"):
    doc = document_from_bytes(raw.encode(), name, name)
    return normalise([doc], Settings())[0]


def test_title_line_in_sentence_case_is_the_headline() -> None:
    # issue 12: clean text is often "headline, blank line, paragraphs"; the headline used to be
    # cut at "U.S." and kept in the body
    art = _text(
        "Senate passes U.S. tax bill after all-night session\n\n"
        "WASHINGTON (Reuters) - The U.S. Senate passed a sweeping tax bill early on Saturday, "
        "with Republicans united behind it and Democrats opposed.\n\nMore text follows here.\n"
    )
    assert art.headline.value == "Senate passes U.S. tax bill after all-night session"
    assert art.headline.source == "header"
    assert not art.body[0].startswith("Senate passes")
    assert art.agency.value == "Reuters"


def test_short_first_sentence_is_not_a_title() -> None:
    art = _text(
        "The jury was out for two hours.\n\n"
        "A man accused of stealing a bus was cleared yesterday after a trial in which the "
        "driver said he had lent it to him.\n"
    )
    assert art.headline.source == "lead"
    assert art.body[0] == "The jury was out for two hours."


def test_lead_headline_keeps_abbreviations() -> None:
    art = _text("U.S. lawmakers seek a temporary extension to internet surveillance law. More.\n")
    assert art.headline.value.startswith("U.S. lawmakers seek")


def test_byline_or_page_prompt_is_not_a_title() -> None:
    lead = (
        "\n\nThe council voted on Tuesday to close the old library after a long debate about it.\n"
    )
    assert _text("By Jane Doe and John Roe" + lead).byline.value == "Jane Doe and John Roe"
    assert _text("Share this story on Facebook" + lead).headline.source == "lead"
    assert _text("Watchdog fines bank over failures" + lead).headline.source == "header"


def test_wire_headlines_with_ticker_marks_and_capitals_stay_headlines() -> None:
    """A wire's ``<U>`` is a ticker, not an HTML tag, and a capitals headline starting with a
    prompt's word ("SHARE TRADING …") is no page prompt: both stay header headlines."""
    body = b"    New York, March 4 - USAir Group Inc said it had no comment\non an offer.\n"
    for head in (
        b"USAIR <U> HAS NO COMMENT ON TWA <TWA> OFFER",
        b"SHARE TRADING IN KONG SUSPENDED",
    ):
        raw = b"4-MAR-1987 15:46:21.39\n" + head + b"\n" + body
        art = parse(document_from_bytes(raw, "w.txt", "w.txt"), Settings())
        assert (art.headline.value, art.headline.source) == (head.decode(), "header")
    page = parse(
        document_from_bytes(b"<u>Share this</u>\n\nA story.\n", "p.txt", "p.txt"), Settings()
    )
    assert page.headline.value != "<u>Share this</u>"
