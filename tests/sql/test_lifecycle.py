"""Deactivation and reassignment: what they end, what they revoke, and how they meet bookings.

Each race is made deterministic: another connection holds the coach's lock, the booking is made
to wait for it, and the change under test starts while the booking waits. Whatever order the
database lets them run in, no booked future call may be left with an inactive party or without
a current coaching relationship.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2

from officehours import accounts, booking, errors
from officehours.db import Database, one
from tests.lib.support import NOW, World

LA = ZoneInfo("America/Los_Angeles")
# The Tuesday after NOW (a Monday), 09:00 in Los Angeles: inside x's office hours.
TUESDAY_9 = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time(), LA) + timedelta(
    hours=9
)


def broken_calls(db: Database) -> list[tuple[str, str]]:
    """Booked future calls whose coach or client is inactive, or whose client is not (any more)
    coached by that coach: none may ever exist."""
    with db.transaction(now=NOW) as cur:
        cur.execute("""
            SELECT a.token, CASE WHEN NOT co.active THEN 'coach inactive'
                                 WHEN NOT cl.active THEN 'client inactive'
                                 ELSE 'no coaching' END
            FROM appointments a
            JOIN users co ON co.id = a.coach_id
            JOIN users cl ON cl.id = a.client_id
            WHERE a.status = 'booked' AND lower(a.during) > clock()
              AND (NOT co.active OR NOT cl.active OR NOT EXISTS (
                  SELECT 1 FROM coaching c WHERE c.coach_id = a.coach_id
                  AND c.client_id = a.client_id AND upper_inf(c.during)))""")
        return [(str(r[0]), str(r[1])) for r in cur.fetchall()]


def waiting_for_advisory_locks(db: Database) -> int:
    with db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return int(one(cur)[0])


def wait_until(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def race_a_booking_with(world: World, db_url: str, change: Callable[[Database], None]) -> str:
    """Books a's call with x while ``change`` runs, the booking already inside book() and
    waiting for x's lock when the change starts; returns what the booking answered."""
    holder = psycopg2.connect(db_url)
    outcome: dict[str, str] = {}

    def book_it() -> None:
        own = Database(db_url, max_connections=1)
        try:
            outcome["booking"] = booking.book(own, world.a, world.a, TUESDAY_9, now=NOW).status
        except errors.OfficeHoursError as exc:
            outcome["booking"] = exc.code
        finally:
            own.close()

    def change_it() -> None:
        own = Database(db_url, max_connections=1)
        try:
            change(own)
            outcome["change"] = "done"
        finally:
            own.close()

    try:
        with holder.cursor() as cur:
            cur.execute("SELECT lock_coach((SELECT id FROM users WHERE slug = %s))", (world.x,))
        booker = threading.Thread(target=book_it)
        booker.start()
        assert wait_until(lambda: waiting_for_advisory_locks(world.db) == 1)
        changer = threading.Thread(target=change_it)
        changer.start()
        # The change either finishes at once (it ignores the lock) or queues behind it.
        wait_until(lambda: "change" in outcome or waiting_for_advisory_locks(world.db) == 2, 3)
    finally:
        holder.rollback()
        holder.close()
    booker.join(30)
    changer.join(30)
    assert outcome.get("change") == "done"
    return outcome["booking"]


def test_a_deactivation_racing_a_booking_leaves_no_call_with_an_inactive_coach(
    world: World, db_url: str
) -> None:
    answered = race_a_booking_with(
        world, db_url, lambda own: accounts.set_active(own, None, world.x, False, now=NOW)
    )
    assert answered in {"booked", "inactive_user", "no_coaching_relationship"}
    assert broken_calls(world.db) == []


def test_a_client_deactivation_racing_a_booking_leaves_no_call_for_an_inactive_client(
    world: World, db_url: str
) -> None:
    race_a_booking_with(
        world, db_url, lambda own: accounts.set_active(own, None, world.a, False, now=NOW)
    )
    assert broken_calls(world.db) == []


def test_a_reassignment_racing_a_booking_leaves_no_call_with_the_former_coach(
    world: World, db_url: str
) -> None:
    accounts.set_office_hours(world.db, None, world.y, [])
    answered = race_a_booking_with(
        world, db_url, lambda own: accounts.assign_coach(own, None, world.a, world.y, now=NOW)
    )
    assert answered in {"booked", "no_coaching_relationship", "outside_office_hours"}
    assert broken_calls(world.db) == []


def test_reassignment_cancels_future_calls_with_the_former_coach_and_tells_both(
    world: World,
) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY_9, now=NOW)
    other = booking.book(world.db, world.b, world.b, TUESDAY_9.replace(hour=10), now=NOW)
    accounts.assign_coach(world.db, world.admin, world.a, world.y, now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT token, status::text FROM appointments WHERE token IN (%s, %s) ORDER BY token",
            (call.token, other.token),
        )
        status = dict(cur.fetchall())
        cur.execute(
            "SELECT o.recipient::text FROM mail_outbox o JOIN appointments a"
            " ON a.id = o.appointment_id WHERE a.token = %s AND o.kind = 'cancelled'"
            " ORDER BY 1",
            (call.token,),
        )
        told = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT u.slug FROM appointment_history h JOIN appointments a"
            " ON a.id = h.appointment_id LEFT JOIN users u ON u.id = h.actor_id"
            " WHERE a.token = %s AND h.action = 'cancelled'",
            (call.token,),
        )
        (cancelled_by,) = one(cur)
    assert status == {call.token: "cancelled", other.token: "booked"}
    assert told == ["client", "coach"]
    assert cancelled_by == world.admin
    assert broken_calls(world.db) == []


def test_assigning_the_same_coach_again_cancels_nothing(world: World) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY_9, now=NOW)
    accounts.assign_coach(world.db, None, world.a, world.x, now=NOW)
    with world.db.transaction() as cur:
        cur.execute("SELECT status::text FROM appointments WHERE token = %s", (call.token,))
        assert one(cur)[0] == "booked"


def feed_owner(db: Database, secret: str) -> str | None:
    with db.transaction() as cur:
        cur.execute("SELECT user_for_feed_token(%s)", (secret,))
        owner = one(cur)[0]
        return None if owner is None else str(owner)


def test_deactivation_revokes_tokens_app_passwords_and_feeds_and_reactivation_restores_none(
    world: World,
) -> None:
    _, token = accounts.create_api_token(world.db, None, world.a, "script")
    _, app_password = accounts.create_app_password(world.db, None, world.a, "phone")
    with world.db.transaction(world.a) as cur:
        cur.execute("SELECT create_feed_token()")
        (feed,) = one(cur)
    assert accounts.user_for_api_token(world.db, token) == world.a
    assert accounts.user_for_app_password(world.db, "a@example.com", app_password) == world.a
    assert feed_owner(world.db, feed) == world.a

    accounts.set_active(world.db, None, world.a, False, now=NOW)
    accounts.set_active(world.db, None, world.a, True, now=NOW)

    assert accounts.user_for_api_token(world.db, token) is None
    assert accounts.user_for_app_password(world.db, "a@example.com", app_password) is None
    assert feed_owner(world.db, feed) is None
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM credentials c JOIN users u ON u.id = c.user_id"
            " WHERE u.slug = %s AND c.revoked_at IS NULL",
            (world.a,),
        )
        assert one(cur)[0] == 0
        cur.execute(
            "SELECT count(*) FROM feed_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE u.slug = %s AND t.revoked_at IS NULL",
            (world.a,),
        )
        assert one(cur)[0] == 0
