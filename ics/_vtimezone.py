"""VTIMEZONE components built from the tz database.

icalendar's ``Timezone.from_tzid`` does the same job, but (in the 7.x we use) its search
steps 64 days at a time, so it misses offset periods shorter than that (Morocco's
Ramadan changes), and it writes a spring-forward onset as the wall-clock time after the
change, while RFC 5545 section 3.6.5 reads DTSTART and RDATE in TZOFFSETFROM: an app
that trusts the VTIMEZONE would switch an hour late. So we find the transitions here and
let the library's STANDARD and DAYLIGHT components carry and serialise them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

from .model import check_zone

__all__ = ["vtimezone"]

# No zone has changed its offset twice within this long since 1970.
_SCAN = timedelta(hours=6)
_SECOND = timedelta(seconds=1)


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in [start, end) at which the zone's offset changes."""
    found = []
    moment = start
    while moment < end:
        following = min(moment + _SCAN, end)
        if _offset(zone, following) != _offset(zone, moment):
            low, high = moment, following
            while high - low > _SECOND:
                middle = low + (high - low) // 2
                if _offset(zone, middle) == _offset(zone, low):
                    low = middle
                else:
                    high = middle
            found.append(high)
        moment = following
    return found


def vtimezone(tzid: str, *, first: date, last: date) -> Timezone:
    """Return a VTIMEZONE for ``tzid`` valid from ``first`` to ``last`` (local dates).

    One observance per distinct (offset before, offset after, name, DST or not), with its
    first onset as DTSTART and the others as RDATE, all as local time in TZOFFSETFROM.
    The first observance starts at midnight on ``first`` with the offset then in force.

    Raises:
        ValueError: if ``tzid`` is not a known IANA zone or ``last`` is before ``first``.
    """
    zone = check_zone(tzid)
    if last < first:
        raise ValueError(f"last ({last}) must not be before first ({first})")
    start = datetime.combine(first, time.min, zone)
    observances: dict[tuple[timedelta, timedelta, str, bool], list[datetime]] = {}

    def observe(before: timedelta, instant: datetime, onset: datetime) -> None:
        local = instant.astimezone(zone)
        key = (before, _offset(zone, instant), local.tzname() or "", bool(local.dst()))
        observances.setdefault(key, []).append(onset)

    observe(_offset(zone, start), start, datetime.combine(first, time.min))
    end = datetime.combine(last, time.min, zone).astimezone(UTC)
    for instant in _transitions(zone, start.astimezone(UTC), end):
        before = _offset(zone, instant - _SECOND)
        observe(before, instant, (instant + before).replace(tzinfo=None))

    timezone = Timezone()
    timezone.add("TZID", tzid)
    for (before, after, name, is_dst), onsets in observances.items():
        observance = TimezoneDaylight() if is_dst else TimezoneStandard()
        observance.DTSTART = onsets[0]
        if onsets[1:]:
            observance.rdates = onsets[1:]
        observance.add("TZNAME", name)
        observance.TZOFFSETFROM = before
        observance.TZOFFSETTO = after
        timezone.add_component(observance)
    return timezone
