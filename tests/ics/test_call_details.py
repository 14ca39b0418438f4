"""How the call happens, in every iCalendar output: LOCATION, URL, DESCRIPTION and the RFC 7986
CONFERENCE property; the client's note in what the coach gets. Every kind of output still passes
libical's iTIP restriction check and round-trips through icalendar and vobject."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import vobject
from icalendar import Calendar

from ics import appointment_item, download, feed, invite
from ics.calls import CallDetails, clean_text, tel_uri
from tests.ics.conftest import BOOKED, CANCELLED, DOMAIN, MOVED, NOW

VIDEO = CallDetails(
    kind="video",
    value="https://meet.example.org/r/zoe?pwd=a1,b2;c3",
    details="Join five minutes early; the room opens at 08:55.\nNo camera needed.",
)
PHONE = CallDetails(kind="phone", value="+1 (555) 0100-2000", details="I will call you.")
LOCAL_PHONE = CallDetails(kind="phone", value="030 1234 5678")
PLACE = CallDetails(kind="place", value="Room 4, Kindred Centre; 12 High St, Oxford")
TEXT_ONLY = CallDetails(kind=None, value=None, details="I will call you on the number you give.")
NOTE = "I'd like to talk about sleep,\nand; stress."

WITH_VIDEO = replace(BOOKED, call=VIDEO, note=NOTE)
UPDATED = replace(BOOKED, revision=2, call=VIDEO)
MOVED_VIDEO = replace(MOVED, call=VIDEO)
CANCELLED_VIDEO = replace(CANCELLED, call=VIDEO, note=NOTE)
NO_URL = replace(BOOKED, url=None, call=VIDEO, note=NOTE)


def _i(appointment: Any, tz: str = "Europe/London") -> Callable[[], bytes]:
    return lambda: invite(appointment, uid_domain=DOMAIN, tz=tz, now=NOW)


OUTPUTS: dict[str, Callable[[], bytes]] = {
    "request-video-note": _i(WITH_VIDEO, "America/Los_Angeles"),
    "request-updated": _i(UPDATED),
    "request-moved": _i(MOVED_VIDEO),
    "request-phone": _i(replace(BOOKED, call=PHONE)),
    "request-local-phone": _i(replace(BOOKED, call=LOCAL_PHONE)),
    "request-place": _i(replace(BOOKED, call=PLACE)),
    "request-text-only": _i(replace(BOOKED, call=TEXT_ONLY)),
    "request-note-only": _i(replace(BOOKED, note=NOTE)),
    "cancel-video": _i(CANCELLED_VIDEO),
    "publish-video": lambda: download(WITH_VIDEO, uid_domain=DOMAIN, tz="UTC", now=NOW),
    "publish-cancelled": lambda: download(CANCELLED_VIDEO, uid_domain=DOMAIN, tz="UTC", now=NOW),
    "caldav-item-coach": lambda: appointment_item(
        NO_URL, uid_domain=DOMAIN, tz="America/Los_Angeles", now=NOW
    ),
    "feed": lambda: feed(
        [WITH_VIDEO, replace(MOVED, token="Qm4Tn8Wr2Yp6Ks0Hd-b2", call=PLACE)],
        name="Calls",
        uid_domain=DOMAIN,
        tz="Europe/London",
        now=NOW,
    ),
}
INVITE_NAMES = sorted(name for name in OUTPUTS if not name.startswith(("caldav", "feed")))


def _event(data: bytes) -> Any:
    return Calendar.from_ical(data).events[0]


@pytest.mark.parametrize("name", INVITE_NAMES)
def test_every_invite_with_details_passes_libical_itip_restrictions(
    name: str, libical: Callable[[bytes], dict[str, Any]]
) -> None:
    data = OUTPUTS[name]()
    assert b"METHOD:" in data
    report = libical(data)
    assert report["ok"], report


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_every_output_with_details_round_trips_through_vobject_and_icalendar(name: str) -> None:
    data = OUTPUTS[name]()
    again = vobject.readOne(vobject.readOne(data.decode()).serialize())
    again.validate()
    ours = Calendar.from_ical(data)
    assert Calendar.from_ical(ours.to_ical()) == ours
    for theirs, mine in zip(
        sorted(again.contents["vevent"], key=lambda e: e.uid.value),
        sorted(ours.events, key=lambda e: str(e["UID"])),
        strict=True,
    ):
        if "DESCRIPTION" in mine:
            assert theirs.description.value == str(mine["DESCRIPTION"])
        if "LOCATION" in mine:
            assert theirs.location.value == str(mine["LOCATION"])


def test_a_video_link_is_location_conference_and_description() -> None:
    event = _event(OUTPUTS["request-video-note"]())
    assert str(event["LOCATION"]) == VIDEO.value
    conference = event["CONFERENCE"]
    assert str(conference) == VIDEO.value
    assert conference.params["VALUE"] == "URI"
    assert conference.params["FEATURE"] == "VIDEO"
    assert str(event["URL"]) == BOOKED.url  # the call's page stays the URL
    text = str(event["DESCRIPTION"])
    assert text.startswith(f"Video call: {VIDEO.value}\n{VIDEO.details}")
    assert f"Note from {BOOKED.client.name}:\n{NOTE}" in text
    assert text.endswith(f"See or change the call: {BOOKED.url}")
    # Commas and semicolons are the serializer's to escape, in TEXT; a URI is left as it is.
    raw = OUTPUTS["request-video-note"]().decode().replace("\r\n ", "")
    assert f"VALUE=URI:{VIDEO.value}" in raw
    assert "LOCATION:https://meet.example.org/r/zoe?pwd=a1\\,b2\\;c3" in raw


def test_without_a_page_the_video_link_is_the_url() -> None:
    event = _event(OUTPUTS["caldav-item-coach"]())
    assert str(event["URL"]) == VIDEO.value
    assert NOTE in str(event["DESCRIPTION"])
    assert "See or change" not in str(event["DESCRIPTION"])


def test_a_phone_number_is_a_tel_uri_only_when_it_is_global() -> None:
    event = _event(OUTPUTS["request-phone"]())
    assert str(event["LOCATION"]) == PHONE.value
    assert str(event["CONFERENCE"]) == "tel:+155501002000"
    assert event["CONFERENCE"].params["FEATURE"] == "PHONE"
    local = _event(OUTPUTS["request-local-phone"]())
    assert str(local["LOCATION"]) == LOCAL_PHONE.value
    assert "CONFERENCE" not in local
    assert tel_uri("030 1234 5678") is None


def test_a_place_is_the_location_and_free_text_alone_the_description() -> None:
    place = _event(OUTPUTS["request-place"]())
    assert str(place["LOCATION"]) == PLACE.value
    assert "CONFERENCE" not in place
    text = _event(OUTPUTS["request-text-only"]())
    assert "LOCATION" not in text and "CONFERENCE" not in text
    assert str(text["DESCRIPTION"]).startswith(TEXT_ONLY.details or "")


def test_the_details_survive_a_cancel_and_the_sequence_still_grows() -> None:
    cancelled = _event(OUTPUTS["cancel-video"]())
    updated = _event(OUTPUTS["request-updated"]())
    assert str(cancelled["LOCATION"]) == VIDEO.value
    assert int(updated["SEQUENCE"]) == 2 > int(_event(_i(BOOKED)())["SEQUENCE"])


def test_without_details_or_note_the_event_is_as_it_was() -> None:
    event = _event(_i(BOOKED)())
    for name in ("LOCATION", "DESCRIPTION", "CONFERENCE"):
        assert name not in event


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "video", "value": "http://meet.example.org/"}, "https://"),
        ({"kind": "video", "value": "https://meet.example.org/\r\nX-EVIL:1"}, "one line"),
        ({"kind": "phone", "value": "call me"}, "phone number"),
        ({"kind": None, "value": None}, "kind and value"),
        ({"kind": "place", "value": "Room 4", "details": "x" * 1001}, "at most 1000"),
    ],
)
def test_bad_details_are_refused_before_any_calendar_is_built(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CallDetails(**kwargs)


def test_a_bad_note_is_refused_and_clean_text_is_what_is_stored() -> None:
    with pytest.raises(ValueError, match="note"):
        replace(BOOKED, note="bell\x07")
    assert clean_text("  a\r\nb\rc  ") == "a\nb\nc"
    assert clean_text(" \n ") is None
