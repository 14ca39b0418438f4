"""What a stored calendar object is, for indexing it: UID, kind and time range."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, Journal, Todo

from ._parse import check_component, parse, to_utc
from ._recurrence import check_cost, drop_never_firing, is_infinite, period_seconds, rules_of
from .busy import PAD, expand
from .errors import InvalidCalendar, TooManyInstances
from .model import check_zone

__all__ = ["EventSummary", "describe"]

# A rule with COUNT has no end date to read; its instances are looked for this far
# ahead of its start, and a rule that has not finished by then counts as endless.
COUNT_HORIZON = timedelta(days=100 * 366)
STEP_BUDGET = 100_000


@dataclass(frozen=True, kw_only=True, slots=True)
class EventSummary:
    """The index entry of one calendar object resource.

    ``start`` is the start of the first occurrence and ``end`` the end of the last, as
    aware UTC datetimes; ``end`` is None when the object recurs without end (or has too
    many occurrences to count), and both are None for an object with no time at all (a
    VTODO without dates). They are exact for single events and plain rules; where an
    EXDATE removes the first or last instance they are bounds, still safe for
    time-range filters.
    """

    uid: str
    component_name: str
    start: datetime | None
    end: datetime | None


def _own_span(component: Component) -> tuple[date | datetime | None, date | datetime | None]:
    """Start and end of a component by itself (RFC 5545 sections 3.6.1 to 3.6.3)."""
    start: Any = component.decoded("DTSTART", None)
    end: Any
    if "DTEND" in component:
        end = component.decoded("DTEND")
    elif "DUE" in component:
        end = component.decoded("DUE")
    elif "DURATION" in component and start is not None:
        end = start + component.decoded("DURATION")
    elif isinstance(start, date) and not isinstance(start, datetime):
        end = start + timedelta(days=1)
    else:
        end = start
    if start is None:
        start = end
    return start, end


def _components(calendar: Calendar) -> tuple[str, str, list[Component]]:
    components = [item for item in calendar.subcomponents if item.name != "VTIMEZONE"]
    if not components:
        raise InvalidCalendar("the calendar holds no component besides VTIMEZONE")
    names = sorted({str(item.name) for item in components})
    if len(names) != 1:
        raise InvalidCalendar(f"one calendar object must hold one kind of component: {names}")
    uids = sorted({str(item.get("UID", "")) for item in components})
    if len(uids) != 1 or not uids[0]:
        raise InvalidCalendar(f"one calendar object must hold exactly one UID, found {uids}")
    return uids[0], names[0], components


def _count_finished(component: Component, name: str, horizon: datetime) -> bool:
    """True if the component's COUNT rule (if any) yields all its instances by ``horizon``."""
    rules = rules_of(component)
    if len(rules) != 1 or "COUNT" not in rules[0]:
        return not any("COUNT" in rule for rule in rules)
    bare = copy.deepcopy(component)
    for prop in ("EXDATE", "RDATE", "RECURRENCE-ID"):
        bare.pop(prop, None)
    calendar = Calendar()
    calendar.add_component(bare)
    start = to_utc(_own_span(bare)[0] or horizon, ZoneInfo("UTC"))
    found = expand(calendar, name=name, start=start - PAD, end=horizon + PAD)
    return len(found) >= int(rules[0]["COUNT"][0])


def _horizons(components: list[Component], zone: ZoneInfo, first: datetime) -> list[datetime]:
    """Where to stop expanding: past every UNTIL, and past COUNT instances of an unfiltered
    rule; if a COUNT rule is not finished there, a century later."""
    horizon = first
    has_count = False
    for component in components:
        start = to_utc(_own_span(component)[0] or first, zone)
        for rule in rules_of(component):
            if "UNTIL" in rule:
                horizon = max(horizon, to_utc(rule["UNTIL"][0], zone) + PAD)
            else:
                has_count = True
                count = int(rule["COUNT"][0])
                interval = int(rule.get("INTERVAL", [1])[0])
                period = timedelta(seconds=period_seconds(rule) * interval)
                horizon = max(horizon, start + period * (count + 1))
    return [horizon, max(horizon, first + COUNT_HORIZON)] if has_count else [horizon]


def _until_bound(components: list[Component], zone: ZoneInfo) -> datetime | None:
    """Latest UNTIL plus the longest component, if every rule has an UNTIL."""
    rules = [rule for component in components for rule in rules_of(component)]
    if not rules or any("UNTIL" not in rule for rule in rules):
        return None
    longest = max(
        to_utc(end, zone) - to_utc(start, zone)
        for start, end in map(_own_span, components)
        if start is not None and end is not None
    )
    return max(to_utc(rule["UNTIL"][0], zone) for rule in rules) + longest + PAD


def _last_end(calendar: Calendar, name: str, zone: ZoneInfo, first: datetime) -> datetime | None:
    """End of the last occurrence of a finite recurrence, or None if it cannot be told.

    When expanding would cost too much, rules that all have UNTIL still give a bound.
    """
    original = calendar
    for horizon in _horizons(_components(original)[2], zone, first):
        calendar = copy.deepcopy(original)  # drop_never_firing() changes the rules
        components = _components(calendar)[2]
        try:
            for component in components:
                if rules_of(component):
                    drop_never_firing(component)
                    check_cost(component, horizon=horizon, budget=STEP_BUDGET)
            if not all(_count_finished(item, name, horizon) for item in components):
                continue
        except TooManyInstances:
            return _until_bound(_components(original)[2], zone)
        instances = expand(calendar, name=name, start=first - PAD, end=horizon + PAD)
        ends = [to_utc(_own_span(item)[1] or horizon, zone) for item in instances]
        return max(ends, default=None)
    return None


def describe(text: bytes | str, *, default_tz: str = "UTC") -> EventSummary:
    """Return the UID, component name and overall time range of one calendar object.

    ``text`` is what a CalDAV client stored: one VCALENDAR holding one UID (a recurring
    event may come with its overridden instances) and its VTIMEZONEs. Floating times and
    dates are read in ``default_tz``; for an index that must not depend on the zone,
    widen the range by a day on each side.

    Raises:
        InvalidCalendar: if ``text`` is not iCalendar, holds no component, mixes kinds or
            UIDs, or has unreadable times.
        ValueError: if ``default_tz`` is not an IANA zone.
    """
    zone = check_zone(default_tz, "default_tz")
    calendar = parse(text)
    uid, name, components = _components(calendar)
    starts: list[datetime] = []
    ends: list[datetime] = []
    for component in components:
        check_component(component)
        start, end = _own_span(component)
        if start is None or end is None:
            continue
        starts.append(to_utc(start, zone))
        ends.append(to_utc(end, zone))
        if isinstance(component, (Event, Todo, Journal)):
            length = to_utc(end, zone) - to_utc(start, zone)
            for rdate, rdate_end in component.rdates:
                starts.append(to_utc(rdate, zone))
                ends.append(to_utc(rdate_end, zone) if rdate_end else to_utc(rdate, zone) + length)
    if not starts:
        return EventSummary(uid=uid, component_name=name, start=None, end=None)
    first = min(starts)
    rules = [rule for component in components for rule in rules_of(component)]
    last: datetime | None = max(ends)
    if any(is_infinite(rule) for rule in rules):
        last = None
    elif rules:
        recurring_end = _last_end(calendar, name, zone, first)
        last = None if recurring_end is None else max(recurring_end, max(ends))
    return EventSummary(
        uid=uid,
        component_name=name,
        start=first.astimezone(UTC),
        end=None if last is None else last.astimezone(UTC),
    )
