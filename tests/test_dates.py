"""Date recognition: every format from the dev data and the wild, ambiguity, no invention."""

from __future__ import annotations

import pytest

from newsdedup import dates
from newsdedup.ingest import document_from_bytes
from newsdedup.normalise import normalise
from newsdedup.settings import Settings

CASES = [
    # (text, dayfirst, expected ISO or None for ambiguous)
    ("date 2024-04-09", None, "2024-04-09"),
    ("2024-04-09T10:30:00+08:00", None, "2024-04-09T10:30:00+08:00"),
    ("2024-04-09T10:30Z", None, "2024-04-09T10:30+00:00"),
    ("26-FEB-1987 15:01:01.79", None, "1987-02-26T15:01:01.79"),
    ("27-MAR-1987 00:02:59.13RM", None, "1987-03-27T00:02:59.13"),
    ("Tue, 09 Apr 2024 10:15:00 +0800", None, "2024-04-09T10:15:00+08:00"),
    ("April 9, 2024", None, "2024-04-09"),
    ("Apr. 9 2024", None, "2024-04-09"),
    ("9 April 2024", None, "2024-04-09"),
    ("Tuesday, 9th April 2024", None, "2024-04-09"),
    ("Published April 9, 2024 3:45 PM", None, "2024-04-09T15:45"),
    ("16/07/99", None, "1999-07-16"),  # the figures decide: 16 cannot be a month
    ("07/16/99", None, "1999-07-16"),
    ("12/07/99", None, None),  # ambiguous
    ("12/07/99", True, "1999-07-12"),
    ("12/07/99", False, "1999-12-07"),
    ("07.12.1999", True, "1999-12-07"),
    ("2024/04/09", None, "2024-04-09"),
    ("05/05/05", None, "2005-05-05"),  # both readings agree
]


@pytest.mark.parametrize(("text", "dayfirst", "expected"), CASES)
def test_parse_date(text: str, dayfirst: bool | None, expected: str | None) -> None:
    hit = dates.parse_date(text, dayfirst)
    assert hit is not None
    assert hit.iso == expected
    assert hit.ambiguous == (expected is None)


@pytest.mark.parametrize(
    "text", ["", "no date here", "Page 12", "99 problems", "32/13/99", "31/02/99"]
)
def test_no_date_is_invented(text: str) -> None:
    assert dates.parse_date(text) is None


def test_two_digit_years_pivot_is_fixed() -> None:
    assert dates.parse_date("16/07/69").iso == "2069-07-16"
    assert dates.parse_date("16/07/70").iso == "1970-07-16"


def test_reuters_dateline_year_from_timestamp() -> None:
    assert dates.month_day("Feb 26", 1987) == "1987-02-26"
    assert dates.month_day("Sept 3", 1987) == "1987-09-03"


def _slug_file(
    slug_date: str, body: str = "A man appeared in court today charged with theft."
) -> bytes:
    return f"  {'-' * 60}\n\n      10:00 {slug_date}: Page 1 (HHH) COURTS Theft\n  {'-' * 60}\n{body}<\n".encode()


def test_ambiguous_slug_settled_by_outlet_evidence() -> None:
    """An outlet that writes 16/07/99 is day-first, so its 12/07/99 is 12 July."""
    s = Settings()
    docs = [
        document_from_bytes(_slug_file("12/07/99"), "wire/a.txt", "wire/a.txt"),
        document_from_bytes(
            _slug_file("16/07/99", "Another story entirely about a fire."),
            "wire/b.txt",
            "wire/b.txt",
        ),
    ]
    arts = normalise(docs, s)
    assert arts[0].date.value == "1999-07-12T10:00"
    assert "outlet's other dates" in (arts[0].date.evidence or "")


def test_ambiguous_slug_without_evidence_is_reported_not_guessed() -> None:
    docs = [document_from_bytes(_slug_file("12/07/99"), "x/a.txt", "x/a.txt")]
    art = normalise(docs, Settings())[0]
    assert art.date.value is None
    assert art.date.source == "ambiguous"
    assert art.date_ambiguous
    art2 = normalise(docs, Settings(dayfirst=False))[0]
    assert art2.date.value == "1999-12-07T10:00"


def test_mtime_only_on_request() -> None:
    doc = document_from_bytes(
        b"Just a body with no date at all in it.\n", "a.txt", "a.txt", mtime=86400.0
    )
    assert normalise([doc], Settings())[0].date.value is None
    art = normalise([doc], Settings(use_mtime=True))[0]
    assert art.date.value == "1970-01-02T00:00:00+00:00"
    assert art.date.source == "mtime"
