"""The one parser of each kind of input people type or URLs carry: dates, weeks, instants with a
UTC offset, local date-times, counts and wall-clock times (HH:MM).

Every adapter (the website, the JSON API, the command line) parses with these, so one input is
read one way everywhere, and what they return every other part can carry: years 1900 to 2999
(Python's ``datetime`` ends at 9999 and overflows a week or an offset before it; PostgreSQL
refuses offsets beyond 15:59), UTC offsets of at most 14:00 in whole minutes (the widest any
place uses), ASCII digits only (``int('٣')`` is 3, ``'²'.isdigit()`` is true). They accept
exactly what they return and refuse the rest: nothing is silently dropped, rounded or trimmed
except surrounding spaces.

Hand-written with anchored ASCII regular expressions rather than ``fromisoformat``, which takes
ISO week dates, basic formats, offsets on times of day and seconds where a form wants none.
Each parser raises ``InvalidInput`` naming the field, with the accepted form in the message.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from officehours.errors import invalid_input

MIN_YEAR = 1900
MAX_YEAR = 2999
MAX_OFFSET = timedelta(hours=14)
MAX_TEXT = 100  # longer than any value these kinds can take: refused without a regex scan

YEARS = f"in the years {MIN_YEAR} to {MAX_YEAR}"
DATE_FORM = "a date like 2027-01-11"
INSTANT_FORM = (
    "an ISO 8601 time with a UTC offset of at most 14 hours, like 2027-01-11T17:00:00Z or "
    "2027-01-11T09:00:00-08:00"
)
CLOCK_FORM = "a 24-hour time like 09:00 or 17:30 (hours and minutes only)"

_DATE = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
_TIME = (
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,6}))?)?"
)
# A "+" typed into a URL's query arrives as a space: the offset's sign may be one.
_OFFSET = r"(?P<offset>[Zz]|(?P<sign>[+ -])(?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))"
DATE_RE = re.compile(_DATE, re.ASCII)
INSTANT_RE = re.compile(rf"{_DATE}[Tt ]{_TIME}{_OFFSET}", re.ASCII)
LOCAL_RE = re.compile(rf"{_DATE}[Tt ]{_TIME}{_OFFSET}?", re.ASCII)
CLOCK_RE = re.compile(r"(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9])", re.ASCII)
COUNT_RE = re.compile(r"[0-9]{1,9}", re.ASCII)


def _clean(text: str | None) -> str:
    """The text without surrounding spaces; '' for None or over-long text (refused later)."""
    if text is None or len(text) > MAX_TEXT:
        return ""
    return text.strip(" \t")


def _date(match: re.Match[str]) -> date | None:
    """The date of a match of _DATE, or None when it is no date of the years we take."""
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str | None, field: str, what: str = "The date") -> date:
    """A calendar date written YYYY-MM-DD. Raises InvalidInput naming ``field``."""
    match = DATE_RE.fullmatch(_clean(text))
    found = _date(match) if match else None
    if found is None:
        raise invalid_input(field, f"{what} must be {DATE_FORM}, {YEARS}.")
    return found


def parse_week(text: str | None, field: str = "week") -> date:
    """The Monday of the week that holds the date YYYY-MM-DD. Raises InvalidInput."""
    day = parse_date(text, field, "The week")
    return day - timedelta(days=day.weekday())


MONTH_RE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})", re.ASCII)


def parse_day_or_month(text: str | None, field: str, what: str = "The week") -> date:
    """A date written YYYY-MM-DD, or a month written YYYY-MM (its first day): what a "go to a
    date or month" box takes. Raises InvalidInput naming ``field``."""
    cleaned = _clean(text)
    month = MONTH_RE.fullmatch(cleaned)
    if month and MIN_YEAR <= int(month["year"]) <= MAX_YEAR and 1 <= int(month["month"]) <= 12:
        return date(int(month["year"]), int(month["month"]), 1)
    match = DATE_RE.fullmatch(cleaned)
    found = _date(match) if match else None
    if found is None:
        raise invalid_input(field, f"{what} must be {DATE_FORM} or a month like 2027-03, {YEARS}.")
    return found


def _datetime(match: re.Match[str]) -> datetime | None:
    """The date-time of a match of INSTANT_RE or LOCAL_RE, or None when it is not one."""
    day = _date(match)
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    micro = int((match["fraction"] or "").ljust(6, "0"))
    if day is None or hour > 23 or minute > 59 or second > 59:
        return None
    zone = None
    if match["offset"] in ("Z", "z"):
        zone = timezone.utc
    elif match["offset"]:
        off_hour, off_minute = int(match["off_hour"]), int(match["off_minute"])
        offset = timedelta(hours=off_hour, minutes=off_minute)
        if off_minute > 59 or offset > MAX_OFFSET:
            return None
        zone = timezone(-offset if match["sign"] == "-" else offset)
    return datetime.combine(day, time(hour, minute, second, micro), zone)


def parse_instant(text: str | None, field: str) -> datetime:
    """An instant: an ISO 8601 date and time with a UTC offset (Z or ±HH:MM), seconds and
    fractions optional. Raises InvalidInput naming ``field``."""
    match = INSTANT_RE.fullmatch(_clean(text))
    found = _datetime(match) if match else None
    if found is None:
        raise invalid_input(field, f"Give {INSTANT_FORM}, {YEARS}.")
    return found


def parse_datetime(text: str | None, field: str) -> datetime:
    """Like parse_instant, but the offset may be left out: a wall-clock time (naive) that the
    caller places in a zone. Raises InvalidInput naming ``field``."""
    match = LOCAL_RE.fullmatch(_clean(text))
    found = _datetime(match) if match else None
    if found is None:
        raise invalid_input(
            field, f"Give a time like 2027-03-15T09:00, with or without a UTC offset, {YEARS}."
        )
    return found


def parse_count(text: str | None, field: str, low: int, high: int, message: str) -> int:
    """A whole number from low to high in ASCII digits. Raises InvalidInput with ``message``."""
    cleaned = _clean(text)
    if not COUNT_RE.fullmatch(cleaned) or not low <= int(cleaned) <= high:
        raise invalid_input(field, message)
    return int(cleaned)


def parse_clock(text: str | None, field: str) -> time:
    """A wall-clock time of day, exactly HH:MM (24-hour): no seconds, no offset, as stored.
    Raises InvalidInput naming ``field``."""
    match = CLOCK_RE.fullmatch(_clean(text))
    if match is None:
        raise invalid_input(field, f"Give {CLOCK_FORM}.")
    return time(int(match["hour"]), int(match["minute"]))


def parse_choice(text: str | None, field: str, choices: dict[str, bool]) -> bool:
    """One of a few fixed values (a form's radio or hidden field). Raises InvalidInput."""
    if text not in choices:
        raise invalid_input(field, f"Choose one of {', '.join(sorted(choices))}.")
    return choices[text]


def refuse_zero_bytes(field: str, value: str) -> None:
    """Refuses a value holding a zero byte: PostgreSQL text cannot hold one (psycopg2 raises
    ValueError for it), and no person types one. Raises InvalidInput naming ``field``."""
    if "\x00" in value:
        raise invalid_input(
            field, f"{field}: remove the control character (a zero byte); it is not allowed."
        )
