"""Shared pieces of every VCALENDAR we write: header, VTIMEZONEs, serialisation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from icalendar import Calendar, vText

from ._vtimezone import vtimezone

PRODID = "-//officehours//officehours ics//EN"

# Host-name-like: it becomes the right-hand side of every UID.
_UID_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def new_calendar(*, method: str | None = None) -> Calendar:
    """Return an empty VCALENDAR with PRODID, VERSION and (for iTIP) METHOD."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    if method is not None:
        calendar.add("METHOD", method)
    return calendar


def set_names(calendar: Calendar, *, name: str, description: str | None = None) -> None:
    """Set NAME and X-WR-CALNAME (and DESCRIPTION and X-WR-CALDESC) as TEXT values.

    The library has no type for NAME and the X-WR properties and would write them raw,
    unescaped; RFC 7986 and RFC 5545 section 3.8.8.2 make them TEXT, so we say so and the
    library escapes them.
    """
    calendar.add("NAME", vText(name))
    calendar.add("X-WR-CALNAME", vText(name))
    if description is not None:
        calendar.add("DESCRIPTION", description)
        calendar.add("X-WR-CALDESC", vText(description))


def stamp(now: datetime | None) -> datetime:
    """Return ``now`` (or the current time) in UTC to whole seconds, for DTSTAMP.

    Raises:
        ValueError: if ``now`` is naive.
    """
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
    return now.astimezone(UTC).replace(microsecond=0)


def check_uid_domain(uid_domain: str) -> str:
    """Return ``uid_domain`` if it looks like a host name.

    Raises:
        ValueError: if it does not.
    """
    if not isinstance(uid_domain, str) or not _UID_DOMAIN.fullmatch(uid_domain):
        raise ValueError(f"uid_domain must be a host name like example.org, got {uid_domain!r}")
    return uid_domain


def add_timezones(calendar: Calendar, days: Iterable[date]) -> None:
    """Add a VTIMEZONE for every TZID the calendar uses, covering the given local dates.

    Each VTIMEZONE spans whole years around ``days``, so the output depends only on the
    calendar's own content (and the tz database), never on today's date; TZIDs are added
    in sorted order for the same reason.

    Raises:
        ValueError: if a TZID is not a known zone.
    """
    years = [day.year for day in days]
    if not years:
        return
    first = date(min(years), 1, 1)
    last = date(max(years) + 1, 1, 1)
    position = len(calendar.timezones)
    for tzid in sorted(calendar.get_missing_tzids()):
        calendar.subcomponents.insert(position, vtimezone(tzid, first=first, last=last))
        position += 1


def to_bytes(calendar: Calendar) -> bytes:
    """Serialise ``calendar`` (CRLF line ends, folded lines, escaping by the library)."""
    return calendar.to_ical()
