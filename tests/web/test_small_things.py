"""What a new user hit: the heading after a move, the coach's view of a call, refusals that say
whom a page is for, singular and plural, human names of rules, 24-hour time inputs, and more
than two office-hours ranges a day."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

from flask.testing import FlaskClient

from officehours import accounts, booking
from tests.lib.support import NOW, World

LATER = NOW + timedelta(days=1, hours=5)  # Tuesday 09:00 in Los Angeles


def test_after_a_move_the_heading_says_moved(as_a: FlaskClient, world: World, csrf: Any) -> None:
    call = booking.book(world.db, world.a, world.a, LATER, now=NOW)
    assert "<h1>Your call is booked</h1>" in as_a.get(f"/appointments/{call.token}").text
    token = csrf(as_a.get(f"/appointments/{call.token}").text)
    new = (LATER + timedelta(days=1)).isoformat()
    moved = as_a.post(f"/appointments/{call.token}/move", data={"start": new, "csrf_token": token})
    assert moved.status_code == 303
    page = as_a.get(moved.headers["Location"]).text
    assert "<h1>Your call is moved</h1>" in page and "is booked</h1>" not in page


def test_the_coach_view_of_a_call(client: FlaskClient, world: World, login: Any) -> None:
    call = booking.book(world.db, world.a, world.a, LATER, now=NOW)
    login(client, world.x)
    page = client.get(f"/appointments/{call.token}").text
    assert "<h1>Call with Ann Client</h1>" in page
    assert 'href="/coach/schedule">Back to my schedule' in page
    assert "In Ann Client\u2019s time zone" in page and "Asia/Kolkata" in page
    assert "Tuesday 5 January 2027, 22:30" in page  # 09:00 in Los Angeles, in Kolkata
    assert "mailto:a@example.com" in page
    assert "All my calls" not in page


def test_refusals_say_whom_the_page_is_for(client: FlaskClient, world: World, login: Any) -> None:
    cases = [
        (world.a, "/coach/hours", "This page is for coaches"),
        (world.a, "/admin/users", "This page is for admins"),
        (world.x, "/book", "This page is for clients"),
        (world.admin, "/coach/schedule", "This page is for coaches"),
    ]
    for slug, url, words in cases:
        login(client, slug)
        page = client.get(url)
        assert page.status_code == 403, url
        assert f"<h1>{words}</h1>" in page.text, (url, page.text)
        assert "Something went wrong" not in page.text
        assert "You are signed in as" in page.text


def test_every_refusal_page_is_headed_by_what_happened(
    client: FlaskClient, world: World, login: Any
) -> None:
    # "Something went wrong" is kept for our own faults (500); a refusal's heading says what
    # kind of refusal it is, and its message says why.
    call = booking.book(world.db, world.a, world.a, LATER, now=NOW)
    login(client, world.c)
    cases = [
        (f"/appointments/{call.token}", 404, "Not found"),
        ("/no/such/page", 404, "Not found"),
        ("/book/confirm?start=soon", 400, "That request cannot be used"),
    ]
    for url, status, heading in cases:
        page = client.get(url)
        assert page.status_code == status, url
        assert f"<h1>{heading}</h1>" in page.text, (url, page.text)
        assert f"<title>{heading}" in page.text, url
        assert "Something went wrong" not in page.text, url


def test_the_monthly_limit_speaks_in_singular_and_plural(
    as_a: FlaskClient, world: World, csrf: Any
) -> None:
    with world.db.transaction() as cur:
        cur.execute("SELECT set_rule('monthly_limit', '1')")
    booking.book(world.db, world.a, world.a, LATER, now=NOW)
    token = csrf(as_a.get("/book/confirm", query_string={"start": LATER.isoformat()}).text)
    start = (LATER + timedelta(days=1)).isoformat()
    refused = as_a.post("/book", data={"start": start, "months": "1", "csrf_token": token})
    assert refused.status_code == 409
    assert "You already have 1 call booked in January 2027." in refused.text
    assert "call(s)" not in refused.text
    week = as_a.get("/book?week=2027-01-11").text
    assert "1 call is booked that month" in week


def test_the_rules_page_shows_human_names(client: FlaskClient, world: World, login: Any) -> None:
    login(client, world.admin)
    page = client.get("/admin/rules").text
    assert re.search(r'<h2 id="rule-change_cutoff">Change cut-off', page)
    assert '<label for="value-slot_length">Call length</label>' in page
    assert "Calls per month" in page and "Value of" not in page


def test_times_are_24_hour_text_boxes(client: FlaskClient, world: World, login: Any) -> None:
    login(client, world.x)
    page = client.get("/coach/hours").text
    assert 'type="time"' not in page
    start = re.search(r'<input id="day-1-0-start"[^>]*>', page)
    assert start is not None
    assert 'type="text"' in start.group(0) and 'inputmode="numeric"' in start.group(0)
    assert 'pattern="([01][0-9]|2[0-3]):[0-5][0-9]"' in start.group(0)


def test_a_coach_sets_more_than_two_ranges_a_day(
    client: FlaskClient, world: World, login: Any
) -> None:
    token = login(client, world.x)
    page = client.get("/coach/hours").text
    # One range stored on Monday: two rows shown (the stored one and an empty one).
    assert 'id="day-1-1-start"' in page and 'id="day-1-2-start"' not in page
    form = {"csrf_token": token}
    for period, (start, end) in enumerate((("08:00", "10:00"), ("11:00", "13:00"))):
        form |= {f"day-1-{period}-start": start, f"day-1-{period}-end": end}
    assert client.post("/coach/hours", data=form).status_code == 303
    page = client.get("/coach/hours").text
    assert 'id="day-1-2-start"' in page and 'value=""' in page  # an empty third row
    form |= {"day-1-2-start": "14:00", "day-1-2-end": "15:00"}
    assert client.post("/coach/hours", data=form).status_code == 303
    mondays = [(h.start, h.end) for h in accounts.office_hours(world.db, None, world.x)]
    assert mondays == [(time(8), time(10)), (time(11), time(13)), (time(14), time(15))]
    assert 'id="day-1-3-start"' in client.get("/coach/hours").text
    # A time that is no HH:MM is refused with our message, nothing changed.
    form |= {"day-1-3-start": "3pm", "day-1-3-end": "16:00"}
    refused = client.post("/coach/hours", data=form)
    assert refused.status_code == 400 and "a 24-hour time like 09:00" in refused.text
    assert len(accounts.office_hours(world.db, None, world.x)) == 3
