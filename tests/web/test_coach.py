"""The coach's pages: schedule with conflicts, office hours and exceptions, clients."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask.testing import FlaskClient

from officehours import accounts, booking
from tests.lib.support import NOW, World

FIRST = datetime.fromisoformat("2027-01-05T17:00:00+00:00")


def test_schedule_lists_calls_and_conflicts(client: FlaskClient, world: World, login: Any) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    login(client, world.x)
    page = client.get("/coach/schedule")
    assert page.status_code == 200
    assert "Ann Client" in page.text
    assert "Tuesday 5 January 2027, 09:00\u201310:00 (America/Los_Angeles, PST)" in page.text
    assert "collide with your busy time" not in page.text
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source) "
            "SELECT id, tstzrange(%s, %s), 'manual' FROM users WHERE slug = %s",
            (FIRST, datetime.fromisoformat("2027-01-05T17:30:00+00:00"), world.x),
        )
    page = client.get("/coach/schedule")
    assert "collide with your busy time" in page.text
    assert f"/appointments/{call.token}" in page.text


def test_clients_page(client: FlaskClient, world: World, login: Any) -> None:
    login(client, world.x)
    page = client.get("/coach/clients")
    assert "Ann Client" in page.text and "Bo Client" in page.text
    assert "Cy Client" not in page.text


def test_weekly_hours_editor(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.x)
    page = client.get("/coach/hours")
    assert page.status_code == 200
    assert 'id="day-1-0-start"' in page.text and 'value="09:00"' in page.text
    form = {"csrf_token": token, "day-1-0-start": "08:00", "day-1-0-end": "12:00"}
    form |= {"day-1-1-start": "13:00", "day-1-1-end": "18:00", "day-6-0-start": "10:00"}
    response = client.post("/coach/hours", data=form)
    assert response.status_code == 400
    assert 'id="day-6-0-start-error"' in response.text
    assert accounts.office_hours(world.db, None, world.x)[0].start == time(9)
    form["day-6-0-end"] = "11:00"
    assert client.post("/coach/hours", data=form).status_code == 303
    hours = accounts.office_hours(world.db, None, world.x)
    assert [(h.weekday, h.start, h.end) for h in hours] == [
        (1, time(8), time(12)),
        (1, time(13), time(18)),
        (6, time(10), time(11)),
    ]
    form |= {"day-1-1-start": "11:00"}
    response = client.post("/coach/hours", data=form)
    assert response.status_code == 409
    assert "overlap" in response.text
    assert len(accounts.office_hours(world.db, None, world.x)) == 3


def test_exceptions(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.x)
    ok = client.post("/coach/exceptions", data={"csrf_token": token, "on_date": "2027-01-08"})
    assert ok.status_code == 303
    page = client.get("/coach/hours")
    assert "Friday 8 January 2027" in page.text and "day off" in page.text
    # 02:30 on 14 March 2027 does not exist in Los Angeles (the clocks skip it).
    gap = {"csrf_token": token, "on_date": "2027-03-14", "start": "02:30", "end": "04:00"}
    response = client.post("/coach/exceptions", data=gap)
    assert response.status_code == 422
    assert "the clocks skip it" in response.text
    bad = {"csrf_token": token, "on_date": "2027-01-09", "start": "10:00"}
    assert client.post("/coach/exceptions", data=bad).status_code == 400
    assert (
        client.post("/coach/exceptions", data={"csrf_token": token, "on_date": "x"}).status_code
        == 400
    )
    past = {"csrf_token": token, "on_date": "2026-01-01"}
    assert client.post("/coach/exceptions", data=past).status_code == 400
    cleared = client.post(
        "/coach/exceptions/clear", data={"csrf_token": token, "on_date": "2027-01-08"}
    )
    assert cleared.status_code == 303
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM office_hours_exceptions")
        assert cur.fetchone() == (0,)
    assert date(2027, 1, 8)
