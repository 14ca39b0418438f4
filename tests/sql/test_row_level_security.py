"""Row-level security: impersonate each user and assert exactly which rows they see and change."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg2
import pytest

from officehours import accounts, booking, errors
from officehours.db import Database
from tests.lib.support import NOW, World, moved

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def booked(world: World) -> dict[str, str]:
    """One call each for A and B with coach X, one for C with coach Y; tokens by client."""
    tokens = {
        "a": booking.book(
            world.db, world.a, world.a, moved(datetime(2027, 1, 5, 9, tzinfo=LA)), now=NOW
        ),
        "b": booking.book(
            world.db, world.b, world.b, moved(datetime(2027, 1, 5, 10, tzinfo=LA)), now=NOW
        ),
        "c": booking.book(
            world.db,
            world.c,
            world.c,
            moved(datetime(2027, 1, 5, 9, tzinfo=ZoneInfo("Europe/London"))),
            now=NOW,
        ),
    }
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source) VALUES "
            "((find_user(%s)).id, tstzrange(%s, %s), 'manual')",
            (
                world.x,
                moved(datetime(2027, 1, 6, 9, tzinfo=LA)),
                moved(datetime(2027, 1, 6, 10, tzinfo=LA)),
            ),
        )
    accounts.create_api_token(world.db, None, world.a, "a's token")
    accounts.create_api_token(world.db, None, world.x, "x's token")
    return {k: v.token for k, v in tokens.items()}


def seen(db: Database, actor: str, query: str) -> set[str]:
    with db.transaction(actor, now=NOW) as cur:
        cur.execute(query)
        return {str(row[0]) for row in cur.fetchall()}


APPOINTMENTS = "SELECT token FROM appointments"
USERS = "SELECT slug FROM users"
HOURS = "SELECT DISTINCT u.slug FROM office_hours h JOIN users u ON u.id = h.coach_id"
BUSY = "SELECT count(*) FROM busy_intervals"
TOKENS = "SELECT label FROM credentials WHERE kind = 'api_token'"
HISTORY = "SELECT a.token FROM appointment_history h JOIN appointments a ON a.id = h.appointment_id"


def test_each_user_sees_exactly_their_rows(world: World, booked: dict[str, str]) -> None:
    w, db = world, world.db
    assert seen(db, w.a, APPOINTMENTS) == {booked["a"]}
    assert seen(db, w.a, HISTORY) == {booked["a"]}
    assert seen(db, w.a, USERS) == {w.a, w.x}
    assert seen(db, w.a, HOURS) == {w.x}
    assert seen(db, w.a, BUSY) == {"0"}
    assert seen(db, w.a, TOKENS) == {"a's token"}

    assert seen(db, w.b, APPOINTMENTS) == {booked["b"]}
    assert seen(db, w.c, APPOINTMENTS) == {booked["c"]}
    assert seen(db, w.c, USERS) == {w.c, w.y}

    assert seen(db, w.x, APPOINTMENTS) == {booked["a"], booked["b"]}
    assert seen(db, w.x, USERS) == {w.x, w.a, w.b}
    assert seen(db, w.x, HOURS) == {w.x}
    assert seen(db, w.x, BUSY) == {"1"}
    assert seen(db, w.x, TOKENS) == {"x's token"}
    assert seen(db, w.y, APPOINTMENTS) == {booked["c"]}
    assert seen(db, w.y, BUSY) == {"0"}

    assert seen(db, w.admin, APPOINTMENTS) == set(booked.values())
    assert seen(db, w.admin, USERS) == {w.admin, w.x, w.y, w.a, w.b, w.c}
    assert seen(db, w.admin, TOKENS) == {"a's token", "x's token"}

    # Nobody signed in, or someone unknown or deactivated: nothing at all.
    for nobody in ("", "no-such-user"):
        assert seen(db, nobody, APPOINTMENTS) == set()
        assert seen(db, nobody, USERS) == set()
    accounts.set_active(db, None, w.b, False, now=NOW)
    assert seen(db, w.b, APPOINTMENTS) == set()


def test_clients_see_history_only_as_far_back_as_the_rule(world: World) -> None:
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO appointments (coach_id, client_id, during) "
            "SELECT (find_user(%s)).id, (find_user(%s)).id, tstzrange(%s, %s) RETURNING token",
            (
                world.x,
                world.a,
                moved(datetime(2026, 1, 5, 9, tzinfo=LA)),
                moved(datetime(2026, 1, 5, 10, tzinfo=LA)),
            ),
        )
        (old,) = cur.fetchone() or ("",)
    assert old not in seen(world.db, world.a, APPOINTMENTS)  # 11 months ago, rule is 180 days
    assert old in seen(world.db, world.x, APPOINTMENTS)
    accounts.set_rule(world.db, None, "history_shown", "400 days")
    assert old in seen(world.db, world.a, APPOINTMENTS)


def test_password_hashes_and_secret_hashes_are_not_readable(world: World) -> None:
    for query in (
        "SELECT password_hash FROM users",
        "SELECT secret_hash FROM credentials",
    ):
        with (
            pytest.raises(psycopg2.errors.InsufficientPrivilege),
            world.db.transaction(world.admin) as cur,
        ):
            cur.execute(query)


@pytest.mark.parametrize("who", ["a", "x"])
def test_no_one_writes_appointments_directly(
    world: World, booked: dict[str, str], who: str
) -> None:
    actor = getattr(world, who)
    for statement in (
        "UPDATE appointments SET status = 'cancelled'",
        "DELETE FROM appointments",
        "INSERT INTO appointments (coach_id, client_id, during) VALUES "
        "(1, 2, tstzrange(now(), now() + interval '1 hour'))",
    ):
        with (
            pytest.raises(psycopg2.errors.InsufficientPrivilege),
            world.db.transaction(actor) as cur,
        ):
            cur.execute(statement)


def test_writes_are_limited_to_what_is_yours(world: World) -> None:
    db, w = world.db, world
    hours = [
        accounts.WeeklyHours(6, datetime(2027, 1, 1, 10).time(), datetime(2027, 1, 1, 12).time())
    ]
    accounts.set_office_hours(db, w.x, w.x, hours)  # a coach edits their own hours
    assert len(accounts.office_hours(db, None, w.x)) == 1
    with pytest.raises(errors.UnknownUser):  # coach Y cannot even see coach X
        accounts.set_office_hours(db, w.y, w.x, hours)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):  # a client sees X, may not edit
        accounts.set_office_hours(db, w.a, w.x, hours)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        accounts.set_rule(db, w.x, "minimum_notice", "1 hour")
    accounts.set_rule(db, w.admin, "minimum_notice", "1 hour")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        accounts.add_user(db, w.x, "new@example.com", "New", "client", "UTC")
    accounts.add_user(db, w.admin, "new@example.com", "New", "client", "UTC")
    with pytest.raises(errors.UnknownUser):  # A cannot see B, so cannot change B
        accounts.set_active(db, w.a, w.b, False, now=NOW)
    with db.transaction(w.a) as cur:  # and a blind UPDATE of every row touches only A's own
        cur.execute("UPDATE users SET display_name = 'Renamed'")
        assert cur.rowcount == 1
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), db.transaction(w.a) as cur:
        cur.execute("UPDATE users SET role = 'admin'")
