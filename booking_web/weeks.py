"""A week of a coach's free slots, grouped by day in the viewer's zone (booking and moving)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking_web import queries, timefmt
from booking_web.context import actor, clock, db, rules_now
from officehours import inputs
from officehours.booking import Slot


@dataclass(frozen=True)
class Day:
    """One day of the week page."""

    day: date
    label: str
    slots: list[Slot]


@dataclass(frozen=True)
class Week:
    """What the week template shows."""

    monday: date
    label: str
    days: list[Day]
    previous: date | None
    next: date | None
    count: int


def week_of(coach: str | None, week: str | None, zone: str) -> tuple[queries.CoachInfo, Week]:
    """The free slots of ``coach`` (None: the signed-in client's coach) in the week named by
    ``week`` (YYYY-MM-DD, any day of it; None or empty: this week), in ``zone``. Weeks before
    this one show this one, weeks beyond the booking horizon the last one. Raises InvalidInput
    for a bad week, and the errors of free_slots."""
    now = clock()
    this_monday = timefmt.week_start(timefmt.local(now, zone).date())
    monday = max(inputs.parse_week(week) if week else this_monday, this_monday)
    start, end = timefmt.week_bounds(monday, zone)
    info, slots = queries.coach_week(db(), actor(), coach, start, end, rules_now())
    last_monday = timefmt.week_start(timefmt.local(now + info.horizon, zone).date())
    if monday > last_monday:
        monday = last_monday
        start, end = timefmt.week_bounds(monday, zone)
        info, slots = queries.coach_week(db(), actor(), coach, start, end, rules_now())
    by_day: dict[date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(timefmt.local(slot.start, zone).date(), []).append(slot)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        noon = datetime.combine(day, datetime.min.time().replace(hour=12), start.tzinfo)
        days.append(Day(day, timefmt.day_text(noon, zone), by_day.get(day, [])))
    return info, Week(
        monday=monday,
        label=f"{monday.day} {monday:%B %Y}",
        days=days,
        previous=monday - timedelta(days=7) if monday > this_monday else None,
        next=monday + timedelta(days=7) if monday < last_monday else None,
        count=len(slots),
    )
