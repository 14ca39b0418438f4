"""Local times across DST changes, and VTIMEZONEs that say when the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard

from ics import invite
from ics._calendar import vtimezone


def _instant(value: date | datetime) -> datetime:
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def _lines(data: bytes) -> list[str]:
    return data.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")


@pytest.mark.parametrize(
    ("which", "tz", "start", "end"),
    [
        # LA has been on PDT since 14 March; London stays on GMT until 28 March: 7 hours.
        ("booked", "America/Los_Angeles", "20270315T090000", "20270315T100000"),
        ("booked", "Europe/London", "20270315T160000", "20270315T170000"),
        # London fell back on 31 October, LA on 7 November: 8 hours again.
        ("autumn", "America/Los_Angeles", "20271108T090000", "20271108T100000"),
        ("autumn", "Europe/London", "20271108T170000", "20271108T180000"),
    ],
)
def test_local_time_in_dtstart_for_coach_and_client(
    samples: Any, which: str, tz: str, start: str, end: str
) -> None:
    appointment = getattr(samples, which)
    data = invite(appointment, uid_domain=samples.domain, tz=tz, now=samples.now)
    lines = _lines(data)
    assert f"DTSTART;TZID={tz}:{start}" in lines
    assert f"DTEND;TZID={tz}:{end}" in lines
    event = Calendar.from_ical(data).events[0]
    assert _instant(event.start) == appointment.start.astimezone(UTC)


def test_the_same_instant_for_both_sides(samples: Any) -> None:
    booked = samples.booked
    starts = {
        _instant(
            Calendar.from_ical(invite(booked, uid_domain=samples.domain, tz=tz, now=samples.now))
            .events[0]
            .start
        )
        for tz in (booked.coach_tz, booked.client_tz)
    }
    assert starts == {datetime(2027, 3, 15, 16, 0, tzinfo=UTC)}


ZONES = [
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Dublin",  # negative DST in the tz source
    "Australia/Sydney",  # southern hemisphere
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",
    "America/Havana",  # changes at midnight
    "Africa/Casablanca",  # DST suspended for Ramadan
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Kolkata",  # no DST
]


def _onsets(timezone: Timezone) -> list[tuple[datetime, timedelta, timedelta]]:
    found = []
    observances: list[TimezoneStandard | TimezoneDaylight] = [
        *timezone.standard,
        *timezone.daylight,
    ]
    for observance in observances:
        for onset in [observance.DTSTART, *(rdate for rdate, _ in observance.rdates)]:
            found.append((onset, observance.TZOFFSETFROM, observance.TZOFFSETTO))
    return sorted(found)


@pytest.mark.parametrize("tzid", ZONES)
def test_vtimezone_onsets_are_the_real_transitions(tzid: str) -> None:
    """RFC 5545 reads an onset as local time in TZOFFSETFROM; each must be the instant the
    tz database changes the offset."""
    zone = ZoneInfo(tzid)
    first, last = date(2026, 1, 1), date(2029, 1, 1)
    timezone = vtimezone(tzid, first=first, last=last)
    assert "COMMENT" not in timezone
    onsets = _onsets(timezone)
    assert onsets[0][0] == datetime(2026, 1, 1)
    for onset, offset_from, offset_to in onsets[1:]:
        instant = (onset - offset_from).replace(tzinfo=UTC)
        assert (instant - timedelta(seconds=1)).astimezone(zone).utcoffset() == offset_from
        assert instant.astimezone(zone).utcoffset() == offset_to
    # ... and none is missing: count the offset changes hour by hour.
    changes = 0
    moment = datetime(2026, 1, 1, tzinfo=zone).astimezone(UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment < datetime(2029, 1, 1, tzinfo=UTC) - timedelta(days=1):
        moment += timedelta(minutes=30)
        offset = moment.astimezone(zone).utcoffset()
        changes += offset != previous
        previous = offset
    assert len(onsets) - 1 == changes


def test_vtimezone_gives_the_right_offsets_to_a_reader_that_uses_it() -> None:
    """Rename the zone so icalendar cannot look it up and must use our VTIMEZONE."""
    calendar = Calendar()
    timezone = vtimezone("America/Los_Angeles", first=date(2027, 1, 1), last=date(2028, 1, 1))
    timezone["TZID"] = "Custom/Pacific"
    calendar.add_component(timezone)
    data = calendar.to_ical().replace(b"END:VCALENDAR", b"")
    for local, utc in [
        ("20270314T013000", datetime(2027, 3, 14, 9, 30, tzinfo=UTC)),  # PST
        ("20270314T033000", datetime(2027, 3, 14, 10, 30, tzinfo=UTC)),  # just after: PDT
        ("20271107T003000", datetime(2027, 11, 7, 7, 30, tzinfo=UTC)),  # PDT
        ("20271107T023000", datetime(2027, 11, 7, 10, 30, tzinfo=UTC)),  # PST
    ]:
        text = (
            data + b"BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20270101T000000Z\r\n"
            b"DTSTART;TZID=Custom/Pacific:"
            + local.encode()
            + b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        event = Calendar.from_ical(text).events[0]
        assert _instant(event.start) == utc, local
