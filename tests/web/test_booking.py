"""The client's booking pages: home, the week of free slots, confirm, book, book a series."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from officehours import booking
from officehours.db import one
from tests.lib.support import NOW, World

FIRST = "2027-01-05T00:00:00+00:00"  # 16:00 Monday in Los Angeles, 05:30 Tuesday in Kolkata


def booked(world: World) -> list[tuple[str, datetime]]:
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT u.slug, lower(a.during) FROM appointments a JOIN users u ON u.id = a.client_id "
            "WHERE a.status = 'booked' ORDER BY 2"
        )
        return [tuple(row) for row in cur.fetchall()]


def test_home_prompts_to_book_this_month(as_a: FlaskClient, world: World) -> None:
    page = as_a.get("/")
    assert page.status_code == 200
    assert "No call in January 2027 yet" in page.text
    booking.book(world.db, world.a, world.a, datetime.fromisoformat(FIRST), now=NOW)
    page = as_a.get("/")
    assert "No call in January 2027" not in page.text
    assert "Tuesday 5 January 2027, 05:30" in page.text and "Asia/Kolkata" in page.text


def test_week_page_shows_free_slots_in_the_clients_zone(as_a: FlaskClient) -> None:
    page = as_a.get("/book")
    assert page.status_code == 200
    text = page.text
    assert "Times are in your time zone, Asia/Kolkata" in text
    assert "Week of 4 January 2027" in text
    assert "Tuesday 5 January 2027" in text
    assert f"start={FIRST.replace('+', '%2B')}" in text
    assert "05:30\u201306:30" in text
    assert "Previous week" not in text and "Next week" in text
    # Slots inside the minimum notice (before 00:00 UTC on the 5th) are not offered.
    assert "2027-01-04T23:00:00" not in text


def test_week_navigation_stops_at_the_horizon(as_a: FlaskClient) -> None:
    page = as_a.get("/book?week=2027-01-13")
    assert "Week of 11 January 2027" in page.text
    assert "Previous week" in page.text
    past = as_a.get("/book?week=2026-06-01")
    assert "Week of 4 January 2027" in past.text
    last = as_a.get("/book?week=2027-12-01")
    assert "Booking is not yet open beyond this week" in last.text
    assert "Week of 29 March 2027" in last.text
    assert as_a.get("/book?week=not-a-date").status_code == 400


def test_book_one_call(as_a: FlaskClient, world: World, csrf: Any) -> None:
    confirm = as_a.get("/book/confirm", query_string={"start": FIRST})
    assert confirm.status_code == 200
    assert "Tuesday 5 January 2027, 05:30" in confirm.text
    response = as_a.post(
        "/book", data={"start": FIRST, "months": "1", "csrf_token": csrf(confirm.text)}
    )
    assert response.status_code == 303
    token = response.headers["Location"].rsplit("/", 1)[1]
    assert booked(world) == [(world.a, datetime.fromisoformat(FIRST))]
    page = as_a.get(response.headers["Location"])
    assert "Your call is booked" in page.text
    assert f"/appointments/{token}.ics" in page.text
    ics = as_a.get(f"/appointments/{token}.ics")
    assert ics.status_code == 200
    assert ics.mimetype == "text/calendar"
    assert b"METHOD:PUBLISH" in ics.data and f"UID:{token}@officehours.test".encode() in ics.data
    assert "attachment" in ics.headers["Content-Disposition"]
    # The slot is gone from the week page.
    assert FIRST.replace("+", "%2B") not in as_a.get("/book").text


def test_book_a_monthly_series(as_a: FlaskClient, world: World, csrf: Any) -> None:
    token = csrf(as_a.get("/book/confirm", query_string={"start": FIRST}).text)
    response = as_a.post("/book", data={"start": FIRST, "months": "3", "csrf_token": token})
    assert response.status_code == 303
    assert len(booked(world)) == 3
    assert "3 monthly calls are booked" in as_a.get(response.headers["Location"]).text


def test_refusals_are_shown_and_change_nothing(as_a: FlaskClient, world: World, csrf: Any) -> None:
    token = csrf(as_a.get("/book/confirm", query_string={"start": FIRST}).text)
    taken = datetime.fromisoformat("2027-01-05T17:00:00+00:00")
    booking.book(world.db, world.b, world.b, taken, now=NOW)
    before = booked(world)
    cases = [
        ({"start": taken.isoformat()}, 409, "slot_taken", "That slot has just been taken"),
        ({"start": "2027-01-04T13:00:00+00:00"}, 422, "too_soon", "at least 12 hours ahead"),
        ({"start": "2027-01-05T18:30:00+00:00"}, 422, "off_grid", "grid"),
        ({"start": "2027-01-05T12:00:00+00:00"}, 409, "outside", "office hours"),
        ({"start": "2027-06-01T17:00:00+00:00"}, 422, "horizon", "at most 90 days ahead"),
        ({"start": "2027-01-05T00:00:00"}, 400, "invalid_input", "ISO 8601"),
        ({"start": "<script>"}, 400, "invalid_input", "ISO 8601"),
        ({"start": FIRST, "months": "13"}, 400, "months", "from 1 to 12"),
        ({"start": FIRST, "months": "x"}, 400, "months", "from 1 to 12"),
    ]
    for form, status, _code, words in cases:
        response = as_a.post("/book", data={"months": "1", **form, "csrf_token": token})
        assert response.status_code == status, (form, response.status_code)
        assert words in response.text, (form, response.text)
        assert 'role="alert"' in response.text
    assert booked(world) == before


def test_monthly_limit_names_the_month(as_a: FlaskClient, world: World, csrf: Any) -> None:
    for day in (5, 6):
        start = datetime.fromisoformat(f"2027-01-{day:02d}T17:00:00+00:00")
        booking.book(world.db, world.a, world.a, start, now=NOW)
    token = csrf(as_a.get("/book/confirm", query_string={"start": FIRST}).text)
    response = as_a.post(
        "/book", data={"start": "2027-01-07T17:00:00+00:00", "months": "1", "csrf_token": token}
    )
    assert response.status_code == 409
    assert "January 2027" in response.text
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM appointments")
        assert one(cur)[0] == 2


def test_client_without_coach(as_a: FlaskClient, world: World) -> None:
    with world.db.transaction() as cur:
        cur.execute(
            "UPDATE coaching SET during = tstzrange(lower(during), lower(during) + '1 second')"
        )
    assert "No coach is assigned to you yet" in as_a.get("/").text
    page = as_a.get("/book")
    assert page.status_code == 409
    assert re.search(r"No coach is assigned", page.text)
