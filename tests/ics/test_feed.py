"""Subscribable feeds and single CalDAV items of appointments."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar, Event

from ics import appointment_item, busy_intervals, feed, item_key


def _as_text(raw: Any) -> str:
    """Decode a property the library reads back raw (NAME, X-WR-*) as the TEXT it is."""
    line = "SUMMARY:" + raw.to_ical().decode()
    event = Event.from_ical(f"BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n")
    return str(event["SUMMARY"])


def _feed(samples: Any, appointments: list[Any], **kwargs: Any) -> Calendar:
    arguments: dict[str, Any] = {
        "name": "Calls",
        "uid_domain": samples.domain,
        "tz": "America/Los_Angeles",
        "now": samples.now,
    }
    arguments.update(kwargs)
    return Calendar.from_ical(feed(appointments, **arguments))


def test_feed_lists_booked_calls_in_order_and_leaves_out_cancelled(samples: Any) -> None:
    calendar = _feed(
        samples, [samples.autumn, samples.cancelled, samples.other_client, samples.booked]
    )
    assert "METHOD" not in calendar
    events = calendar.walk("VEVENT")
    assert [event["UID"] for event in events] == [
        f"{appointment.token}@{samples.domain}"
        for appointment in (samples.booked, samples.other_client, samples.autumn)
    ]
    assert all(event["STATUS"] == "CONFIRMED" for event in events)
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Los_Angeles"]


def test_feed_properties(samples: Any) -> None:
    calendar = _feed(
        samples,
        [samples.booked],
        name='Zoë\'s calls; "all", of them',
        description="Read-only\nupdated hourly",
        refresh=timedelta(minutes=30),
    )
    for name in ("NAME", "X-WR-CALNAME"):
        assert _as_text(calendar[name]) == 'Zoë\'s calls; "all", of them'
    assert calendar["DESCRIPTION"] == "Read-only\nupdated hourly"
    assert _as_text(calendar["X-WR-CALDESC"]) == "Read-only\nupdated hourly"
    assert calendar.refresh_interval == timedelta(minutes=30)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    data = calendar.to_ical()
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT30M\r\n" in data
    assert b"X-PUBLISHED-TTL:PT30M\r\n" in data
    assert b"X-WR-TIMEZONE:America/Los_Angeles\r\n" in data


def test_x_wr_timezone_is_optional(samples: Any) -> None:
    assert "X-WR-TIMEZONE" not in _feed(samples, [samples.booked], x_wr_timezone=False)


def test_an_empty_feed_still_holds_a_component(samples: Any) -> None:
    calendar = _feed(samples, [samples.cancelled], tz="Europe/London")
    assert calendar.walk("VEVENT") == []
    assert [zone.tz_name for zone in calendar.timezones] == ["Europe/London"]
    calendar.validate()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " "}, "name must not be blank"),
        ({"refresh": timedelta(0)}, "refresh must be a positive"),
        ({"tz": "Nowhere/Land"}, "not a known IANA"),
    ],
)
def test_feed_refuses_bad_arguments(samples: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _feed(samples, [samples.booked], **kwargs)


def test_appointment_item_is_one_event_without_method(samples: Any) -> None:
    data = appointment_item(samples.booked, uid_domain=samples.domain, tz="Europe/London")
    calendar = Calendar.from_ical(data)
    assert "METHOD" not in calendar
    (event,) = calendar.walk("VEVENT")
    assert event["UID"] == f"{samples.booked.token}@{samples.domain}"
    assert item_key(str(event["UID"])) == f"{samples.booked.token}.ics"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_a_generated_item_reads_back_as_busy_time(samples: Any) -> None:
    """What we write, our own reader understands: the call is busy, exactly."""
    data = appointment_item(samples.booked, uid_domain=samples.domain, tz="Europe/London")
    busy = busy_intervals(
        data,
        window_start=samples.booked.start - timedelta(days=1),
        window_end=samples.booked.end + timedelta(days=1),
        default_tz="UTC",
    )
    assert busy == [(samples.booked.start, samples.booked.end)]
    cancelled = replace(samples.booked, status="cancelled", revision=2)
    data = appointment_item(cancelled, uid_domain=samples.domain, tz="Europe/London")
    assert (
        busy_intervals(
            data,
            window_start=samples.booked.start - timedelta(days=1),
            window_end=samples.booked.end + timedelta(days=1),
            default_tz="UTC",
        )
        == []
    )
