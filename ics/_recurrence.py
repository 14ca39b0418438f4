"""Keeping the expansion of recurring events bounded.

recurring-ical-events hands every RRULE to dateutil, which walks the rule from DTSTART
until it passes the end of the range asked for. Two ways that walk can run away:

- a rule that fires every second and started a year ago costs 31 million steps before
  the window is even reached: :func:`check_cost` bounds the steps from DTSTART to a
  horizon from above, without expanding anything, and raises
  :class:`TooManyInstances` over budget;
- dateutil stops only at an instance past the range (or past UNTIL, or after COUNT of
  them), so a rule whose filters match nothing (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``)
  is walked to the year 9999, whatever its COUNT or UNTIL: :func:`drop_never_firing`
  removes such rules, and the event happens at DTSTART only, as RFC 5545 counts DTSTART
  as the first instance. Because the Gregorian calendar repeats every 400 years, a
  filter that matches nothing in 400 years matches nothing ever, which is cheap to test.

A rule that does fire reaches its next instance within one such cycle, so once both
checks pass the walk is bounded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dateutil.rrule import rrulestr
from icalendar import Component, vRecur

from .errors import InvalidCalendar, TooManyInstances

__all__ = ["check_cost", "drop_never_firing", "is_infinite", "period_seconds", "rules_of"]

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
        TooManyInstances: over budget, BYSETPOS with a period shorter than a month, or a
            period shorter than a day with both INTERVAL and BY filters (no bound on the
            walk is known for those, and calendar apps do not make them).
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
        filtered = any(name.startswith("BY") for name in rule)
        if interval > 1 and filtered and _FREQ_SECONDS[freq] < _FREQ_SECONDS["DAILY"]:
            raise TooManyInstances(
                f"recurring event {uid} is not expanded: FREQ={freq} with INTERVAL and "
                "filters can miss every instance and never stop",
                uid=uid,
                limit=budget,
            )
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
        if "COUNT" in rule and not filtered:
            # Every period yields an instance, so the walk ends after COUNT of them.
            steps = min(steps, int(rule["COUNT"][0]))
        if steps > budget:
            raise TooManyInstances(
                f"recurring event {uid} ({rule.to_ical().decode()}) may have about {steps} "
                f"instances before {horizon.isoformat()}, more than the {budget} allowed",
                uid=uid,
                limit=budget,
            )


def _no_instance(parts: dict[str, list[object]], start: date | datetime) -> bool:
    """True if the rule ``parts`` (no COUNT or UNTIL) fires nowhere in the 400 years that
    end in the year 9999, starting from the same place in the cycle as ``start``.

    Shifting by whole 400-year cycles moves DTSTART by whole days, weeks and months onto
    an identical calendar, so those years behave like the 400 years from ``start``, and
    the walk ends at 9999 rather than going on.

    Raises:
        InvalidCalendar: if dateutil rejects the rule.
    """
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    year = 10000 - _CYCLE_YEARS + start.year % _CYCLE_YEARS
    probe_start = start.replace(year=year, tzinfo=None)
    probe = vRecur(parts).to_ical().decode()
    try:
        return rrulestr(probe, dtstart=probe_start).after(probe_start, inc=True) is None
    except (ValueError, TypeError) as exc:
        raise InvalidCalendar(f"cannot read the recurrence rule {probe!r}: {exc}") from exc


def _never_fires(rule: vRecur, start: date | datetime) -> bool:
    """True if the rule's filters (BYMONTH, BYDAY, BYSETPOS...) and INTERVAL match nothing.

    Monthly and yearly rules are probed as they are (without COUNT and UNTIL). Shorter
    periods are first probed as a yearly rule over their day filter (every month listed,
    so that BYDAY ordinals keep meaning "within the month"), which is cheap; a daily or
    weekly rule with an INTERVAL can miss every matching day (every 7th day, on another
    weekday), so it is then probed as it is, over 400 years at most.

    Raises:
        InvalidCalendar: if dateutil rejects the rule.
    """
    period_seconds(rule)  # a missing or unknown FREQ is an error, not "never"
    freq = str(rule["FREQ"][0]).upper()
    as_is = {name: list(values) for name, values in rule.items() if name not in ("COUNT", "UNTIL")}
    if freq in _BYSETPOS_FREQS:
        return len(as_is) > 1 and _no_instance(as_is, start)
    days = {name: list(rule[name]) for name in _DAY_PARTS if name in rule}
    if not days:
        return False
    days.setdefault("BYMONTH", list(range(1, 13)))
    days.pop("BYWEEKNO", None)
    if _no_instance({"FREQ": ["YEARLY"], **days}, start):
        return True
    return freq in ("DAILY", "WEEKLY") and "INTERVAL" in rule and _no_instance(as_is, start)


def drop_never_firing(component: Component) -> None:
    """Remove the RRULEs of ``component`` whose filters can never match.

    Raises:
        InvalidCalendar: if a rule cannot be read.
    """
    start = _dtstart(component)
    rules = rules_of(component)
    kept = [rule for rule in rules if not _never_fires(rule, start)]
    if len(kept) != len(rules):
        component.pop("RRULE")
        for rule in kept:
            component.add("RRULE", rule)
