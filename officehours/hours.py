"""Parsing of the office-hours notation used on the command line: 'mon-fri 09:00-17:00'."""

from __future__ import annotations

import re
from datetime import time

from officehours.accounts import WeeklyHours
from officehours.errors import InvalidInput
from officehours.inputs import parse_clock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(r"^\s*(?P<days>[a-z,\-]+)\s+(?P<span>\S+)\s*$", re.IGNORECASE)


def parse_span(text: str) -> tuple[time, time]:
    """'09:00-17:00' as two times. Raises ValueError."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM")
    first, last = _parse_time(start), _parse_time(end)
    if last <= first:
        raise ValueError(f"{text!r} ends before it starts")
    return first, last


def _parse_time(text: str) -> time:
    """HH:MM, read as the website reads it (officehours.inputs.parse_clock)."""
    try:
        return parse_clock(text, "time")
    except InvalidInput as exc:
        raise ValueError(f"{text!r} is not a time like 09:00 or 17:30 (24-hour HH:MM)") from exc


def parse_days(text: str) -> list[int]:
    """'mon-fri', 'sat', 'mon,wed,fri' or 'sat-mon' as ISO weekdays. Raises ValueError."""
    days: list[int] = []
    for part in text.lower().split(","):
        first, sep, last = part.partition("-")
        if first not in DAYS or (sep and last not in DAYS):
            raise ValueError(f"{part!r} is not a day like mon or a range like mon-fri")
        start = DAYS.index(first)
        stop = DAYS.index(last) if sep else start
        span = (stop - start) % 7
        days.extend((start + i) % 7 + 1 for i in range(span + 1))
    return sorted(set(days))


def parse_rule(text: str) -> list[WeeklyHours]:
    """'mon-fri 09:00-17:00' as weekly rules, one per day. Raises ValueError."""
    match = _RULE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not like 'mon-fri 09:00-17:00'")
    start, end = parse_span(match["span"])
    return [WeeklyHours(day, start, end) for day in parse_days(match["days"])]


def format_rules(rules: list[WeeklyHours]) -> list[str]:
    """Weekly rules as lines like 'mon 09:00-17:00'."""
    return [f"{DAYS[r.weekday - 1]} {r.start:%H:%M}-{r.end:%H:%M}" for r in rules]
