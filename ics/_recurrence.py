"""Keeping the expansion of recurring events bounded.

recurring-ical-events hands every RRULE to dateutil, which walks the rule from DTSTART:
a rule that fires every second and started a year ago costs 31 million steps before the
window is even reached, and a rule that can never fire (``FREQ=SECONDLY;BYMONTH=2;
BYMONTHDAY=31``) is walked to the year 9999, COUNT or not. Two defences, applied to a
calendar before it is expanded:

- :func:`check_cost` bounds the steps from DTSTART to a horizon from above, without
  expanding anything, and raises :class:`TooManyInstances` over budget;
- :func:`clamp` gives every RRULE an UNTIL no later than that horizon, so no walk goes
  past it. COUNT is kept (dateutil stops at whichever comes first), so the instances
  before the horizon are exactly the rule's.

dateutil only looks at UNTIL when it finds an instance, so a rule whose day filter
matches no day at all would still be walked to the year 9999; :func:`clamp` drops such
rules (the event then happens at DTSTART only, as RFC 5545 counts DTSTART as the first
instance). Because the Gregorian calendar repeats every 400 years, a day filter that
matches nothing in 400 years matches nothing ever, and that is cheap to test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dateutil.rrule import rrulestr
from icalendar import Component, vRecur

from .errors import InvalidCalendar, TooManyInstances

__all__ = ["check_cost", "clamp", "is_infinite", "period_seconds", "rules_of"]

_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_DAY_PARTS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")
_TIME_PARTS = (("BYHOUR", 3600), ("BYMINUTE", 60), ("BYSECOND", 1))
# BYSETPOS picks from each period's set; with short periods an impossible pick makes
# dateutil try every second, or every day, until the year 9999.
_BYSETPOS_FREQS = ("MONTHLY", "YEARLY")
_CYCLE_YEARS = 400


def rules_of(component: Component) -> list[vRecur]:
    """Return the component's RRULE values (there may be several, or none)."""
    value = component.get("RRULE")
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def is_infinite(rule: vRecur) -> bool:
    """True when ``rule`` has neither COUNT nor UNTIL."""
    return "COUNT" not in rule and "UNTIL" not in rule


def period_seconds(rule: vRecur) -> int:
    """The length of the rule's FREQ in seconds (28 days for a month, 365 for a year).

    Raises:
        InvalidCalendar: for a missing or unknown FREQ.
    """
    freq = str(rule.get("FREQ", [""])[0]).upper()
    if freq not in _FREQ_SECONDS:
        raise InvalidCalendar(f"RRULE has no usable FREQ: {rule.to_ical()!r}")
    return _FREQ_SECONDS[freq]


