"""Tokens, sentences and terms: the words every view of an article is made of."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")
#: a mark between sentences when a whole article is tokenised at once (no word character)
CUT = "\x00"
_TOKEN_OR_CUT = re.compile("\x00|" + _TOKEN.pattern)
# a sentence may end at . ! ? … (and a closing quote) before a capital or a figure
_BOUNDARY = re.compile(r"[.!?…][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
# … but not after initials, "U.S." or a title
_ABBREV = re.compile(
    r"(?:^|\s)(?:[A-Z]|(?:[A-Z]\.)+[A-Z]|Mr|Mrs|Ms|Messrs|Dr|St|Gen|Gov|Sen|Sens|Rep|Reps|No|Jr|Sr|Lt|Col|Maj|Adm|Brig|Sgt|Cpl|Capt|Supt|Insp|Det|Prof|Rev|Hon|Rt|Mt|Ft)\.$"
)

#: Short function words: not terms, though they stay in shingles (word order matters there).
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "said",
        "says",
        "say",
        "told",
        "mr",
        "mrs",
        "ms",
        "yesterday",
        "today",
        "last",
        "new",
        "one",
        "two",
        "three",
        "year",
        "years",
        "time",
        "week",
        "day",
        "people",
        "according",
    ]
)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; apostrophes inside words kept, typographic ones unified."""
    # ’ is no word character: unified before the split, it ends up where ' would
    return _TOKEN.findall(text.lower().replace("’", "'"))


def sentence_tokens(sents: list[str]) -> list[str]:
    """The tokens of consecutive sentences with :data:`CUT` after each sentence's."""
    words: list[str] = []
    if any(CUT in sent for sent in sents):  # the text holds the mark itself
        for sent in sents:
            words.extend(tokens(sent))
            words.append(CUT)
    elif sents:
        # one pass of the pattern over the article: the marks come back as tokens of their
        # own (an article's tokens are its sentences' tokens, in order)
        words.extend(_TOKEN_OR_CUT.findall((CUT.join(sents) + CUT).lower().replace("’", "'")))
    return words


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences (abbreviations such as "U.S." and "Mr." do not end one)."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        head = paragraph[max(start, m.start() - 12) : m.start() + 1]
        if paragraph[m.start()] == "." and _ABBREV.search(head):
            continue
        end = m.end()
        piece = paragraph[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    rest = paragraph[start:].strip()
    if rest:
        out.append(rest)
    return out


def is_term(t: str) -> bool:
    """A token that can say what an article is about: no stopword, no lone digit or short word."""
    if t in STOPWORDS:
        return False
    if t[0].isdigit():
        return len(t) >= 2  # figures are facts; lone digits mostly noise
    return len(t) > 2
