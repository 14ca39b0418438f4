"""No traps on the booking pages: the week, confirm and call pages offer only what the rules will
accept for this client, and say why when they do not. Every flag comes from SQL (bookable_slots,
slot_terms, call_changes): changing a rule with set_rule changes the pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from officehours import booking
from tests.lib.support import NOW, World

# NOW is Monday 12:00 UTC. X's hours are 09:00-17:00 in Los Angeles (17:00-01:00 UTC); the first
# bookable slot (12 hours' notice) is Tuesday 00:00 UTC, inside the 24-hour change cut-off; the
# next day's slots, from Tuesday 17:00 UTC, are outside it.
EARLY = NOW + timedelta(hours=12)
LATER = NOW + timedelta(days=1, hours=5)
MARK = "can\u2019t be moved or cancelled once booked"


def q(moment: datetime) -> str:
    """An instant as the week page writes it in a link's query."""
    return moment.isoformat().replace("+", "%2B")


def set_rule(world: World, name: str, value: str) -> None:
    with world.db.transaction() as cur:
        cur.execute("SELECT set_rule(%s, %s)", (name, value))


def _slot_item(text: str, moment: datetime) -> str:
    """The <li> of the week page that links to the slot at ``moment``."""
    link = text.index(f"start={q(moment)}")
    return text[text.rindex("<li", 0, link) : text.index("</li>", link)]


def test_a_slot_inside_the_cut_off_is_marked_and_follows_the_rule(
    as_a: FlaskClient, world: World
) -> None:
    text = as_a.get("/book").text
    assert MARK in _slot_item(text, EARLY)
    assert MARK not in _slot_item(text, LATER)
    set_rule(world, "change_cutoff", "0 minutes")
    text = as_a.get("/book").text
    assert MARK not in _slot_item(text, EARLY)
    set_rule(world, "change_cutoff", "2 days")
    assert MARK in _slot_item(as_a.get("/book").text, LATER)


def test_the_confirm_page_warns_inside_the_cut_off(as_a: FlaskClient) -> None:
    early = as_a.get("/book/confirm", query_string={"start": EARLY.isoformat()})
    assert early.status_code == 200
    assert "can\u2019t be moved or cancelled once booked" in early.text
    later = as_a.get("/book/confirm", query_string={"start": LATER.isoformat()})
    assert 'id="cutoff-warning"' not in later.text


def test_a_month_at_its_limit_shows_no_slots_and_says_so(
    as_a: FlaskClient, world: World, csrf: Any
) -> None:
    week = "2027-01-18"
    before = as_a.get(f"/book?week={week}").text
    assert 'ul class="slots"' in before and "is full" not in before
    for day in (5, 6):  # A's January (Asia/Kolkata) now holds the monthly limit of 2
        booking.book(world.db, world.a, world.a, LATER + timedelta(days=day - 5), now=NOW)
    full = as_a.get(f"/book?week={week}").text
    assert "January 2027 is full:" in full and "2 calls are booked that month" in full
    assert 'class="slots"' not in full and "0 free times this week" in full
    # X's weekday hours fall on Monday to Saturday in Kolkata.
    assert full.count("No times: January 2027 is full.") == 6
    # February is another month: its slots are offered.
    february = as_a.get("/book?week=2027-02-01").text
    assert "is full" not in february and 'class="slots"' in february
    # The confirm page of a slot in the full month says it will be refused.
    page = as_a.get("/book/confirm", query_string={"start": "2027-01-19T17:00:00+00:00"})
    assert "you already have 2 calls booked that month, and the rules allow 2" in page.text
    # The rule decides: raise the limit and the month opens again.
    set_rule(world, "monthly_limit", "3")
    opened = as_a.get(f"/book?week={week}").text
    assert "is full" not in opened and 'class="slots"' in opened


def test_a_week_across_two_months_hides_only_the_full_one(as_a: FlaskClient, world: World) -> None:
    for day in (2, 3):
        start = datetime.fromisoformat(f"2027-03-{day:02d}T17:00:00+00:00")
        booking.book(world.db, world.a, world.a, start, now=NOW)
    # Monday 29 March to Sunday 4 April: March's days are full, April's are offered.
    text = as_a.get("/book?week=2027-03-29").text
    assert "Week of 29 March 2027" in text
    assert "March 2027 is full" in text and "No times: March 2027 is full." in text
    assert "Wednesday 31 March 2027, " not in text and "Thursday 1 April 2027, " in text


