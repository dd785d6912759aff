"""Date recognition for article headers. Never invents a date and never looks at the clock.

Every recogniser returns a :class:`DateHit` (ISO 8601 text plus what was read) or ``None``.
Numeric dates whose day/month order cannot be told from the figures alone come back as
ambiguous, carrying both readings, to be settled by the outlet's other files or an option.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_RX = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY_RX = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+"


@dataclass(frozen=True)
class DateHit:
    iso: str | None  # None when ambiguous
    evidence: str
    # for ambiguous numeric dates: the two fields as written and the year
    first: int = 0
    second: int = 0
    year: int = 0
    time: str = ""

    @property
    def ambiguous(self) -> bool:
        return self.iso is None


def _year(y: int) -> int:
    """Two-digit years pivot at 70 (69 → 2069, 70 → 1970): fixed, never relative to today."""
    if y < 100:
        return 2000 + y if y < 70 else 1900 + y
    return y


def _month(name: str) -> int | None:
    key = name.lower().rstrip(".")
    return MONTHS.get(key[:4] if key.startswith("sept") else key[:3])


def make_iso(year: int, month: int, day: int, time: str = "") -> str | None:
    try:
        d = dt.date(year, month, day)
    except ValueError:
        return None
    return d.isoformat() + (f"T{time}" if time else "")


# ISO 8601: 2024-04-09, 2024-04-09T10:30, 2024-04-09 10:30:00+08:00
_ISO = re.compile(
    r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s?(Z|[+-]\d{2}:?\d{2})?)?\b"
)
# Reuters/DEC timestamps: 26-FEB-1987 15:01:01.79
_STAMP = re.compile(
    r"^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?[A-Z]{0,3}\s*$"
)
# numeric: 12/07/99, 07.12.1999, 9-4-2024 (with an optional time before or after)
_NUMERIC = re.compile(r"\b(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})\b")
_YMD_SLASH = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b")
# April 9, 2024 / Apr. 9 2024 / 9 April 2024 / Tuesday, 9th April, 2024
_MDY = re.compile(rf"\b({_MONTH_RX})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RX}),?\s+(\d{{4}})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")
# dateline month-day, year unknown: "Feb 26", "April 9"
_MD = re.compile(rf"^({_MONTH_RX})\s+(\d{{1,2}})$")


def _fmt_time(
    h: int, m: int, s: int | None = None, frac: str | None = None, tz: str | None = None
) -> str:
    if not (0 <= h < 24 and 0 <= m < 60 and (s is None or 0 <= s < 61)):
        return ""
    out = f"{h:02d}:{m:02d}"
    if s is not None:
        out += f":{s:02d}"
        if frac:
            out += "." + frac.ljust(2, "0")
    if tz:
        out += "+00:00" if tz == "Z" else (tz if ":" in tz else tz[:3] + ":" + tz[3:])
    return out


def parse_timestamp(line: str) -> DateHit | None:
    """Wire timestamps such as ``26-FEB-1987 15:01:01.79`` (a line of its own)."""
    m = _STAMP.match(line)
    if not m:
        return None
    month = _month(m.group(2))
    if month is None:
        return None
    sec = int(m.group(6)) if m.group(6) else None
    time = _fmt_time(int(m.group(4)), int(m.group(5)), sec, m.group(7))
    iso = make_iso(int(m.group(3)), month, int(m.group(1)), time)
    return DateHit(iso, m.group(0).strip()) if iso else None


def parse_date(text: str, dayfirst: bool | None = None) -> DateHit | None:
    """Find the first date in a short piece of header text.

    ``dayfirst`` settles numeric dates such as 12/07/99 (True: 12 July; False: 7 December).
    With ``None`` such a date is returned as ambiguous unless its figures decide it.
    """
    text = text.strip()
    if not text:
        return None
    if hit := parse_timestamp(text):
        return hit
    if m := _ISO.search(text):
        time = ""
        if m.group(4):
            sec = int(m.group(6)) if m.group(6) else None
            time = _fmt_time(int(m.group(4)), int(m.group(5)), sec, None, m.group(7))
        iso = make_iso(int(m.group(1)), int(m.group(2)), int(m.group(3)), time)
        if iso:
            return DateHit(iso, m.group(0))
    if hit := _parse_rfc2822(text):
        return hit
    for rx, order in ((_MDY, "mdy"), (_DMY, "dmy")):
        if m := rx.search(text):
            if order == "mdy":
                mon, day, year = _month(m.group(1)), int(m.group(2)), int(m.group(3))
            else:
                day, mon, year = int(m.group(1)), _month(m.group(2)), int(m.group(3))
            if mon is None:
                continue
            time = _time_near(text)
            iso = make_iso(year, mon, day, time)
            if iso:
                return DateHit(iso, m.group(0))
    if m := _YMD_SLASH.search(text):
        iso = make_iso(int(m.group(1)), int(m.group(2)), int(m.group(3)), _time_near(text))
        if iso:
            return DateHit(iso, m.group(0))
    if m := _NUMERIC.search(text):
        a, b, year = int(m.group(1)), int(m.group(3)), _year(int(m.group(4)))
        return numeric_date(a, b, year, _time_near(text), m.group(0), dayfirst)
    return None


def numeric_date(
    a: int, b: int, year: int, time: str, evidence: str, dayfirst: bool | None
) -> DateHit | None:
    """Resolve ``a/b/year``: by the figures if one is over 12, else by ``dayfirst``."""
    day_first = make_iso(year, b, a, time)
    month_first = make_iso(year, a, b, time)
    if day_first is None and month_first is None:
        return None
    if day_first is None or month_first is None or day_first == month_first:
        return DateHit(day_first or month_first, evidence)
    if dayfirst is None:
        return DateHit(None, evidence, a, b, year, time)
    return DateHit(day_first if dayfirst else month_first, evidence)


def _time_near(text: str) -> str:
    m = _TIME.search(text)
    if not m:
        return ""
    h, mi = int(m.group(1)), int(m.group(2))
    ampm = (m.group(4) or "").lower().replace(".", "")
    if ampm == "pm" and h < 12:
        h += 12
    elif ampm == "am" and h == 12:
        h = 0
    return _fmt_time(h, mi, int(m.group(3)) if m.group(3) else None)


_RFC2822_HINT = re.compile(
    rf"^(?:{_WEEKDAY_RX})?\d{{1,2}}\s+{_MONTH_RX}\s+\d{{4}}\s+\d{{1,2}}:\d{{2}}"
)


def _parse_rfc2822(text: str) -> DateHit | None:
    if not _RFC2822_HINT.match(text):
        return None
    import email.utils  # only for a date that looks like one: most runs meet none

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return DateHit(when.isoformat(), text)


def month_day(text: str, year: int) -> str | None:
    """A dateline's ``Feb 26`` with the year taken from elsewhere (e.g. the timestamp)."""
    m = _MD.match(text.strip())
    if not m:
        return None
    mon = _month(m.group(1))
    return make_iso(year, mon, int(m.group(2))) if mon else None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
