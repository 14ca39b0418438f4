"""A coach or admin who cancels or moves a call may say why: the reason is kept with the history
row of that change, checked by the database, and never carried over to another change."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from officehours import booking, errors
from officehours.db import one
from tests.lib.support import NOW, World, moved

TUESDAY = moved(datetime.fromisoformat("2027-01-05T17:00:00+00:00"))  # 09:00 in Los Angeles
LATER = TUESDAY + timedelta(days=1, hours=1)


def history(world: World) -> list[tuple[Any, ...]]:
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT h.action::text, u.slug, h.reason FROM appointment_history h"
            " LEFT JOIN users u ON u.id = h.actor_id ORDER BY h.id"
        )
        return [tuple(r) for r in cur.fetchall()]


def test_the_reason_is_kept_with_the_change_and_by_whom(world: World) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    booking.move(world.db, world.x, call.token, LATER, now=NOW, reason="  A training day  ")
    booking.cancel(world.db, world.admin, call.token, now=NOW, reason="The coach is ill.")
    assert history(world) == [
        ("booked", world.a, None),
        ("moved", world.x, "A training day"),
        ("cancelled", world.admin, "The coach is ill."),
    ]


def test_no_reason_and_a_blank_one_are_the_same(world: World) -> None:
    first = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    two = booking.book(world.db, world.b, world.b, LATER, now=NOW)
    booking.cancel(world.db, world.x, first.token, now=NOW)
    booking.cancel(world.db, world.x, two.token, now=NOW, reason="   ")
    assert [r for _, _, r in history(world)] == [None, None, None, None]


def test_a_reason_does_not_carry_over_to_the_next_change(world: World) -> None:
    first = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    with world.db.transaction(world.x, now=NOW) as cur:
        cur.execute("SELECT token FROM cancel(%s, %s)", (first.token, "Away"))
        cur.execute("SELECT token FROM book(%s, %s)", (world.a, LATER))
        (token,) = one(cur)
        cur.execute("SELECT token FROM move(%s, %s)", (token, LATER + timedelta(hours=1)))
    assert [r for _, _, r in history(world)] == [None, "Away", None, None]


@pytest.mark.parametrize(
    "reason",
    [
        "x" * 501,
        "first line\nsecond line",
        "tab\there",
        "bell\x07",
        "a\u202eb",  # a right-to-left override would make the mail read otherwise
        "line\u2028separator",
    ],
)
def test_a_bad_reason_is_refused_and_changes_nothing(world: World, reason: str) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    before = history(world)
    with pytest.raises(errors.InvalidReason) as cancel_refused:
        booking.cancel(world.db, world.x, call.token, now=NOW, reason=reason)
    with pytest.raises(errors.InvalidReason):
        booking.move(world.db, world.x, call.token, LATER, now=NOW, reason=reason)
    assert cancel_refused.value.code == "invalid_reason"
    assert cancel_refused.value.http_status == 422
    assert history(world) == before
    assert booking.cancel(world.db, world.x, call.token, now=NOW, reason="x" * 500).status == (
        "cancelled"
    )


def test_mail_claim_says_who_changed_the_call_and_why(world: World) -> None:
    call = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    booking.cancel(world.db, world.x, call.token, now=NOW, reason="Away that week")
    with world.db.transaction(now=NOW) as cur:
        cur.execute("UPDATE mail_outbox SET state = 'sent', finished_at = clock()"
                    " WHERE kind = 'booked'")  # fmt: skip
        cur.execute(
            "SELECT kind::text, recipient::text, changed_by_name, changed_by_role, reason"
            " FROM mail_claim()"
        )
        assert cur.fetchone() == ("cancelled", "client", "Xavier Coach", "coach", "Away that week")
