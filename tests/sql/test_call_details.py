"""How calls happen and the client's note: one definition of what may be stored (SQL and
``ics.calls`` agree on a corpus), who may set and see it, and an updated invite for every future
call whose details change (a new revision, history 'updated', mail 'updated'), never for a past
one and never for a refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics import calls
from officehours import booking, call_details, errors
from officehours.db import Database, one
from tests.lib.support import NOW, World, moved

LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
MEET = "https://meet.example.org/xavier-coach"


def la(day: int, hour: int) -> datetime:
    return moved(datetime(2027, 1, day, hour, tzinfo=LA))


# (kind, value, accepted)
VALUES: list[tuple[str | None, str | None, bool]] = [
    ("video", MEET, True),
    ("video", "https://meet.example.org:8443/r/abc?pwd=x-Y_z~1&a=%20b#top", True),
    ("video", "https://zoom.us/j/123456789?pwd=abc.def", True),
    ("video", "https://localhost", True),
    ("video", "http://meet.example.org/room", False),
    ("video", "javascript:alert(1)", False),
    ("video", "https://", False),
    ("video", "https://-bad.example.org/", False),
    ("video", "https://meet.example.org/a b", False),
    ("video", 'https://meet.example.org/"><script>', False),
    ("video", "https://meet.example.org/ü", False),
    ("video", "https://meet.example.org/\u202e", False),
    ("video", "https://meet.example.org/" + "a" * 475, True),
    ("video", "https://meet.example.org/" + "a" * 476, False),
    ("video", " https://meet.example.org/", False),
    ("video", "https://meet.example.org/\nX-INJECTED:1", False),
    ("phone", "+1 555 0100 2000", True),
    ("phone", "(030) 1234-5678", True),
    ("phone", "+44.20.7946.0958", True),
    ("phone", "12345", True),
    ("phone", "1234", False),
    ("phone", "+1234567890123456", False),
    ("phone", "call me", False),
    ("phone", "+1 555 0100 ext", False),
    ("phone", "+", False),
    ("phone", "+1 555-0100-", False),
    ("place", "Room 4, Kindred Centre, 12 High St", True),
    ("place", "Café «Ølberg»; 2nd floor", True),
    ("place", "x" * 300, True),
    ("place", "x" * 301, False),
    ("place", "two\nlines", False),
    ("place", "tab\there", False),
    ("place", "end ", False),
    ("place", "bell\x07", False),
    ("place", "c1\x85", False),
    ("place", "sep\u2028", False),
    ("place", "", False),
    ("video", None, False),
    (None, "https://meet.example.org/", False),
    (None, None, True),
]

# (text, accepted)
TEXTS: list[tuple[str | None, bool]] = [
    (None, True),
    ("I will call you on the number you give.", True),
    ("Line one\nLine two\n\nLine four", True),
    ("Zoë; «quotes», <b>markup</b> & commas", True),
    ("x" * 1000, True),
    ("x" * 1001, False),
    ("", False),
    ("   ", False),
    (" padded", False),
    ("padded\n", False),
    ("tab\tinside", False),
    ("cr\rinside", False),
    ("nul-free bell\x07", False),
    ("rtl \u202e mark", False),
    ("bom \ufeff", False),
    ("del \x7f", False),
]


def sql_value_problem(db: Database, kind: str | None, value: str | None) -> str | None:
    with db.transaction() as cur:
        cur.execute("SELECT call_value_problem(%s::call_kind, %s)", (kind, value))
        result: str | None = one(cur)[0]
        return result


def sql_text_problem(db: Database, text: str | None) -> str | None:
    with db.transaction() as cur:
        cur.execute("SELECT call_text_problem(%s, 1000)", (text,))
        result: str | None = one(cur)[0]
        return result


def test_sql_and_ics_agree_on_every_value(db: Database) -> None:
    for kind, value, accepted in VALUES:
        mine = calls.value_problem(kind, value)
        assert (mine is None) == accepted, (kind, value, mine)
        assert sql_value_problem(db, kind, value) == mine, (kind, value)


def test_sql_and_ics_agree_on_every_text(db: Database) -> None:
    for text, accepted in TEXTS:
        mine = calls.text_problem(text)
        assert (mine is None) == accepted, (text, mine)
        assert sql_text_problem(db, text) == mine, text


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["video", "phone", "place"]),
    value=st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40
    ).map(lambda t: t if t[:1] != "h" else "https://" + t),
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
)
def test_sql_and_ics_agree_on_random_text(db: Database, kind: str, value: str, text: str) -> None:
    assert sql_value_problem(db, kind, value) == calls.value_problem(kind, value)
    assert sql_text_problem(db, text) == calls.text_problem(text)


def revisions(w: World) -> dict[str, tuple[int, list[str]]]:
    """token -> (revision, history actions in order), as the owner."""
    with w.db.transaction() as cur:
        cur.execute(
            "SELECT a.token, a.revision, array_agg(h.action::text ORDER BY h.revision)"
            " FROM appointments a JOIN appointment_history h ON h.appointment_id = a.id"
            " GROUP BY a.token, a.revision"
        )
        return {token: (rev, list(actions)) for token, rev, actions in cur.fetchall()}


def pending_mail(w: World, token: str) -> list[tuple[str, str, int]]:
    with w.db.transaction() as cur:
        cur.execute(
            "SELECT o.kind::text, o.recipient::text, o.revision FROM mail_outbox o"
            " JOIN appointments a ON a.id = o.appointment_id"
            " WHERE a.token = %s AND o.state = 'pending' AND o.kind <> 'reminder'"
            " ORDER BY o.id",
            (token,),
        )
        return [tuple(row) for row in cur.fetchall()]


def test_a_coach_sets_details_and_future_calls_get_an_updated_invite(world: World) -> None:
    past = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    future = booking.book(world.db, world.b, world.b, la(12, 10), now=NOW)
    later = NOW + timedelta(days=2)  # the first call is over by then
    changed = call_details.set_for_coach(
        world.db, world.x, world.x, "video", MEET, "Join five minutes early.", now=later
    )
    assert changed == 1
    seen = revisions(world)
    assert seen[past.token] == (1, ["booked"])
    assert seen[future.token] == (2, ["booked", "updated"])
    assert pending_mail(world, future.token)[-2:] == [
        ("updated", "client", 2),
        ("updated", "coach", 2),
    ]
    # The same details again change nothing and mail nobody.
    again = call_details.set_for_coach(
        world.db, world.x, world.x, "video", f" {MEET} ", "Join five minutes early.\r\n", now=later
    )
    assert again == 0
    assert revisions(world)[future.token] == (2, ["booked", "updated"])
    assert call_details.for_coach(world.db, world.b, world.x) == calls.CallDetails(
        kind="video", value=MEET, details="Join five minutes early."
    )


def test_a_call_that_is_over_or_cancelled_keeps_the_details_it_had(world: World) -> None:
    # Only the calls that get the updated invite follow the coach's new details; a call that is
    # over, or was cancelled, keeps showing how it happened (or would have), not how the next
    # calls will.
    without = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    first = NOW + timedelta(days=1, hours=6)  # the call at la(5, 9) is over by then
    call_details.set_for_coach(world.db, world.x, world.x, "video", MEET, "Camera on.", now=first)
    held = booking.book(world.db, world.b, world.b, la(6, 10), now=first)
    dropped = booking.book(world.db, world.a, world.a, la(13, 10), now=first)
    booking.cancel(world.db, world.a, dropped.token, now=first)
    coming = booking.book(world.db, world.a, world.a, la(14, 10), now=first)
    later = NOW + timedelta(days=3)  # the call at la(6, 10) is over too
    changed = call_details.set_for_coach(
        world.db, world.x, world.x, "phone", "+1 555 0100", None, now=later
    )
    assert changed == 1  # only the coming call gets a new revision and an updated invite
    video = calls.CallDetails(kind="video", value=MEET, details="Camera on.")
    phone = calls.CallDetails(kind="phone", value="+1 555 0100", details=None)
    seen = {
        token: call_details.for_call(world.db, world.x, token, now=later)
        for token in (without.token, held.token, dropped.token, coming.token)
    }
    assert seen[without.token] == call_details.CallInfo(None, False, None)
    assert seen[held.token] == call_details.CallInfo(video, False, None)
    assert seen[dropped.token] == call_details.CallInfo(video, False, None)
    assert seen[coming.token] == call_details.CallInfo(phone, False, None)
    # Removing the coach's details keeps them on the calls that were, as any change does.
    call_details.set_for_coach(world.db, world.x, world.x, None, None, None, now=later)
    assert call_details.for_call(world.db, world.x, held.token, now=later) == seen[held.token]
    assert call_details.for_call(world.db, world.x, coming.token, now=later) == (
        call_details.CallInfo(None, False, None)
    )
    # The kept details are not "details of its own": nobody set them for that call.
    assert revisions(world)[held.token] == (1, ["booked"])


@pytest.mark.parametrize(
    ("kind", "value", "details", "error"),
    [
        ("video", "http://meet.example.org/", None, errors.InvalidCallDetails),
        ("video", "javascript:alert(1)", None, errors.InvalidCallDetails),
        ("fax", "12345", None, errors.InvalidCallDetails),
        ("video", "", None, errors.InvalidCallDetails),
        (None, MEET, None, errors.InvalidCallDetails),
        ("phone", "call me", None, errors.InvalidCallDetails),
        ("place", "x" * 301, None, errors.InvalidCallDetails),
        ("video", MEET, "x" * 1001, errors.InvalidCallText),
        ("video", MEET, "bell\x07", errors.InvalidCallText),
    ],
)
def test_bad_details_are_refused_with_their_own_code_and_change_nothing(
    world: World, kind: str | None, value: str | None, details: str | None, error: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, la(12, 9), now=NOW)
    with pytest.raises(error) as caught:
        call_details.set_for_coach(world.db, world.x, world.x, kind, value, details, now=NOW)
    assert caught.value.code == error.code
    assert str(caught.value)  # the rule's own words
    assert call_details.for_coach(world.db, world.x, world.x) is None
    assert revisions(world)[call.token] == (1, ["booked"])


def test_the_check_holds_for_a_hand_written_insert(world: World) -> None:
    with pytest.raises(errors.InvalidCallDetails):
        with world.db.transaction() as cur:
            cur.execute(
                "INSERT INTO call_details (coach_id, kind, value)"
                " VALUES ((find_user(%s)).id, 'video', 'http://x.example.org/')",
                (world.x,),
            )


def test_only_the_coach_or_an_admin_sets_a_coachs_details(world: World) -> None:
    for someone in (world.y, world.a):
        with pytest.raises(errors.Forbidden):
            call_details.set_for_coach(world.db, someone, world.x, "video", MEET, None, now=NOW)
    with pytest.raises(errors.WrongRole):
        call_details.set_for_coach(world.db, world.admin, world.a, "video", MEET, None, now=NOW)
    call_details.set_for_coach(world.db, world.admin, world.x, "phone", "+1 555 0100", None)
    assert call_details.for_coach(world.db, world.x, world.x) == calls.CallDetails(
        kind="phone", value="+1 555 0100"
    )
    # Clients of another coach do not see them.
    assert call_details.for_coach(world.db, world.c, world.x) is None


def test_one_call_can_have_details_of_its_own(world: World) -> None:
    mine = booking.book(world.db, world.a, world.a, la(12, 9), now=NOW)
    other = booking.book(world.db, world.b, world.b, la(12, 10), now=NOW)
    call_details.set_for_coach(world.db, world.x, world.x, "video", MEET, None, now=NOW)
    assert call_details.set_for_call(
        world.db, world.x, mine.token, "place", "Room 4", "Ring twice.", now=NOW
    )
    assert revisions(world)[mine.token] == (3, ["booked", "updated", "updated"])
    # The coach's next change passes over the call with its own details.
    assert call_details.set_for_coach(world.db, world.x, world.x, "phone", "+1 555 0100", None) == 1
    assert revisions(world)[mine.token][0] == 3
    assert revisions(world)[other.token][0] == 3
    info = call_details.for_call(world.db, world.a, mine.token, NOW)
    assert info is not None and info.own
    assert info.details == calls.CallDetails(kind="place", value="Room 4", details="Ring twice.")
    # Back to the coach's details: a change, so a new revision.
    assert call_details.set_for_call(world.db, world.x, mine.token, None, None, None, own=False)
    info = call_details.for_call(world.db, world.a, mine.token, NOW)
    assert info is not None and not info.own
    assert info.details == calls.CallDetails(kind="phone", value="+1 555 0100")
    assert revisions(world)[mine.token] == (4, ["booked", "updated", "updated", "updated"])
    # Neither the client nor another coach may set it.
    for someone in (world.a, world.y):
        with pytest.raises((errors.Forbidden, errors.NotYourAppointment)):
            call_details.set_for_call(world.db, someone, mine.token, "video", MEET, None, now=NOW)
    assert revisions(world)[mine.token][0] == 4


def test_the_note_is_written_with_the_booking_and_seen_only_by_its_call(world: World) -> None:
    # Inside the change cut-off (24 hours) from the start: the booking still takes its note.
    soon = NOW + timedelta(hours=14)
    start = la(5, 9)
    assert start - soon < timedelta(hours=24)
    made = call_details.book_with_note(
        world.db, world.a, world.a, start, "I'd like to talk about sleep", now=soon
    )
    token = made[0].token
    for viewer in (world.a, world.x, world.admin):
        info = call_details.for_call(world.db, viewer, token, soon)
        assert info is not None and info.note == "I'd like to talk about sleep"
    for stranger in (world.b, world.c, world.y):
        assert call_details.for_call(world.db, stranger, token, soon) is None
        with world.db.transaction(stranger, now=soon) as cur:
            cur.execute("SELECT count(*) FROM appointment_notes")
            assert one(cur)[0] == 0
    # After booking, the cut-off binds the client like any change.
    with pytest.raises(errors.InsideCutoff):
        call_details.set_note(world.db, world.a, token, "Something else", now=soon)


def test_the_client_edits_the_note_until_the_cutoff(world: World) -> None:
    call = booking.book(world.db, world.a, world.a, la(12, 9), now=NOW)
    call_details.set_note(world.db, world.a, call.token, "  Sleep,\r\nand stress  ", now=NOW)
    info = call_details.for_call(world.db, world.x, call.token, NOW)
    assert info is not None and info.note == "Sleep,\nand stress"
    with pytest.raises(errors.InvalidNote):
        call_details.set_note(world.db, world.a, call.token, "x" * 1001, now=NOW)
    for someone in (world.x, world.admin):
        with pytest.raises(errors.Forbidden):
            call_details.set_note(world.db, someone, call.token, "Not theirs", now=NOW)
    with pytest.raises(errors.NotYourAppointment):
        call_details.set_note(world.db, world.b, call.token, "Not theirs", now=NOW)
    info = call_details.for_call(world.db, world.a, call.token, NOW)
    assert info is not None and info.note == "Sleep,\nand stress"
    call_details.set_note(world.db, world.a, call.token, "", now=NOW)
    info = call_details.for_call(world.db, world.a, call.token, NOW)
    assert info is not None and info.note is None
    # A note is no new revision: nobody is mailed about it.
    assert revisions(world)[call.token] == (1, ["booked"])


def test_a_bad_note_refuses_the_whole_booking(world: World) -> None:
    with pytest.raises(errors.InvalidNote):
        call_details.book_with_note(world.db, world.a, world.a, la(12, 9), "bell\x07", now=NOW)
    assert revisions(world) == {}


def test_the_note_marks_the_coachs_calendar_stale(world: World) -> None:
    call = booking.book(world.db, world.a, world.a, la(12, 9), now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT caldav_ensure_home() FROM (SELECT set_config('officehours.actor', %s, true))"
            " AS s",
            (world.x,),
        )
        cur.execute("UPDATE caldav_collections SET stale = false")
        cur.execute("SELECT revision FROM caldav_collections WHERE kind = 'appointments'")
        before = one(cur)[0]
    call_details.set_note(world.db, world.a, call.token, "Sleep", now=NOW)
    with world.db.transaction() as cur:
        cur.execute("SELECT stale, revision FROM caldav_collections WHERE kind = 'appointments'")
        stale, revision = one(cur)
    assert stale and revision > before


def test_a_series_carries_the_note_on_every_call(world: World) -> None:
    made = call_details.book_with_note(
        world.db, world.a, world.a, la(12, 9), "Sleep, monthly", months=2, now=NOW
    )
    assert len(made) == 2
    for call in made:
        info = call_details.for_call(world.db, world.x, call.token, NOW)
        assert info is not None and info.note == "Sleep, monthly"
