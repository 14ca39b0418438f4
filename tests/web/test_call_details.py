"""How calls happen and the client's note on the website: the coach's form (and the admin's),
one call's own details, the note with the booking and after it, the call's page, the schedule,
the .ics download and the feed. Refusals are 4xx with the rule's words and change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from icalendar import Calendar

from officehours import booking, call_details
from tests.lib.support import NOW, World, moved

FIRST = moved(datetime.fromisoformat("2027-01-12T17:00:00+00:00"))
MEET = "https://meet.example.org/xavier"
NOTE = "I'd like to talk about sleep"


def _details(world: World) -> Any:
    return call_details.for_coach(world.db, world.x, world.x)


def test_the_coach_sets_how_calls_happen(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.x)
    page = client.get("/coach/details")
    assert page.status_code == 200 and 'name="kind"' in page.text
    booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    form = {"csrf_token": token, "kind": "video", "value": MEET, "details": "Camera optional."}
    done = client.post("/coach/details", data=form, follow_redirects=True)
    assert done.status_code == 200
    assert "An updated invite goes out for 1 future call." in done.text
    assert _details(world).value == MEET
    assert f'value="{MEET}"' in done.text and "Camera optional." in done.text


def test_bad_details_are_a_422_next_to_the_field_and_change_nothing(
    client: FlaskClient, world: World, login: Any
) -> None:
    token = login(client, world.x)
    for form, words in (
        ({"kind": "video", "value": "http://meet.example.org/"}, "https:// address"),
        ({"kind": "video", "value": "javascript:alert(1)"}, "https:// address"),
        ({"kind": "fax", "value": "1"}, "Choose whether calls happen"),
        ({"kind": "phone", "value": "call me"}, "5 to 15 digits"),
        ({"kind": "place", "value": "Room 4", "details": "x" * 1001}, "at most 1000"),
    ):
        page = client.post("/coach/details", data={"csrf_token": token, **form})
        assert page.status_code == 422, form
        assert words in page.text
        assert 'aria-invalid="true"' in page.text
    assert _details(world) is None


def test_only_coaches_and_admins_reach_the_forms(
    client: FlaskClient, world: World, login: Any
) -> None:
    token = login(client, world.a)
    assert client.get("/coach/details").status_code == 403
    assert client.post("/coach/details", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/admin/coaches/{world.x}/details").status_code == 403
    token = login(client, world.admin)
    assert client.get(f"/admin/coaches/{world.a}/details").status_code == 409
    form = {"csrf_token": token, "kind": "phone", "value": "+1 555 0100"}
    done = client.post(f"/admin/coaches/{world.x}/details", data=form)
    assert done.status_code == 303
    assert _details(world).value == "+1 555 0100"
    assert "+1 555 0100" in client.get(f"/admin/coaches/{world.x}/details").text
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    page = client.get(f"/appointments/{call.token}")
    assert f"/admin/coaches/{world.x}/details" in page.text


def test_booking_with_a_note_and_the_call_page(
    client: FlaskClient, world: World, login: Any
) -> None:
    call_details.set_for_coach(world.db, world.x, world.x, "video", MEET, "Camera optional.")
    token = login(client, world.a)
    confirm = client.get("/book/confirm", query_string={"start": FIRST.isoformat()})
    assert 'name="note"' in confirm.text
    form = {"csrf_token": token, "start": FIRST.isoformat(), "note": NOTE}
    done = client.post("/book", data=form)
    assert done.status_code == 303
    page = client.get(done.headers["Location"])
    assert f'href="{MEET}"' in page.text and "Camera optional." in page.text
    assert "Your note for Xavier Coach" in page.text and "talk about sleep" in page.text
    call_token = done.headers["Location"].rsplit("/", 1)[1]
    ics = Calendar.from_ical(client.get(f"/appointments/{call_token}.ics").data).events[0]
    assert str(ics["LOCATION"]) == MEET and str(ics["CONFERENCE"]) == MEET
    assert ics["CONFERENCE"].params["VALUE"] == "URI"
    assert str(ics["URL"]).endswith(f"/appointments/{call_token}")
    assert NOTE not in str(ics["DESCRIPTION"])  # a note for the coach, not for the client

    login(client, world.x)
    coach_page = client.get(f"/appointments/{call_token}")
    assert "Note from Ann Client" in coach_page.text and "talk about sleep" in coach_page.text
    schedule = client.get("/coach/schedule")
    assert "Notes from your clients" in schedule.text and "talk about sleep" in schedule.text
    coach_ics = client.get(f"/appointments/{call_token}.ics").data.decode()
    assert "talk about sleep" in coach_ics

    login(client, world.b)
    assert client.get(f"/appointments/{call_token}").status_code == 404
    assert client.get(f"/appointments/{call_token}/note").status_code == 404


def test_a_bad_note_refuses_the_booking(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.a)
    form = {"csrf_token": token, "start": FIRST.isoformat(), "note": "x" * 1001}
    page = client.post("/book", data=form)
    assert page.status_code == 422
    assert "The note is at most 1000 characters." in page.text
    assert 'id="note-error"' in page.text
    assert booking.free_slots(world.db, world.a, world.x, FIRST, FIRST + timedelta(hours=1))


def test_the_client_edits_the_note_until_the_cutoff(
    client: FlaskClient, world: World, login: Any, app_with: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    token = login(client, world.a)
    assert client.get(f"/appointments/{call.token}/note").status_code == 200
    done = client.post(
        f"/appointments/{call.token}/note", data={"csrf_token": token, "note": "Sleep"}
    )
    assert done.status_code == 303
    info = call_details.for_call(world.db, world.x, call.token, NOW)
    assert info is not None and info.note == "Sleep"
    # Inside the cut-off: 409 with the rule's words, and the note stays.
    late = app_with(NOW=FIRST - timedelta(hours=2)).test_client()
    token = login(late, world.a)
    page = late.post(f"/appointments/{call.token}/note", data={"csrf_token": token, "note": "X"})
    assert page.status_code == 409 and "less than 1 day before they start" in page.text
    info = call_details.for_call(world.db, world.x, call.token, NOW)
    assert info is not None and info.note == "Sleep"
    # The coach may not write it.
    token = login(client, world.x)
    assert client.get(f"/appointments/{call.token}/note").status_code == 403


def test_the_coach_gives_one_call_its_own_details(
    client: FlaskClient, world: World, login: Any
) -> None:
    call_details.set_for_coach(world.db, world.x, world.x, "video", MEET, None)
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    token = login(client, world.x)
    page = client.get(f"/appointments/{call.token}/details")
    assert page.status_code == 200 and "follows your usual details" in page.text
    form = {"csrf_token": token, "own": "yes", "kind": "place", "value": "Room 4"}
    done = client.post(f"/appointments/{call.token}/details", data=form, follow_redirects=True)
    assert "Room 4" in done.text and "updated invite" in done.text
    bad = {**form, "kind": "video", "value": "http://x.example.org/"}
    assert client.post(f"/appointments/{call.token}/details", data=bad).status_code == 422
    back = {"csrf_token": token, "own": "no"}
    done = client.post(f"/appointments/{call.token}/details", data=back, follow_redirects=True)
    assert f'href="{MEET}"' in done.text
    login(client, world.a)
    assert client.get(f"/appointments/{call.token}/details").status_code == 403


def test_the_feed_says_how_calls_happen(client: FlaskClient, world: World, login: Any) -> None:
    call_details.set_for_coach(world.db, world.x, world.x, "place", "Room 4", None)
    call_details.book_with_note(world.db, world.a, world.a, FIRST, NOTE, now=NOW)
    token = login(client, world.x)
    created = client.post("/calendar/feed", data={"csrf_token": token})
    secret = created.text.split("/feed/")[1].split(".ics")[0]
    body = client.get(f"/feed/{secret}.ics").data.decode().replace("\r\n ", "")
    assert "LOCATION:Room 4" in body and "talk about sleep" in body
