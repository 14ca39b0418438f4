"""describe(): the UID, kind and time range a CalDAV storage indexes an object by."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime
from typing import Any

import pytest

from ics import EventSummary, InvalidCalendar, describe, office_hours_items


def calendar(*components: str) -> str:
    return "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *components, "END:VCALENDAR", ""]
    )


def component(*lines: str, name: str = "VEVENT", uid: str = "u1@example.org") -> str:
    return "\r\n".join(
        [f"BEGIN:{name}", f"UID:{uid}", "DTSTAMP:20261201T000000Z", *lines, f"END:{name}"]
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def summary(start: datetime | None, end: datetime | None, name: str = "VEVENT") -> EventSummary:
    uid = "u1@example.org"
    return EventSummary(uid=uid, component_name=name, start=start, end=end)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["DTSTART:20270105T090000Z", "DTEND:20270105T100000Z"],
            summary(utc(2027, 1, 5, 9), utc(2027, 1, 5, 10)),
        ),
        (
            ["DTSTART;TZID=America/Los_Angeles:20270105T090000", "DURATION:PT90M"],
            summary(utc(2027, 1, 5, 17), utc(2027, 1, 5, 18, 30)),
        ),
        (  # all-day, read in default_tz (Europe/Berlin)
            ["DTSTART;VALUE=DATE:20270105"],
            summary(utc(2027, 1, 4, 23), utc(2027, 1, 5, 23)),
        ),
        (  # endless
            ["DTSTART:20270105T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY"],
            summary(utc(2027, 1, 5, 9), None),
        ),
        (
            ["DTSTART:20270105T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3"],
            summary(utc(2027, 1, 5, 9), utc(2027, 1, 19, 10)),
        ),
        (
            [
                "DTSTART;TZID=Europe/Berlin:20270105T090000",
                "DURATION:PT1H",
                "RRULE:FREQ=DAILY;UNTIL=20270110T080000Z",
            ],
            summary(utc(2027, 1, 5, 8), utc(2027, 1, 10, 9)),
        ),
        (
            ["DTSTART:20270105T090000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY;COUNT=5"],
            summary(utc(2027, 1, 5, 9), utc(2027, 1, 5, 9, 0, 5)),
        ),
        (  # too many to expand, but UNTIL still bounds it (plus slack)
            [
                "DTSTART:20270105T090000Z",
                "DURATION:PT1S",
                "RRULE:FREQ=SECONDLY;UNTIL=20280105T090000Z",
            ],
            summary(utc(2027, 1, 5, 9), utc(2028, 1, 7, 9, 0, 1)),
        ),
        (  # too many to expand and no UNTIL: unbounded
            [
                "DTSTART:20270105T090000Z",
                "DURATION:PT1S",
                "RRULE:FREQ=SECONDLY;COUNT=900000;BYMINUTE=1",
            ],
            summary(utc(2027, 1, 5, 9), None),
        ),
        (  # a rule that never fires: DTSTART only
            [
                "DTSTART:20270105T090000Z",
                "DURATION:PT1H",
                "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5",
            ],
            summary(utc(2027, 1, 5, 9), utc(2027, 1, 5, 10)),
        ),
        (
            ["DTSTART:20270105T090000Z", "DURATION:PT1H", "RDATE:20270301T090000Z"],
            summary(utc(2027, 1, 5, 9), utc(2027, 3, 1, 10)),
        ),
    ],
)
def test_events(lines: list[str], expected: EventSummary) -> None:
    started = clock.perf_counter()
    assert describe(calendar(component(*lines)), default_tz="Europe/Berlin") == expected
    assert clock.perf_counter() - started < 2


def test_an_override_beyond_the_series_extends_the_range() -> None:
    text = calendar(
        component("DTSTART:20270105T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3"),
        component("RECURRENCE-ID:20270119T090000Z", "DTSTART:20270125T090000Z", "DURATION:PT1H"),
    )
    assert describe(text) == summary(utc(2027, 1, 5, 9), utc(2027, 1, 25, 10))


def test_todos_and_journals() -> None:
    assert describe(calendar(component("SUMMARY:someday", name="VTODO"))) == summary(
        None, None, "VTODO"
    )
    due = calendar(component("DUE:20270101T100000Z", name="VTODO"))
    assert describe(due) == summary(utc(2027, 1, 1, 10), utc(2027, 1, 1, 10), "VTODO")
    journal = calendar(component("DTSTART;VALUE=DATE:20270101", name="VJOURNAL"))
    assert describe(journal, default_tz="UTC") == summary(
        utc(2027, 1, 1), utc(2027, 1, 2), "VJOURNAL"
    )


def test_generated_office_hours_describe_as_endless(samples: Any) -> None:
    items = office_hours_items(**samples.office_hours)
    weekly = describe(items[0].ics)
    assert weekly.uid == items[0].uid
    assert weekly.start == utc(2027, 3, 15, 16)
    assert weekly.end is None
    extra = describe(items[2].ics)
    assert (extra.start, extra.end) == (utc(2027, 3, 17, 15), utc(2027, 3, 17, 17))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense", "not valid iCalendar"),
        (calendar(), "no component"),
        (
            calendar(component("DTSTART:20270105T090000Z"), component(name="VTODO")),
            "one kind of component",
        ),
        (
            calendar(
                component("DTSTART:20270105T090000Z"),
                component("DTSTART:20270106T090000Z", uid="u2@example.org"),
            ),
            "exactly one UID",
        ),
        (calendar("BEGIN:VEVENT\r\nDTSTART:20270105T090000Z\r\nEND:VEVENT"), "exactly one UID"),
        (calendar(component("DTSTART:garbage")), "unreadable DTSTART"),
    ],
)
def test_unusable_objects_raise_invalid_calendar(text: str, message: str) -> None:
    with pytest.raises(InvalidCalendar, match=message):
        describe(text)