def _naive_utc(value: date | datetime) -> datetime:
    """A comparable point in time; floating times are taken as UTC, close enough here."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _granularity(rule: vRecur, freq: str) -> int:
    """Seconds between two instances at the least: no rule fires more often than this."""
    seconds = _FREQ_SECONDS[freq]
    if any(part in rule for part in _DAY_PARTS):
        seconds = min(seconds, 86400)
    for part, unit in _TIME_PARTS:
        if part in rule:
            seconds = min(seconds, unit)
    return seconds


def _dtstart(component: Component) -> date | datetime:
    value = component.get("DTSTART")
    if value is None:
        raise InvalidCalendar(f"{component.name} {component.get('UID')} has RRULE but no DTSTART")
    start: date | datetime = value.dt
    return start


def check_cost(component: Component, *, horizon: datetime, budget: int) -> None:
    """Raise :class:`TooManyInstances` if expanding up to ``horizon`` may exceed ``budget``.

    The bound is the time from DTSTART to the horizon (or UNTIL) divided by the shortest
    gap the rule allows between instances, which also bounds dateutil's own steps.

    Raises:
        TooManyInstances: over budget, or BYSETPOS with a period shorter than a month.
        InvalidCalendar: for an RRULE without FREQ, with an unknown FREQ or a bad INTERVAL.
    """
    uid = str(component.get("UID", ""))
    start = _naive_utc(_dtstart(component))
    for rule in rules_of(component):
        freq = str(rule.get("FREQ", [""])[0]).upper()
        if freq not in _FREQ_SECONDS:
            raise InvalidCalendar(f"RRULE of {uid} has no usable FREQ: {rule.to_ical()!r}")
        try:
            interval = int(rule.get("INTERVAL", [1])[0])
        except (TypeError, ValueError) as exc:
            raise InvalidCalendar(f"RRULE of {uid} has a bad INTERVAL") from exc
        if interval < 1:
            raise InvalidCalendar(f"RRULE of {uid} has INTERVAL below 1")
        if "BYSETPOS" in rule and freq not in _BYSETPOS_FREQS:
            raise TooManyInstances(
                f"recurring event {uid} is not expanded: BYSETPOS with FREQ={freq} can take "
                "an unbounded number of steps",
                uid=uid,
                limit=budget,
            )
        end = _naive_utc(horizon)
        if "UNTIL" in rule:
            end = min(end, _naive_utc(rule["UNTIL"][0]))
        span = (end - start).total_seconds()
        steps = int(max(span, 0) // _granularity(rule, freq)) + 1
        if "COUNT" in rule and not any(name.startswith("BY") for name in rule):
            # Every period yields an instance, so the walk ends after COUNT of them.
            steps = min(steps, int(rule["COUNT"][0]))
        if steps > budget:
            raise TooManyInstances(
                f"recurring event {uid} ({rule.to_ical().decode()}) may have about {steps} "
                f"instances before {horizon.isoformat()}, more than the {budget} allowed",
                uid=uid,
                limit=budget,
            )


def _never_fires(rule: vRecur, start: date | datetime) -> bool:
    """True if the rule's filters (BYMONTH, BYMONTHDAY, BYDAY, BYSETPOS...) match nothing.

    Tested over the last 400-year cycle before the year 9999, from the same place in the
    cycle as ``start``, without COUNT, UNTIL and INTERVAL (fewer limits, so an empty
    result is conclusive). Monthly and yearly rules are tested as they are; shorter
    periods are tested as a yearly rule over their day filter (every month listed, so
    that BYDAY ordinals keep meaning "within the month"), which is how they are cheap.

    Raises:
        InvalidCalendar: if dateutil rejects the rule.
    """
    period_seconds(rule)  # a missing or unknown FREQ is an error, not "never"
    freq = str(rule["FREQ"][0]).upper()
    if freq in _BYSETPOS_FREQS:
        parts = {
            name: list(values)
            for name, values in rule.items()
            if name not in ("FREQ", "COUNT", "UNTIL", "INTERVAL")
        }
    else:
        parts = {name: list(rule[name]) for name in _DAY_PARTS if name in rule}
        if parts:
            parts.setdefault("BYMONTH", list(range(1, 13)))
            parts.pop("BYWEEKNO", None)
        freq = "YEARLY"
    if not parts:
        return False
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    year = 10000 - _CYCLE_YEARS + start.year % _CYCLE_YEARS
    probe_start = start.replace(year=year, tzinfo=None)
    probe = vRecur({"FREQ": [freq], **parts}).to_ical().decode()
    try:
        return rrulestr(probe, dtstart=probe_start).after(probe_start, inc=True) is None
    except (ValueError, TypeError) as exc:
        raise InvalidCalendar(f"cannot read the recurrence rule {probe!r}: {exc}") from exc


def clamp(component: Component, *, horizon: datetime) -> None:
    """Give each RRULE of ``component`` an UNTIL no later than ``horizon`` (aware).

    UNTIL takes DTSTART's form, as RFC 5545 section 3.3.10 asks: a DATE for all-day
    events, UTC for zoned times, a floating time for floating ones. Rules whose day
    filter can never match are removed.

    Raises:
        InvalidCalendar: if a rule cannot be read.
    """
    start = _dtstart(component)
    if not isinstance(start, datetime):
        limit: date | datetime = horizon.astimezone(UTC).date()
    elif start.tzinfo is None:
        limit = horizon.astimezone(UTC).replace(tzinfo=None)
    else:
        limit = horizon.astimezone(UTC)
    rules = rules_of(component)
    kept = [rule for rule in rules if not _never_fires(rule, start)]
    for rule in kept:
        if "UNTIL" not in rule or _naive_utc(rule["UNTIL"][0]) > _naive_utc(limit):
            rule["UNTIL"] = [limit]
    if len(kept) != len(rules):
        component.pop("RRULE")
        for rule in kept:
            component.add("RRULE", rule)