def test_move_and_cancel_are_not_offered_inside_the_cut_off(
    as_a: FlaskClient, world: World, login: Any
) -> None:
    early = booking.book(world.db, world.a, world.a, EARLY, now=NOW)
    page = as_a.get(f"/appointments/{early.token}").text
    assert "Move this call" not in page and "Cancel this call" not in page
    assert "can no longer be moved or cancelled here" in page
    assert "calls can be changed up to 1 day before they start" in page
    assert "contact your coach, Xavier Coach, at" in page and "mailto:x@example.com" in page
    # Typed in by hand, the move and cancel pages refuse and say whom to contact.
    for path in ("move", "cancel"):
        refused = as_a.get(f"/appointments/{early.token}/{path}")
        assert refused.status_code == 409, path
        assert "contact your coach, Xavier Coach, at x@example.com" in refused.text
    later = booking.book(world.db, world.a, world.a, LATER, now=NOW)
    page = as_a.get(f"/appointments/{later.token}").text
    assert "Move this call" in page and "can no longer be moved" not in page
    # The coach is not bound by the cut-off: the coach's view offers both.
    login(as_a, world.x)
    coach_page = as_a.get(f"/appointments/{early.token}").text
    assert "Move this call" in coach_page and "Cancel this call" in coach_page
    # The rule decides: with no cut-off the client may change the early call again.
    set_rule(world, "change_cutoff", "0 minutes")
    login(as_a, world.a)
    assert "Move this call" in as_a.get(f"/appointments/{early.token}").text


def test_the_move_week_marks_the_cut_off_and_ignores_the_moved_call_in_its_month(
    as_a: FlaskClient, world: World
) -> None:
    booking.book(world.db, world.a, world.a, LATER, now=NOW)
    moving = booking.book(world.db, world.a, world.a, LATER + timedelta(days=1), now=NOW)
    # January holds 2 calls, the limit, yet one of them is the call being moved: January's
    # slots are offered to move it to.
    page = as_a.get(f"/appointments/{moving.token}/move?week=2027-01-04").text
    assert "is full" not in page
    assert MARK in _slot_item(page, EARLY)
    confirm = as_a.get(
        f"/appointments/{moving.token}/move/confirm", query_string={"start": EARLY.isoformat()}
    )
    assert 'id="cutoff-warning"' in confirm.text


def test_the_coach_booking_for_a_client_sees_their_full_months_and_the_call_s_length(
    client: FlaskClient, world: World, login: Any, csrf: Any
) -> None:
    # The coach books for Ann with the same rules: the confirm page says when the call ends and
    # how long it lasts (the slot_length rule), and a month where Ann is at the limit is not
    # offered on the week page and is named on the confirm page.
    login(client, world.x)
    base = f"/coach/clients/{world.a}/book"
    page = client.get(base + "/confirm", query_string={"start": LATER.isoformat()})
    assert page.status_code == 200
    assert "<dt>Ends</dt>" in page.text and "<dt>Length</dt><dd>60 minutes</dd>" in page.text
    assert 'id="cutoff-warning"' not in page.text  # the cut-off binds the client, not the coach
    set_rule(world, "slot_length", "30 minutes")
    page = client.get(base + "/confirm", query_string={"start": LATER.isoformat()})
    assert "<dt>Length</dt><dd>30 minutes</dd>" in page.text
    set_rule(world, "slot_length", "60 minutes")
    week = "2027-01-18"
    assert 'ul class="slots"' in client.get(base, query_string={"week": week}).text
    for day in (5, 6):
        booking.book(world.db, world.a, world.a, LATER + timedelta(days=day - 5), now=NOW)
    full = client.get(base, query_string={"week": week}).text
    assert "January 2027 is full:" in full and 'class="slots"' not in full
    page = client.get(base + "/confirm", query_string={"start": "2027-01-19T17:00:00+00:00"})
    assert page.status_code == 200
    assert "Ann Client already has 2 calls booked that month, and the rules allow 2" in page.text
    # Another coach's client, typed in by hand, is still not theirs.
    refused = client.get(
        f"/coach/clients/{world.c}/book/confirm", query_string={"start": LATER.isoformat()}
    )
    assert refused.status_code == 404
