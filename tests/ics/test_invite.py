"""iTIP invites and the download file, parsed back and checked field by field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event, vCalAddress

from ics import Person, addresses, appointment_uid, default_summary, download, invite, method_of
from ics.event import common_name


def _parse(data: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(data)
    events = calendar.events
    assert len(events) == 1
    return calendar, events[0]


def test_booked_is_a_request_with_organizer_attendee_and_sequence(samples: Any) -> None:
    booked = samples.booked
    calendar, event = _parse(invite(booked, uid_domain=samples.domain, tz="UTC", now=samples.now))
    assert calendar["METHOD"] == "REQUEST" == method_of(booked)
    assert event["UID"] == f"{booked.token}@{samples.domain}"
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CONFIRMED"
    assert event["TRANSP"] == "OPAQUE"
    assert event["URL"] == booked.url
    assert event["SUMMARY"] == default_summary(booked)
    assert event["SUMMARY"] == (
        'Coaching call: Zoë Ødegård with <script>alert(1)</script>, "Doe; Jr."'
    )
    assert event.DTSTAMP == samples.now
    assert event.start == booked.start
    assert event.end == booked.end

    organizer = event["ORGANIZER"]
    assert isinstance(organizer, vCalAddress)
    assert organizer == "mailto:coach@example.org"
    assert organizer.params["CN"] == samples.coach.name

    attendee = event["ATTENDEE"]
    assert isinstance(attendee, vCalAddress), "exactly one attendee"
    assert attendee == "mailto:zoe@example.org"
    assert attendee.params["CN"] == "Zoë Ødegård"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"


def test_a_move_keeps_the_uid_and_raises_the_sequence(samples: Any) -> None:
    first = _parse(invite(samples.booked, uid_domain=samples.domain, tz="UTC", now=samples.now))
    moved = _parse(invite(samples.moved, uid_domain=samples.domain, tz="UTC", now=samples.now))
    assert moved[0]["METHOD"] == "REQUEST"
    assert moved[1]["UID"] == first[1]["UID"]
    assert moved[1].sequence > first[1].sequence
    assert moved[1].start == samples.moved.start != first[1].start


def test_a_cancellation_is_cancel_with_the_same_uid_and_a_higher_sequence(samples: Any) -> None:
    cancelled = samples.cancelled
    assert method_of(cancelled) == "CANCEL"
    calendar, event = _parse(
        invite(cancelled, uid_domain=samples.domain, tz=cancelled.client_tz, now=samples.now)
    )
    booked = _parse(invite(samples.moved, uid_domain=samples.domain, tz="UTC", now=samples.now))
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == booked[1]["UID"]
    assert event.sequence == 3 > booked[1].sequence
    assert event["ORGANIZER"] == "mailto:coach@example.org"
    assert event["ATTENDEE"] == "mailto:zoe@example.org"


@pytest.mark.parametrize("which", ["booked", "cancelled"])
def test_download_is_publish_without_attendee(samples: Any, which: str) -> None:
    appointment = getattr(samples, which)
    calendar, event = _parse(
        download(appointment, uid_domain=samples.domain, tz="UTC", now=samples.now)
    )
    assert calendar["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in event, "RFC 5546 section 3.2.1 allows no ATTENDEE in PUBLISH"
    assert event["UID"] == appointment_uid(appointment.token, uid_domain=samples.domain)
    assert event["SEQUENCE"] == appointment.revision
    assert event["STATUS"] == ("CONFIRMED" if which == "booked" else "CANCELLED")
    assert event["ORGANIZER"].params["CN"] == samples.coach.name


def test_times_are_given_in_the_zone_asked_for_with_its_vtimezone(samples: Any) -> None:
    booked = samples.booked
    for tz in (booked.coach_tz, booked.client_tz, "Asia/Kolkata"):
        calendar, event = _parse(invite(booked, uid_domain=samples.domain, tz=tz, now=samples.now))
        assert event["DTSTART"].params["TZID"] == tz
        assert event["DTEND"].params["TZID"] == tz
        assert [zone.tz_name for zone in calendar.timezones] == [tz]
        assert event.start == booked.start


def test_utc_needs_no_vtimezone(samples: Any) -> None:
    data = invite(samples.booked, uid_domain=samples.domain, tz="UTC", now=samples.now)
    calendar, _event = _parse(data)
    assert calendar.timezones == []
    assert b"DTSTART:20270315T160000Z\r\n" in data


def test_text_is_escaped_by_the_serializer(samples: Any) -> None:
    data = invite(samples.booked, uid_domain=samples.domain, tz="UTC", now=samples.now)
    unfolded = data.replace(b"\r\n ", b"")
    assert (
        'SUMMARY:Coaching call: Zoë Ødegård with <script>alert(1)</script>\\, "Doe\\; Jr."'.encode()
        in unfolded
    )
    # A quote cannot appear in a parameter value; RFC 6868 writes it as ^'.
    assert b"CN=\"<script>alert(1)</script>, ^'Doe; Jr.^'\"" in unfolded
    assert 'CN="Zoë Ødegård"'.encode() in unfolded


def test_a_summary_cannot_inject_properties(samples: Any) -> None:
    sneaky = replace(
        samples.booked,
        summary="Call\nATTENDEE:mailto:evil@example.com\nEND:VEVENT",
    )
    data = invite(sneaky, uid_domain=samples.domain, tz="UTC", now=samples.now)
    _calendar, event = _parse(data)
    assert event["SUMMARY"] == sneaky.summary
    assert event["ATTENDEE"] == "mailto:zoe@example.org"
    assert b"evil@example.com" not in data.replace(b"\r\n ", b"").split(b"\r\nATTENDEE")[-1]


_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60
).filter(lambda name: name.strip() != "")
# Any name the database may store (the shared rule of ics.addresses).
_names = _texts.filter(addresses.is_display_name)


@settings(max_examples=150, deadline=None)
@given(coach_name=_names, client_name=_names, summary=st.one_of(st.none(), _texts))
def test_any_names_survive_the_round_trip(
    samples: Any, coach_name: str, client_name: str, summary: str | None
) -> None:
    appointment = replace(
        samples.booked,
        coach=Person(name=coach_name, email="coach@example.org"),
        client=Person(name=client_name, email="client@example.org"),
        summary=summary,
    )
    for data in (
        invite(appointment, uid_domain=samples.domain, tz="Europe/London", now=samples.now),
        download(appointment, uid_domain=samples.domain, tz="Europe/London", now=samples.now),
    ):
        _calendar, event = _parse(data)
        assert event["SUMMARY"] == (summary or default_summary(appointment))
        assert event["ORGANIZER"].params["CN"] == common_name(coach_name)
        if "ATTENDEE" in event:
            assert event["ATTENDEE"].params["CN"] == common_name(client_name)


def test_a_backslash_in_a_name_cannot_cut_the_parameter_short(samples: Any) -> None:
    appointment = replace(samples.booked, client=Person(name="Zoë \\", email="z@example.org"))
    data = invite(appointment, uid_domain=samples.domain, tz="UTC", now=samples.now)
    _calendar, event = _parse(data)
    assert event["ATTENDEE"] == "mailto:z@example.org"
    assert event["ATTENDEE"].params["CN"] == "Zoë \u29f5"
    assert str(event["SUMMARY"]).startswith("Coaching call: Zoë \\ with")


def test_now_defaults_to_the_current_time(samples: Any) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    _calendar, event = _parse(invite(samples.booked, uid_domain=samples.domain, tz="UTC"))
    assert before <= event.DTSTAMP <= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "not a known IANA time zone"),
        ({"tz": ""}, "IANA time zone name"),
        ({"uid_domain": "not a domain"}, "uid_domain"),
        ({"uid_domain": "example.org/x"}, "uid_domain"),
        ({"now": datetime(2027, 3, 1, 12)}, "timezone-aware"),
    ],
)
def test_bad_arguments_are_refused(samples: Any, kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"uid_domain": samples.domain, "tz": "UTC", "now": samples.now}
    arguments.update(kwargs)
    for build in (invite, download):
        with pytest.raises(ValueError, match=message):
            build(samples.booked, **arguments)
