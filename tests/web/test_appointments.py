"""A user's calls: list, detail, .ics, move (atomic) and cancel (with a confirmation step)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from officehours import booking
from officehours.db import one
from tests.lib.support import NOW, World

FIRST = datetime.fromisoformat("2027-01-05T17:00:00+00:00")  # Tuesday 09:00 in Los Angeles
LATER = "2027-01-06T18:00:00+00:00"  # Wednesday 10:00 in Los Angeles


def rows(world: World) -> list[tuple[Any, ...]]:
    with world.db.transaction() as cur:
        cur.execute("SELECT token, lower(during), status::text, revision FROM appointments")
        return [tuple(r) for r in cur.fetchall()]


def test_list_and_detail(as_a: FlaskClient, world: World) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    page = as_a.get("/appointments")
    assert page.status_code == 200
    assert "Tuesday 5 January 2027, 22:30\u201323:30 (Asia/Kolkata, IST)" in page.text
    assert "with Xavier Coach" in page.text
    detail = as_a.get(f"/appointments/{call.token}")
    assert "In Xavier Coach\u2019s time zone" in detail.text
    assert "09:00\u201310:00 (America/Los_Angeles, PST)" in detail.text
    assert as_a.get("/appointments/nope").status_code == 404


def test_move_picks_a_new_slot_and_frees_the_old(
    as_a: FlaskClient, world: World, csrf: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    week = as_a.get(f"/appointments/{call.token}/move")
    assert week.status_code == 200
    assert "Move your call" in week.text and "Week of 4 January 2027" in week.text
    confirm = as_a.get(f"/appointments/{call.token}/move/confirm", query_string={"start": LATER})
    assert confirm.status_code == 200
    assert "Wednesday 6 January 2027, 23:30" in confirm.text
    response = as_a.post(
        f"/appointments/{call.token}/move", data={"start": LATER, "csrf_token": csrf(confirm.text)}
    )
    assert response.status_code == 303
    assert rows(world) == [(call.token, datetime.fromisoformat(LATER), "booked", 2)]
    assert "Your call is moved" in as_a.get(response.headers["Location"]).text


def test_move_refusals_keep_the_call(as_a: FlaskClient, world: World, csrf: Any) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    other = booking.book(world.db, world.b, world.b, datetime.fromisoformat(LATER), now=NOW)
    token = csrf(as_a.get("/appointments").text)
    before = rows(world)
    cases = [
        (LATER, 409, "That slot has just been taken"),
        (FIRST.isoformat(), 409, "already at that time"),
        ("2027-01-05T12:00:00+00:00", 409, "office hours"),
        ("garbage", 400, "ISO 8601"),
    ]
    for start, status, words in cases:
        response = as_a.post(
            f"/appointments/{call.token}/move", data={"start": start, "csrf_token": token}
        )
        assert response.status_code == status, start
        assert words in response.text
    response = as_a.post(
        f"/appointments/{other.token}/move", data={"start": LATER, "csrf_token": token}
    )
    assert response.status_code in (403, 404)
    assert rows(world) == before


def test_cancel_asks_first(as_a: FlaskClient, world: World, csrf: Any) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    page = as_a.get(f"/appointments/{call.token}/cancel")
    assert page.status_code == 200
    assert "Yes, cancel the call" in page.text
    assert rows(world)[0][2] == "booked"
    response = as_a.post(f"/appointments/{call.token}/cancel", data={"csrf_token": csrf(page.text)})
    assert response.status_code == 303
    assert rows(world)[0][2:] == ("cancelled", 2)
    again = as_a.post(f"/appointments/{call.token}/cancel", data={"csrf_token": csrf(page.text)})
    assert again.status_code == 409
    assert as_a.get(f"/appointments/{call.token}/cancel").status_code == 409
    detail = as_a.get(f"/appointments/{call.token}")
    assert "Cancelled call" in detail.text and "Move this call" not in detail.text


def test_inside_the_cutoff_the_client_cannot_cancel(
    as_a: FlaskClient, world: World, csrf: Any
) -> None:
    early = datetime.fromisoformat("2027-01-05T00:00:00+00:00")
    call = booking.book(world.db, world.a, world.a, early, now=NOW)
    token = csrf(as_a.get("/appointments").text)
    response = as_a.post(f"/appointments/{call.token}/cancel", data={"csrf_token": token})
    assert response.status_code == 409
    assert "less than 1 day before" in response.text
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM appointments WHERE status = 'booked'")
        assert one(cur)[0] == 1


def test_past_calls_are_listed_without_actions(as_a: FlaskClient, world: World) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    app_now = datetime.fromisoformat("2027-01-10T00:00:00+00:00")
    as_a.application.config["NOW"] = app_now
    page = as_a.get("/appointments")
    assert "No calls booked." in page.text
    assert f"/appointments/{call.token}/move" not in page.text
    assert f"/appointments/{call.token}" in page.text
    assert "Past call" in as_a.get(f"/appointments/{call.token}").text
    assert as_a.get(f"/appointments/{call.token}/move").status_code == 422
