"""Office hours as recurring events: the instances a calendar app would show."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from ics import (
    DatedException,
    WeeklyRule,
    busy_intervals,
    exception_uid,
    item_key,
    office_hours_calendar,
    office_hours_items,
    rule_uid,
)

LA = ZoneInfo("America/Los_Angeles")


def _instances(data: bytes, start: date, end: date) -> list[tuple[datetime, datetime]]:
    calendar = Calendar.from_ical(data)
    return sorted(
        (event.start, event.end) for event in recurring_ical_events.of(calendar).between(start, end)
    )


def _local(day: int, start: str, end: str, month: int = 3) -> tuple[datetime, datetime]:
    begin = datetime.combine(date(2027, month, day), time.fromisoformat(start), LA)
    return begin, datetime.combine(begin.date(), time.fromisoformat(end), LA)


def test_expanded_hours_follow_rules_and_exceptions(samples: Any) -> None:
    data = office_hours_calendar(**samples.office_hours)
    assert _instances(data, date(2027, 3, 8), date(2027, 3, 29)) == [
        _local(10, "13:00", "18:30"),  # first Wednesday on/after `since` (10 March)
        # Monday 15 March is a day off.
        _local(17, "08:00", "10:00"),  # Wednesday 17: two exception intervals replace
        _local(17, "14:00", "16:00"),  # the weekly 13:00-18:30.
        _local(20, "10:00", "12:00"),  # Saturday 20: extra hours.
        _local(22, "09:00", "17:00"),
        _local(24, "13:00", "18:30"),
    ]


def test_local_hours_stay_put_across_dst(samples: Any) -> None:
    rules = (WeeklyRule(weekday=1, start=time(9), end=time(17)),)
    data = office_hours_calendar(**{**samples.office_hours, "rules": rules, "exceptions": ()})
    starts = [start for start, _ in _instances(data, date(2027, 11, 1), date(2027, 11, 9))]
    assert [start.astimezone(LA).time() for start in starts] == [time(9), time(9)]
    assert [start.astimezone(UTC).hour for start in starts] == [16, 17]  # PDT, then PST


def test_events_are_transparent_weekly_and_in_the_coach_zone(samples: Any) -> None:
    calendar = Calendar.from_ical(office_hours_calendar(**samples.office_hours))
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Los_Angeles"]
    for event in calendar.walk("VEVENT"):
        assert event["TRANSP"] == "TRANSPARENT"
        assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
        assert event["SUMMARY"] == "Office hours"
    weekly = [event for event in calendar.walk("VEVENT") if "RRULE" in event]
    assert [event["RRULE"].to_ical() for event in weekly] == [
        b"FREQ=WEEKLY;BYDAY=MO",
        b"FREQ=WEEKLY;BYDAY=WE",
    ]


def test_office_hours_are_not_busy_time(samples: Any) -> None:
    for item in office_hours_items(**samples.office_hours):
        assert (
            busy_intervals(
                item.ics,
                window_start=datetime(2027, 3, 1, tzinfo=UTC),
                window_end=datetime(2027, 4, 1, tzinfo=UTC),
                default_tz="America/Los_Angeles",
            )
            == []
        )


def test_items_hold_one_uid_each_with_stable_keys(samples: Any) -> None:
    items = office_hours_items(**samples.office_hours)
    assert [item.key for item in items] == [
        "jane-doe.office-hours.weekly-1-090000-170000.ics",
        "jane-doe.office-hours.weekly-3-130000-183000.ics",
        "jane-doe.office-hours.2027-03-17-080000-100000.ics",
        "jane-doe.office-hours.2027-03-17-140000-160000.ics",
        "jane-doe.office-hours.2027-03-20-100000-120000.ics",
    ]
    combined = Calendar.from_ical(office_hours_calendar(**samples.office_hours))
    assert [str(event["UID"]) for event in combined.walk("VEVENT")] == [item.uid for item in items]
    for item in items:
        calendar = Calendar.from_ical(item.ics)
        assert {str(event["UID"]) for event in calendar.walk("VEVENT")} == {item.uid}
        assert item.key == item_key(item.uid)
        assert calendar.get_missing_tzids() == set()


def test_uids_change_only_when_the_rule_does(samples: Any) -> None:
    rule = WeeklyRule(weekday=2, start=time(9), end=time(12))
    uid = rule_uid("jane-doe", rule, uid_domain=samples.domain)
    assert uid == "jane-doe.office-hours.weekly-2-090000-120000@book.example.org"
    later = office_hours_items(
        **{
            **samples.office_hours,
            "rules": (rule,),
            "since": date(2027, 6, 1),
            "now": samples.now + timedelta(days=90),
            "exceptions": (DatedException(day=date(2027, 6, 8)),),
        }
    )
    assert [item.uid for item in later] == [uid]
    longer = WeeklyRule(weekday=2, start=time(9), end=time(13))
    assert rule_uid("jane-doe", longer, uid_domain=samples.domain) != uid
    extra = DatedException(day=date(2027, 6, 9), start=time(8), end=time(9))
    assert exception_uid("jane-doe", extra, uid_domain=samples.domain) == (
        "jane-doe.office-hours.2027-06-09-080000-090000@book.example.org"
    )


def test_a_day_off_on_the_first_occurrence_is_excluded(samples: Any) -> None:
    monday = next(
        item for item in office_hours_items(**samples.office_hours) if "weekly-1" in item.key
    )
    event = Calendar.from_ical(monday.ics).events[0]
    assert event.start == datetime(2027, 3, 15, 9, tzinfo=LA)
    assert event.exdates == [datetime(2027, 3, 15, 9, tzinfo=LA)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"coach_slug": "jane.doe"}, "coach_slug must be"),
        ({"coach_slug": "jane/doe"}, "coach_slug must be"),
        ({"coach_tz": "Mars/Base"}, "coach_tz is not a known"),
        ({"since": datetime(2027, 3, 10, tzinfo=UTC)}, "since must be a date"),
        ({"summary": ""}, "summary must not be blank"),
        ({"uid_domain": "-bad-"}, "uid_domain"),
        (
            {"rules": (WeeklyRule(weekday=1, start=time(9), end=time(10)),) * 2},
            "share the UID",
        ),
    ],
)
def test_bad_arguments_are_refused(samples: Any, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        office_hours_items(**{**samples.office_hours, **changes})


def test_a_day_off_has_no_uid(samples: Any) -> None:
    with pytest.raises(ValueError, match="day off"):
        exception_uid("jane-doe", DatedException(day=date(2027, 1, 1)), uid_domain="x.org")


def test_no_hours_give_no_items_and_a_calendar_with_only_the_zone(samples: Any) -> None:
    empty = {**samples.office_hours, "rules": (), "exceptions": ()}
    assert office_hours_items(**empty) == []
    calendar = Calendar.from_ical(office_hours_calendar(**empty))
    assert calendar.walk("VEVENT") == []
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Los_Angeles"]
