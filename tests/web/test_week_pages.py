"""The week and confirm pages say what a call is: start, end and its real length (the
slot_length rule), and a week page jumps to a date or month with a plain GET form."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask.testing import FlaskClient

from officehours import booking
from tests.lib.support import NOW, World

FIRST = "2027-01-05T00:00:00+00:00"  # 05:30 Tuesday in Kolkata


def set_rule(world: World, name: str, value: str) -> None:
    with world.db.transaction() as cur:
        cur.execute("SELECT set_rule(%s, %s)", (name, value))


def test_the_confirm_page_shows_start_end_and_length(as_a: FlaskClient, world: World) -> None:
    page = as_a.get("/book/confirm", query_string={"start": FIRST}).text
    assert "<dt>Starts</dt><dd>" in page and "Tuesday 5 January 2027, 05:30" in page
    assert "<dt>Ends</dt>" in page and "Tuesday 5 January 2027, 06:30" in page
    assert "<dt>Length</dt><dd>60 minutes</dd>" in page
    set_rule(world, "slot_length", "30 minutes")
    page = as_a.get("/book/confirm", query_string={"start": FIRST}).text
    assert "<dt>Length</dt><dd>30 minutes</dd>" in page and "06:00" in page


def test_the_week_page_names_the_real_length(as_a: FlaskClient, world: World) -> None:
    page = as_a.get("/book").text
    assert "Each call lasts 60 minutes." in page and "one slot" not in page
    set_rule(world, "slot_length", "45 minutes")
    assert "Each call lasts 45 minutes." in as_a.get("/book").text


def test_a_week_page_jumps_to_a_date_or_a_month(as_a: FlaskClient) -> None:
    page = as_a.get("/book").text
    assert '<form method="get" action="/book"' in page and 'name="go"' in page
    assert "Week of 1 February 2027" in as_a.get("/book?go=2027-02").text
    assert "Week of 8 February 2027" in as_a.get("/book?go=2027-02-10").text
    assert "Week of 4 January 2027" in as_a.get("/book?go=2026-11").text  # the past: this week
    assert "Week of 29 March 2027" in as_a.get("/book?go=2027-12").text  # the horizon
    assert "Week of 1 February 2027" in as_a.get("/book?week=2027-02").text  # links take it too


def test_a_bad_jump_is_a_400_with_our_message_at_the_field(as_a: FlaskClient) -> None:
    for bad in ("2027-13", "2027-1", "March", "2027-02-30", "3000-01", "<b>"):
        response = as_a.get("/book", query_string={"go": bad})
        assert response.status_code == 400, bad
        assert "a month like 2027-03" in response.text, bad
        assert 'aria-invalid="true"' in response.text and "Week of 4 January 2027" in response.text
        assert "<b>" not in response.text.split("<main", 1)[1].split("</main>")[0]


def test_the_move_week_jumps_too(as_a: FlaskClient, world: World) -> None:
    # Two days on: beyond the change cut-off, so the client may move it.
    later = datetime.fromisoformat(FIRST) + timedelta(days=2)
    call = booking.book(world.db, world.a, world.a, later, now=NOW)
    page = as_a.get(f"/appointments/{call.token}/move?go=2027-03")
    assert page.status_code == 200 and "Week of 1 March 2027" in page.text
    assert f'action="/appointments/{call.token}/move"' in page.text
    assert as_a.get(f"/appointments/{call.token}/move?go=x").status_code == 400
