"""The generated appointments calendars say how the call happens, and the coach's (only) carries
the client's note; a change of either shows at the next sync."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar

from officehours import booking, call_details
from tests.caldav import helpers as h
from tests.caldav.conftest import login_for
from tests.caldav.dav import Dav, Login
from tests.lib.support import NOW, World, moved

# Tuesday 12 January 2027, 09:00 in Los Angeles.
SLOT = moved(datetime(2027, 1, 12, 17, 0, tzinfo=UTC))
MEET = "https://meet.example.org/xavier"
NOTE = "I'd like to talk about sleep"


def _event(dav: Dav, path: str) -> Any:
    return Calendar.from_ical(dav("GET", path).get_data()).events[0]


def test_details_and_note_in_the_appointments_calendars(
    app: Any, dav: Dav, client_a: Login, world: World
) -> None:
    call_details.set_for_coach(
        world.db, world.x, world.x, "video", MEET, "Camera optional.", now=NOW
    )
    call = call_details.book_with_note(world.db, world.a, world.a, SLOT, NOTE, now=NOW)[0]
    coach_item = f"/{world.x}/appointments/{call.token}.ics"
    client = Dav(app, client_a)
    client_item = f"/{world.a}/appointments/{call.token}.ics"

    mine = _event(dav, coach_item)
    assert str(mine["LOCATION"]) == MEET
    assert str(mine["CONFERENCE"]) == MEET
    assert mine["CONFERENCE"].params["FEATURE"] == "VIDEO"
    assert "Camera optional." in str(mine["DESCRIPTION"])
    assert f"Note from Ann Client:\n{NOTE}" in str(mine["DESCRIPTION"])
    theirs = _event(client, client_item)
    assert str(theirs["LOCATION"]) == MEET
    assert NOTE not in str(theirs["DESCRIPTION"])

    # A new note shows at the next sync of the coach's calendar, with the same SEQUENCE.
    coach_cal = f"/{world.x}/appointments/"
    token = h.token(dav("REPORT", coach_cal, h.sync_collection(), Depth="1").data)
    call_details.set_note(world.db, world.a, call.token, "Sleep, and stress", now=NOW)
    changed = dav("REPORT", coach_cal, h.sync_collection(token), Depth="1")
    assert h.hrefs(changed.data) == [coach_item]
    again = _event(dav, coach_item)
    assert "Sleep, and stress" in str(again["DESCRIPTION"])
    assert int(again["SEQUENCE"]) == 1

    # New details are a new revision of the future call: SEQUENCE 2 on both sides.
    call_details.set_for_coach(world.db, world.x, world.x, "place", "Room 4", None, now=NOW)
    assert str(_event(dav, coach_item)["LOCATION"]) == "Room 4"
    assert int(_event(client, client_item)["SEQUENCE"]) == 2
    assert "CONFERENCE" not in _event(client, client_item)


def test_another_client_sees_no_item_and_no_note(app: Any, world: World) -> None:
    call = call_details.book_with_note(world.db, world.a, world.a, SLOT, NOTE, now=NOW)[0]
    other = booking.book(world.db, world.b, world.b, SLOT.replace(hour=18), now=NOW)
    b = Dav(app, login_for(world, world.b, "b@example.com"))
    listing = b("PROPFIND", f"/{world.b}/appointments/", Depth="1").get_data(as_text=True)
    assert call.token not in listing and other.token in listing
    assert NOTE not in b("GET", f"/{world.b}/appointments/{other.token}.ics").get_data(as_text=True)
