"""Independent validators accept every output: libical (iTIP restrictions) and vobject.

libical runs under the system Python (see libical_check.py); the checks fail, never
skip, when it is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import vobject
from icalendar import Calendar

LibicalCheck = Callable[[bytes], dict[str, Any]]


def test_every_invite_passes_libical_itip_restrictions(
    invite_name: str, invites: dict[str, Callable[[], bytes]], libical: LibicalCheck
) -> None:
    data = invites[invite_name]()
    assert b"METHOD:" in data
    report = libical(data)
    assert report["ok"], report


def test_every_output_passes_libical(
    output_name: str, outputs: dict[str, Callable[[], bytes]], libical: LibicalCheck
) -> None:
    report = libical(outputs[output_name]())
    assert report["ok"], report


def _without(data: bytes, name: str) -> bytes:
    calendar = Calendar.from_ical(data)
    for event in calendar.walk("VEVENT"):
        event.pop(name)
    return calendar.to_ical()


def _replace_method(data: bytes, method: str) -> bytes:
    calendar = Calendar.from_ical(data)
    calendar.pop("METHOD")
    calendar.add("METHOD", method)
    return calendar.to_ical()


@pytest.mark.parametrize(
    ("name", "break_it", "complaint"),
    [
        (
            "rfc5546_request/booked_coach.ics",
            lambda data: _without(data, "ORGANIZER"),
            "ORGANIZER",
        ),
        ("rfc5546_cancel/cancelled.ics", lambda data: _without(data, "SEQUENCE"), "SEQUENCE"),
        ("rfc5546_cancel/cancelled.ics", lambda data: _without(data, "ORGANIZER"), "ORGANIZER"),
        (
            "rfc5546_request/booked_coach.ics",
            lambda data: _replace_method(data, "PUBLISH"),
            "ATTENDEE",
        ),
    ],
    ids=[
        "request-without-organizer",
        "cancel-without-sequence",
        "cancel-without-organizer",
        "publish-with-attendee",
    ],
)
def test_libical_check_reports_a_broken_invite(
    name: str,
    break_it: Callable[[bytes], bytes],
    complaint: str,
    outputs: dict[str, Callable[[], bytes]],
    libical: LibicalCheck,
) -> None:
    """The check can fail: a deliberately broken invite is reported, with the reason."""
    good = outputs[name]()
    assert libical(good)["ok"]
    report = libical(break_it(good))
    assert not report["ok"]
    assert not report["restriction_ok"]
    assert any(complaint in error for error in report["restriction_errors"]), report


@pytest.mark.parametrize(
    "data",
    [
        b"garbage\r\n",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:x\r\n"
        b"DTSTAMP:20270101T000000Z\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ],
    ids=["not-icalendar", "bad-dtstart"],
)
def test_libical_check_reports_unparsable_data(data: bytes, libical: LibicalCheck) -> None:
    report = libical(data)
    assert not report["ok"]
    assert report["parse_errors"]


def test_every_output_passes_vobject_validation(
    output_name: str, outputs: dict[str, Callable[[], bytes]]
) -> None:
    text = outputs[output_name]().decode("utf-8")
    calendar = vobject.readOne(text)
    calendar.validate()
    again = vobject.readOne(calendar.serialize())
    again.validate()
    ours = Calendar.from_ical(text)
    assert sorted(event.uid.value for event in again.contents.get("vevent", [])) == sorted(
        str(event["UID"]) for event in ours.walk("VEVENT")
    )
    for theirs, mine in zip(
        sorted(again.contents.get("vevent", []), key=lambda event: event.uid.value),
        sorted(ours.events, key=lambda event: str(event["UID"])),
        strict=True,
    ):
        assert theirs.summary.value == mine["SUMMARY"]
        assert theirs.dtstart.value == mine.start
        assert theirs.dtend.value == mine.end
