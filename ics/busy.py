"""Busy time from a coach's own calendar object, as stored by the CalDAV server.

Only VEVENTs count; VTODO, VJOURNAL and VFREEBUSY are ignored. An event is busy unless
it is ``TRANSP:TRANSPARENT`` or ``STATUS:CANCELLED`` (decided per instance, so one
cancelled instance of a series frees just that slot). Recurrences, EXDATE, RDATE and
RECURRENCE-ID overrides are expanded by ``recurring-ical-events``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import recurring_ical_events
from icalendar import Component, Event

from ._parse import check_component, parse, to_utc
from ._recurrence import check_cost, drop_never_firing, rules_of
from .errors import InvalidCalendar, TooManyInstances
from .model import check_zone

__all__ = ["InvalidCalendar", "TooManyInstances", "busy_intervals"]

# Floating and all-day times move with the zone they are read in; expand with this much
# slack on both sides, then compare exactly once the times are in UTC.
PAD = timedelta(days=2)
# Work allowed per instance allowed, see ics._recurrence.
STEPS_PER_INSTANCE = 100


def _check_window(window_start: datetime, window_end: datetime) -> None:
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    if window_end <= window_start:
        raise ValueError("window_end must be after window_start")


def expand(calendar: Component, *, name: str, start: datetime, end: datetime) -> list[Component]:
    """Return the instances of ``name`` components between ``start`` and ``end``.

    Raises:
        InvalidCalendar: if recurring-ical-events cannot read the recurrence, or its times
            run past the years Python can count (1 to 9999).
    """
    try:
        query = recurring_ical_events.of(calendar, components=[name])
        instances: list[Component] = query.between(start, end)
    except recurring_ical_events.InvalidCalendar as exc:
        raise InvalidCalendar(f"cannot expand the recurrence: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise InvalidCalendar(f"cannot expand the recurrence: {exc}") from exc
    except OverflowError as exc:
        raise InvalidCalendar("its times reach beyond the years 1 to 9999") from exc
    return instances


def instance_times(instance: Component) -> tuple[date | datetime, date | datetime]:
    """Return an expanded VEVENT instance's start and end as found in it.

    Raises:
        InvalidCalendar: if the instance has no readable start.
    """
    if not isinstance(instance, Event):
        raise InvalidCalendar(f"expected a VEVENT instance, got {instance.name}")
    try:
        start: date | datetime = instance.start
        end: date | datetime = instance.end
    except (ValueError, TypeError) as exc:
        raise InvalidCalendar(f"{instance.name} {instance.get('UID')}: {exc}") from exc
    return start, end


def _is_busy(instance: Component) -> bool:
    transparent = str(instance.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT"
    cancelled = str(instance.get("STATUS", "")).upper() == "CANCELLED"
    return not transparent and not cancelled


def busy_intervals(
    text: bytes | str,
    *,
    window_start: datetime,
    window_end: datetime,
    default_tz: str,
    max_instances: int = 1000,
) -> list[tuple[datetime, datetime]]:
    """Return the busy intervals of the calendar object ``text`` that overlap the window.

    Arguments:
        text: one VCALENDAR (bytes in UTF-8, or str), typically one event and its
            overrides.
        window_start, window_end: aware datetimes bounding the expansion.
        default_tz: IANA zone (the coach's) for floating times and all-day events; an
            all-day event is busy from midnight to midnight there.
        max_instances: the most instances, busy or not, that may overlap the window.

    Returns:
        ``(start, end)`` pairs of aware UTC datetimes, sorted, one per busy instance.
        Intervals are not clipped to the window; instances of zero length are dropped.

    Raises:
        InvalidCalendar: if ``text`` is not readable iCalendar, or an event's times are
            broken.
        TooManyInstances: if more than ``max_instances`` instances overlap the window,
            or a rule would take more than ``100 * max_instances`` steps to walk from its
            start to the window's end (a recurrence bomb). Raised rather than truncating
            the list; the error names the event's UID so the caller can decide.
        ValueError: for a naive or empty window, an unknown zone or ``max_instances < 1``.
    """
    _check_window(window_start, window_end)
    zone = check_zone(default_tz, "default_tz")
    if max_instances < 1:
        raise ValueError(f"max_instances must be at least 1, got {max_instances}")
    calendar = parse(text)
    horizon = window_end + PAD
    for event in calendar.walk("VEVENT"):
        check_component(event)
        if rules_of(event):
            drop_never_firing(event)
            check_cost(event, horizon=horizon, budget=STEPS_PER_INSTANCE * max_instances)
    counts: Counter[str] = Counter()
    result: list[tuple[datetime, datetime]] = []
    for instance in expand(calendar, name="VEVENT", start=window_start - PAD, end=horizon):
        start, end = (to_utc(value, zone) for value in instance_times(instance))
        if end <= window_start or start >= window_end:
            continue
        counts[str(instance.get("UID", ""))] += 1
        if counts.total() > max_instances:
            uid = counts.most_common(1)[0][0]
            raise TooManyInstances(
                f"more than {max_instances} instances of {uid} overlap the window "
                f"{window_start.isoformat()} to {window_end.isoformat()}",
                uid=uid,
                limit=max_instances,
            )
        if end > start and _is_busy(instance):
            result.append((start, end))
    return sorted(result)
