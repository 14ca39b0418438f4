"""Several mailers at once: SKIP LOCKED shares the work, and a call's mail keeps its order."""

from __future__ import annotations

from datetime import timedelta

from officehours import booking
from officehours.db import Cursor, Database, one
from tests.lib.support import NOW, World
from tests.mailer.helpers import local

WED_9_LA = local(2, "09:00", "America/Los_Angeles")
THU_10_LA = local(3, "10:00", "America/Los_Angeles")


def claim(cur: Cursor) -> tuple[str, str, int] | None:
    cur.execute("SELECT kind, recipient, revision FROM mail_claim()")
    row = cur.fetchone()
    return None if row is None else (row[0], row[1], row[2])


def test_two_mailers_never_claim_the_same_mail(db: Database, world: World) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    with (
        db.transaction(now=NOW) as first,
        db.transaction(now=NOW) as second,
        db.transaction(now=NOW) as third,
    ):
        assert claim(first) == ("booked", "client", 1)
        assert claim(second) == ("booked", "coach", 1)
        assert claim(third) is None


def test_a_newer_change_waits_for_the_older_mail_in_flight(db: Database, world: World) -> None:
    appt = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    with db.transaction(now=NOW) as sending:
        cur = sending
        cur.execute("SELECT public_id, recipient FROM mail_claim()")
        public_id, recipient = one(cur)
        assert recipient == "client"
        # The call moves while its booking mail to the client is on the wire.
        booking.move(db, world.a, appt.token, THU_10_LA, now=NOW)
        with db.transaction(now=NOW) as other, db.transaction(now=NOW) as third:
            # The coach's booking mail was superseded; the client's move mail waits its turn.
            assert claim(other) == ("moved", "coach", 2)
            assert claim(third) is None
        cur.execute(
            "SELECT mail_attempt_failed(%s, 'timeout', %s)", (public_id, timedelta(seconds=30))
        )
        assert cur.fetchone() == ("superseded",)
    with db.transaction(now=NOW) as later:
        assert claim(later) == ("moved", "client", 2)
    with db.transaction(now=NOW) as cur:
        cur.execute(
            "SELECT kind, recipient, state FROM mail_outbox WHERE kind <> 'reminder' ORDER BY id"
        )
        assert cur.fetchall() == [
            ("booked", "client", "superseded"),
            ("booked", "coach", "superseded"),
            ("moved", "client", "pending"),
            ("moved", "coach", "pending"),
        ]


def test_the_app_role_cannot_see_the_outbox(db: Database, world: World) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    with db.transaction(world.admin) as cur:
        cur.execute("SELECT has_table_privilege('mail_outbox', 'SELECT')")
        assert cur.fetchone() == (False,)
        cur.execute("SELECT has_function_privilege('mail_claim()', 'EXECUTE')")
        assert cur.fetchone() == (False,)
