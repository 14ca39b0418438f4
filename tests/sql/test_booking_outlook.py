"""bookable_slots, slot_terms and call_changes as the web app's role: they tell only what the
actor may see, and agree with what book(), move() and cancel() then do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from officehours import booking
from officehours.db import Database
from officehours.errors import OfficeHoursError
from tests.lib.support import NOW, World

EARLY = NOW + timedelta(hours=12)  # Tuesday 00:00 UTC: X's first slot, inside the cut-off
LATER = NOW + timedelta(days=1, hours=5)


def _run(db: Database, actor: str, query: str, *args: object) -> list[tuple[object, ...]]:
    with db.transaction(actor, now=NOW) as cur:
        cur.execute(query, args)
        return [tuple(r) for r in cur.fetchall()]


def test_other_clients_coaches_and_calls_are_refused(world: World) -> None:
    call = booking.book(world.db, world.b, world.b, LATER, now=NOW)
    week = (NOW, NOW + timedelta(days=7))
    cases = [
        (world.c, "SELECT * FROM bookable_slots(%s, %s, %s, NULL)", (world.x, *week), "forbidden"),
        (world.c, "SELECT * FROM slot_terms(%s, %s, NULL)", (world.x, LATER), "forbidden"),
        (world.a, "SELECT * FROM bookable_slots(%s, %s, %s, %s)", (world.x, *week, call.token),
         "not_your_appointment"),
        (world.a, "SELECT * FROM call_changes(%s)", (call.token,), "not_your_appointment"),
        (world.a, "SELECT * FROM call_changes(%s)", ("no-such-call",), "unknown_appointment"),
        # A coach books only for a current client of theirs, whoever else is named.
        (world.x, "SELECT * FROM slot_terms(%s, %s, NULL, %s)", (world.x, LATER, world.c),
         "no_coaching_relationship"),
        (world.x, "SELECT * FROM bookable_slots(%s, %s, %s, NULL, %s)", (world.x, *week, "nobody"),
         "no_coaching_relationship"),
        (world.admin, "SELECT * FROM slot_terms(%s, %s, NULL, %s)", (world.y, LATER, world.a),
         "no_coaching_relationship"),
    ]  # fmt: skip
    for actor, query, args, code in cases:
        with pytest.raises(OfficeHoursError) as raised:
            _run(world.db, actor, query, *args)
        assert raised.value.code == code, (query, args)


def test_the_flags_agree_with_what_the_rules_then_do(world: World) -> None:
    rows = _run(
        world.db,
        world.a,
        "SELECT slot_start, inside_cutoff FROM bookable_slots(%s, %s, %s, NULL)",
        world.x,
        NOW,
        NOW + timedelta(days=2),
    )
    flags = {start: inside for start, inside in rows}
    assert flags[EARLY] is True and flags[LATER] is False
    early = booking.book(world.db, world.a, world.a, EARLY, now=NOW)
    later = booking.book(world.db, world.a, world.a, LATER, now=NOW)
    changes = "SELECT changeable, cutoff_closed FROM call_changes(%s)"
    assert _run(world.db, world.a, changes, early.token) == [(False, True)]
    assert _run(world.db, world.a, changes, later.token) == [(True, False)]
    assert _run(world.db, world.x, changes, early.token) == [(True, False)]  # the coach may
    with pytest.raises(OfficeHoursError, match="less than 1 day before"):
        booking.cancel(world.db, world.a, early.token, now=NOW)
    booking.cancel(world.db, world.x, early.token, now=NOW)
    # Two calls in January reach the limit: the month is full, and book() agrees.
    booking.book(world.db, world.a, world.a, LATER + timedelta(days=1), now=NOW)
    terms = "SELECT month_full, month_calls FROM slot_terms(%s, %s, NULL)"
    assert _run(world.db, world.a, terms, world.x, LATER + timedelta(days=2)) == [(True, 2)]
    with pytest.raises(OfficeHoursError, match="You already have 2 calls booked in January 2027"):
        booking.book(world.db, world.a, world.a, LATER + timedelta(days=2), now=NOW)
