"""A coach's office hours as iCalendar events, for the read-only office-hours calendar.

Each weekly rule is one recurring VEVENT (``RRULE:FREQ=WEEKLY;BYDAY=..``) in the coach's
zone, so 09:00-17:00 stays 09:00-17:00 local across DST. A date with exceptions replaces
that date's weekly hours: the weekly occurrences on it get an EXDATE, and each exception
interval becomes its own VEVENT (a day off adds none). Every event is
``TRANSP:TRANSPARENT``: office hours are when the coach can be booked, not busy time.

UIDs are derived from the coach's slug and the rule's or exception's content, so an item
keeps its UID (and its resource name, see :func:`ics.keys.item_key`) until the rule itself
changes. Exceptions dated before ``since`` are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from icalendar.enums import TRANSP

from ._calendar import (
    add_timezones,
    check_uid_domain,
    new_calendar,
    set_names,
    stamp,
    to_bytes,
    vtimezone,
)
from .keys import item_key
from .model import DatedException, WeeklyRule, check_zone

__all__ = [
    "OfficeHoursItem",
    "exception_uid",
    "office_hours_calendar",
    "office_hours_items",
    "rule_uid",
]

DEFAULT_SUMMARY = "Office hours"
# The weekly events never end; their VTIMEZONE lists transitions for this many years from
# ``since``. Apps resolve IANA TZIDs by name, the VTIMEZONE is the fallback.
ZONE_YEARS = 10

_BYDAY = {1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU"}
# No dots: the slug is the UID's first dot-separated part, which keeps UIDs unambiguous.
_SLUG = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, kw_only=True, slots=True)
class OfficeHoursItem:
    """One generated calendar object: its resource name, its UID and its VCALENDAR."""

    key: str
    uid: str
    ics: bytes


def _check_slug(coach_slug: str) -> str:
    if not isinstance(coach_slug, str) or not _SLUG.fullmatch(coach_slug):
        raise ValueError(f"coach_slug must be letters, digits, _ or -, got {coach_slug!r}")
    return coach_slug


def _hms(value: time) -> str:
    return value.strftime("%H%M%S")


def rule_uid(coach_slug: str, rule: WeeklyRule, *, uid_domain: str) -> str:
    """Return the UID of ``rule``'s recurring event, e.g.
    ``jane.office-hours.weekly-1-090000-170000@example.org``.

    Raises:
        ValueError: if the slug has characters other than letters, digits, _ and -, or
            ``uid_domain`` is not a host name.
    """
    local = f"weekly-{rule.weekday}-{_hms(rule.start)}-{_hms(rule.end)}"
    return f"{_check_slug(coach_slug)}.office-hours.{local}@{check_uid_domain(uid_domain)}"


def exception_uid(coach_slug: str, exception: DatedException, *, uid_domain: str) -> str:
    """Return the UID of the event for a dated exception with times, e.g.
    ``jane.office-hours.2027-12-24-090000-120000@example.org``.

    Raises:
        ValueError: if ``exception`` is a day off (it has no event), or as :func:`rule_uid`.
    """
    if exception.start is None or exception.end is None:
        raise ValueError(f"a day off ({exception.day}) has no event and no UID")
    local = f"{exception.day.isoformat()}-{_hms(exception.start)}-{_hms(exception.end)}"
    return f"{_check_slug(coach_slug)}.office-hours.{local}@{check_uid_domain(uid_domain)}"


def _first_on_or_after(since: date, weekday: int) -> date:
    return since + timedelta(days=(weekday - since.isoweekday()) % 7)


def _events(
    *,
    coach_slug: str,
    coach_tz: str,
    rules: Iterable[WeeklyRule],
    exceptions: Iterable[DatedException],
    since: date,
    uid_domain: str,
    now: datetime | None,
    summary: str,
) -> list[tuple[Event, list[date]]]:
    """Build every event, each with the local dates its VTIMEZONE must cover."""
    zone = check_zone(coach_tz, "coach_tz")
    if not isinstance(since, date) or isinstance(since, datetime):
        raise ValueError(f"since must be a date, got {type(since).__name__}")
    if not summary.strip():
        raise ValueError("summary must not be blank")
    dtstamp = stamp(now)
    rules = sorted(rules, key=lambda rule: (rule.weekday, rule.start, rule.end))
    exceptions = sorted(
        (item for item in exceptions if item.day >= since),
        key=lambda item: (item.day, item.start or time.min, item.end or time.min),
    )
    changed_days = sorted({item.day for item in exceptions})
    result: list[tuple[Event, list[date]]] = []
    seen: set[str] = set()

    def add(event: Event, days: list[date]) -> None:
        if event.uid in seen:
            raise ValueError(f"two office hours entries would share the UID {event.uid}")
        seen.add(event.uid)
        result.append((event, days))

    for rule in rules:
        first = _first_on_or_after(since, rule.weekday)
        event = _interval(
            zone,
            first,
            rule.start,
            rule.end,
            uid=rule_uid(coach_slug, rule, uid_domain=uid_domain),
            summary=summary,
            dtstamp=dtstamp,
        )
        event.add("RRULE", {"FREQ": "WEEKLY", "BYDAY": _BYDAY[rule.weekday]})
        exdates = [
            datetime.combine(day, rule.start, zone)
            for day in changed_days
            if day.isoweekday() == rule.weekday
        ]
        if exdates:
            event.add("EXDATE", exdates)
        add(event, [first, date(first.year + ZONE_YEARS, 1, 1)])
    for exception in exceptions:
        if exception.start is None or exception.end is None:
            continue
        event = _interval(
            zone,
            exception.day,
            exception.start,
            exception.end,
            uid=exception_uid(coach_slug, exception, uid_domain=uid_domain),
            summary=summary,
            dtstamp=dtstamp,
        )
        add(event, [exception.day])
    return result


def _interval(
    zone: ZoneInfo,
    day: date,
    start: time,
    end: time,
    *,
    uid: str,
    summary: str,
    dtstamp: datetime,
) -> Event:
    return Event.new(
        uid=uid,
        stamp=dtstamp,
        start=datetime.combine(day, start, zone),
        end=datetime.combine(day, end, zone),
        summary=summary,
        transparency=TRANSP.TRANSPARENT,
    )


def _calendar(events: Sequence[tuple[Event, list[date]]]) -> Calendar:
    calendar = new_calendar()
    for event, _days in events:
        calendar.add_component(event)
    add_timezones(calendar, [day for _event, days in events for day in days])
    return calendar


def office_hours_items(
    *,
    coach_slug: str,
    coach_tz: str,
    rules: Iterable[WeeklyRule],
    exceptions: Iterable[DatedException] = (),
    since: date,
    uid_domain: str,
    now: datetime | None = None,
    summary: str = DEFAULT_SUMMARY,
) -> list[OfficeHoursItem]:
    """Return the office hours as CalDAV calendar objects, one VCALENDAR per UID.

    Arguments:
        coach_slug: the coach's public slug (letters, digits, _ and -); part of every UID.
        coach_tz: the coach's IANA zone, in which rules and exceptions are local times.
        rules: weekly rules; each becomes a recurring event.
        exceptions: dated exceptions; see the module docstring.
        since: the weekly events start on the first matching weekday on or after this date.
        uid_domain: host name on the right of each UID.
        now: DTSTAMP; defaults to the current time. Pass a stable value (such as when the
            hours last changed), and a stable ``since``, so that the bytes, and the ETags
            made from them, change only when the hours do.
        summary: the events' title.

    Items come weekly rules first (by weekday and time), then exceptions by date.

    Raises:
        ValueError: for a bad slug, zone, ``since``, ``uid_domain``, naive ``now``, blank
            summary, or two rules or exceptions that would share a UID.
    """
    events = _events(
        coach_slug=coach_slug,
        coach_tz=coach_tz,
        rules=rules,
        exceptions=exceptions,
        since=since,
        uid_domain=uid_domain,
        now=now,
        summary=summary,
    )
    return [
        OfficeHoursItem(
            key=item_key(str(event.uid)),
            uid=str(event.uid),
            ics=to_bytes(_calendar([(event, days)])),
        )
        for event, days in events
    ]


def office_hours_calendar(
    *,
    coach_slug: str,
    coach_tz: str,
    rules: Iterable[WeeklyRule],
    exceptions: Iterable[DatedException] = (),
    since: date,
    uid_domain: str,
    now: datetime | None = None,
    summary: str = DEFAULT_SUMMARY,
    name: str | None = None,
) -> bytes:
    """Return all the office hours in one VCALENDAR (for a feed or an export).

    Takes the arguments of :func:`office_hours_items`, plus ``name`` for the calendar's
    NAME and X-WR-CALNAME. The events are the same, with the same UIDs.

    A coach without office hours gets a calendar holding only the VTIMEZONE of their
    zone (RFC 5545 wants at least one component).

    Raises:
        ValueError: as :func:`office_hours_items`.
    """
    events = _events(
        coach_slug=coach_slug,
        coach_tz=coach_tz,
        rules=rules,
        exceptions=exceptions,
        since=since,
        uid_domain=uid_domain,
        now=now,
        summary=summary,
    )
    calendar = _calendar(events)
    if not events:
        year = since.year
        calendar.add_component(
            vtimezone(coach_tz, first=date(year, 1, 1), last=date(year + 1, 1, 1))
        )
    if name is not None:
        set_names(calendar, name=name)
    return to_bytes(calendar)
