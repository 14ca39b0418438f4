"""Busy intervals from a coach's own events, as calendar apps store them."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ics import InvalidCalendar, TooManyInstances, busy_intervals

WINDOW = {
    "window_start": datetime(2027, 1, 1, tzinfo=UTC),
    "window_end": datetime(2027, 2, 1, tzinfo=UTC),
}


def calendar(*components: str) -> str:
    """A VCALENDAR around the given components; each is a list of content lines."""
    return "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *components, "END:VCALENDAR", ""]
    )


def vevent(*lines: str, uid: str = "event@example.org") -> str:
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261201T000000Z", *lines, "END:VEVENT"]
    )


def busy(text: str | bytes, *, default_tz: str = "Europe/Berlin", **kwargs: Any) -> list[Any]:
    return busy_intervals(text, **{**WINDOW, **kwargs}, default_tz=default_tz)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def test_single_event_with_a_zone() -> None:
    text = calendar(
        vevent(
            "DTSTART;TZID=America/Los_Angeles:20270105T090000",
            "DTEND;TZID=America/Los_Angeles:20270105T100000",
            "SUMMARY:Dentist",
        )
    )
    assert busy(text) == [(utc(2027, 1, 5, 17), utc(2027, 1, 5, 18))]
    assert busy(text.encode("utf-8")) == busy(text)


def test_weekly_series_with_exdate_rdate_and_an_overridden_instance() -> None:
    text = calendar(
        vevent(
            "DTSTART;TZID=Europe/Berlin:20270104T090000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;BYDAY=MO",
            "EXDATE;TZID=Europe/Berlin:20270111T090000",
            "RDATE;TZID=Europe/Berlin:20270113T150000",
        ),
        vevent(
            "RECURRENCE-ID;TZID=Europe/Berlin:20270118T090000",
            "DTSTART;TZID=Europe/Berlin:20270118T140000",
            "DTEND;TZID=Europe/Berlin:20270118T143000",
        ),
        vevent(
            "RECURRENCE-ID;TZID=Europe/Berlin:20270125T090000",
            "DTSTART;TZID=Europe/Berlin:20270125T090000",
            "DTEND;TZID=Europe/Berlin:20270125T100000",
            "STATUS:CANCELLED",
        ),
    )
    assert busy(text) == [
        (utc(2027, 1, 4, 8), utc(2027, 1, 4, 9)),
        # 11 January is excluded
        (utc(2027, 1, 13, 14), utc(2027, 1, 13, 15)),  # RDATE
        (utc(2027, 1, 18, 13), utc(2027, 1, 18, 13, 30)),  # moved and shortened
        # 25 January: this instance alone is cancelled
    ]


def test_all_day_event_is_busy_all_day_in_the_default_zone() -> None:
    text = calendar(vevent("DTSTART;VALUE=DATE:20270106", "DTEND;VALUE=DATE:20270108"))
    assert busy(text) == [(utc(2027, 1, 5, 23), utc(2027, 1, 7, 23))]
    assert busy(text, default_tz="America/Los_Angeles") == [
        (utc(2027, 1, 6, 8), utc(2027, 1, 8, 8))
    ]


def test_all_day_event_without_end_lasts_one_day() -> None:
    text = calendar(vevent("DTSTART;VALUE=DATE:20270106"))
    assert busy(text, default_tz="UTC") == [(utc(2027, 1, 6), utc(2027, 1, 7))]


def test_floating_time_is_read_in_the_default_zone() -> None:
    text = calendar(vevent("DTSTART:20270105T090000", "DTEND:20270105T100000"))
    assert busy(text) == [(utc(2027, 1, 5, 8), utc(2027, 1, 5, 9))]
    assert busy(text, default_tz="Asia/Kolkata") == [
        (utc(2027, 1, 5, 3, 30), utc(2027, 1, 5, 4, 30))
    ]


@pytest.mark.parametrize("line", ["TRANSP:TRANSPARENT", "STATUS:CANCELLED"])
def test_transparent_and_cancelled_events_are_free(line: str) -> None:
    text = calendar(vevent("DTSTART:20270105T090000Z", "DTEND:20270105T100000Z", line))
    assert busy(text) == []


def test_tentative_opaque_events_are_busy() -> None:
    text = calendar(
        vevent(
            "DTSTART:20270105T090000Z",
            "DTEND:20270105T100000Z",
            "STATUS:TENTATIVE",
            "TRANSP:OPAQUE",
        )
    )
    assert busy(text) == [(utc(2027, 1, 5, 9), utc(2027, 1, 5, 10))]


def test_todos_journals_and_instants_are_not_busy() -> None:
    text = calendar(
        "\r\n".join(
            [
                "BEGIN:VTODO",
                "UID:t",
                "DTSTART:20270105T090000Z",
                "DUE:20270105T170000Z",
                "END:VTODO",
            ]
        ),
        "\r\n".join(["BEGIN:VJOURNAL", "UID:j", "DTSTART:20270105T090000Z", "END:VJOURNAL"]),
        vevent("DTSTART:20270105T090000Z", uid="instant"),
    )
    assert busy(text) == []


def test_only_instances_overlapping_the_window_count_and_are_not_clipped() -> None:
    text = calendar(
        vevent("DTSTART:20261231T230000Z", "DTEND:20270101T010000Z", uid="across-start"),
        vevent("DTSTART:20261230T090000Z", "DTEND:20261230T100000Z", uid="before"),
        vevent("DTSTART:20270201T000000Z", "DTEND:20270201T010000Z", uid="at-end"),
    )
    assert busy(text) == [(utc(2026, 12, 31, 23), utc(2027, 1, 1, 1))]


def test_custom_vtimezone_from_another_app() -> None:
    text = calendar(
        "\r\n".join(
            [
                "BEGIN:VTIMEZONE",
                "TZID:Custom Pacific",
                "BEGIN:STANDARD",
                "DTSTART:16011104T020000",
                "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
                "TZOFFSETFROM:-0700",
                "TZOFFSETTO:-0800",
                "END:STANDARD",
                "BEGIN:DAYLIGHT",
                "DTSTART:16010311T020000",
                "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
                "TZOFFSETFROM:-0800",
                "TZOFFSETTO:-0700",
                "END:DAYLIGHT",
                "END:VTIMEZONE",
            ]
        ),
        vevent(
            'DTSTART;TZID="Custom Pacific":20270105T090000',
            'DTEND;TZID="Custom Pacific":20270105T100000',
        ),
    )
    assert busy(text) == [(utc(2027, 1, 5, 17), utc(2027, 1, 5, 18))]


def test_a_secondly_rule_from_long_ago_is_refused_at_once() -> None:
    text = calendar(vevent("DTSTART:20260101T000000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY"))
    started = clock.perf_counter()
    with pytest.raises(TooManyInstances, match=r"event@example\.org") as raised:
        busy(text)
    assert clock.perf_counter() - started < 1
    assert raised.value.uid == "event@example.org"
    assert raised.value.limit == 100 * 1000


def test_a_minutely_rule_in_the_window_is_capped_at_max_instances() -> None:
    text = calendar(vevent("DTSTART:20270105T000000Z", "DURATION:PT30S", "RRULE:FREQ=MINUTELY"))
    window: dict[str, Any] = {"window_start": utc(2027, 1, 5), "window_end": utc(2027, 1, 6)}
    with pytest.raises(TooManyInstances, match="more than 1000 instances") as raised:
        busy(text, **window)
    assert raised.value.limit == 1000
    assert len(busy(text, **window, max_instances=1440)) == 1440


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # never matches: walked to 9999 otherwise
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31;COUNT=2",
        "FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2",
        "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=DAILY;INTERVAL=7;BYDAY=WE",  # every 7th day from a Tuesday
        "FREQ=MONTHLY;INTERVAL=12;BYMONTH=2",  # every 12th month from January
    ],
)
def test_a_rule_that_never_fires_costs_nothing(rule: str) -> None:
    text = calendar(vevent("DTSTART:20270105T090000Z", "DURATION:PT1H", f"RRULE:{rule}"))
    started = clock.perf_counter()
    assert busy(text) == [(utc(2027, 1, 5, 9), utc(2027, 1, 5, 10))]  # DTSTART only
    assert clock.perf_counter() - started < 1


def test_a_short_counted_secondly_rule_is_fine() -> None:
    text = calendar(
        vevent("DTSTART:20261201T090000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY;COUNT=3")
    )
    assert busy(text, window_start=utc(2026, 12, 1)) == [
        (utc(2026, 12, 1, 9, 0, second), utc(2026, 12, 1, 9, 0, second + 1)) for second in range(3)
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY;BYMONTHDAY=1;BYSETPOS=2", "BYSETPOS"),
        ("FREQ=DAILY;BYSETPOS=2", "BYSETPOS"),
        ("FREQ=MINUTELY;INTERVAL=2;BYMINUTE=1", "INTERVAL and filters"),
    ],
)
def test_rules_without_a_known_bound_are_refused(rule: str, message: str) -> None:
    text = calendar(vevent("DTSTART:20270105T090000Z", "DURATION:PT1S", f"RRULE:{rule}"))
    started = clock.perf_counter()
    with pytest.raises(TooManyInstances, match=message):
        busy(text, max_instances=100_000)
    assert clock.perf_counter() - started < 1


def test_a_long_but_sane_series_is_fine() -> None:
    text = calendar(
        vevent("DTSTART;VALUE=DATE:19500105", "RRULE:FREQ=YEARLY", uid="birthday"),
        vevent("DTSTART:19900101T090000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY", uid="daily"),
    )
    result = busy(text, default_tz="UTC")
    assert (utc(2027, 1, 5), utc(2027, 1, 6)) in result
    assert len(result) == 31 + 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello world", "not valid iCalendar"),
        ("", "empty"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (vevent("DTSTART:20270105T090000Z"), "expected a VCALENDAR"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "not valid iCalendar"),
        (calendar() + calendar(), "not valid iCalendar"),
        (calendar(vevent("DTSTART:tomorrow", "DURATION:PT1H")), "unreadable DTSTART"),
        (calendar(vevent("DTSTART:20270105T090000Z", "RRULE:FREQ=SOMETIMES")), "RRULE"),
        (calendar(vevent("DTSTART:20270105T090000Z", "RRULE:FREQ=DAILY;INTERVAL=0")), "INTERVAL"),
        (calendar(vevent("DTSTART:20270105T090000Z", "RRULE:COUNT=3;BYDAY=MO")), "FREQ"),
        (calendar(vevent("SUMMARY:no start")), "no DTSTART"),
        (
            calendar(vevent("DTSTART;VALUE=DATE:20270105", "DTEND:20270106T090000Z")),
            "differ in kind",
        ),
        (
            calendar(vevent("DTSTART:20270105T090000Z", "DTEND:20270104T090000Z")),
            "DTEND is before DTSTART",
        ),
    ],
)
def test_garbage_raises_invalid_calendar(text: str | bytes, message: str) -> None:
    with pytest.raises(InvalidCalendar, match=message):
        busy(text)


def test_invalid_calendar_is_a_value_error() -> None:
    assert issubclass(InvalidCalendar, ValueError)
    assert issubclass(TooManyInstances, ValueError)
    assert not issubclass(TooManyInstances, InvalidCalendar)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_start": datetime(2027, 1, 1)}, "window_start must be a timezone-aware"),
        ({"window_end": utc(2026, 1, 1)}, "window_end must be after"),
        ({"max_instances": 0}, "max_instances"),
        ({"default_tz": "Atlantis/Capital"}, "default_tz is not a known"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {**WINDOW, "default_tz": "UTC", **kwargs}
    with pytest.raises(ValueError, match=message):
        busy_intervals(calendar(vevent("DTSTART:20270105T090000Z")), **arguments)


def test_window_can_be_in_any_zone() -> None:
    text = calendar(vevent("DTSTART:20270105T090000Z", "DTEND:20270105T100000Z"))
    berlin = timedelta(hours=1)
    result = busy_intervals(
        text,
        window_start=datetime(2027, 1, 5, 10, 30, tzinfo=UTC).astimezone(),
        window_end=datetime(2027, 1, 5, 12, tzinfo=UTC) + berlin,
        default_tz="UTC",
    )
    assert result == []
