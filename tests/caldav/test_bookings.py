"""The generated calendars follow bookings, and busy calendars block booking at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from officehours import booking, errors
from officehours.db import one
from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login
from tests.lib.support import NOW, World

# Tuesday 5 January 2027, 09:00 in Los Angeles: coach X's first slot after the minimum notice.
SLOT = datetime(2027, 1, 5, 17, 0, tzinfo=UTC)


def _free(world: World) -> set[datetime]:
    slots = booking.free_slots(world.db, world.x, world.x, SLOT, SLOT + timedelta(days=1), now=NOW)
    return {slot.start for slot in slots}


def test_booking_shows_in_both_appointments_calendars_at_next_sync(
    app: Any, dav: Dav, client_a: Login, world: World
) -> None:
    coach_cal = f"/{world.x}/appointments/"
    client = Dav(app, client_a)
    client_cal = f"/{world.a}/appointments/"
    t_coach = h.token(dav("REPORT", coach_cal, h.sync_collection(), Depth="1").data)
    t_client = h.token(client("REPORT", client_cal, h.sync_collection(), Depth="1").data)

    call = booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    href = f"{call.token}.ics"
    got = dav("REPORT", coach_cal, h.sync_collection(t_coach), Depth="1")
    assert h.hrefs(got.data) == [coach_cal + href]
    text = dav("GET", coach_cal + href).get_data(as_text=True)
    assert "Ann Client" in text and "SEQUENCE:1" in text and "TZID=America/Los_Angeles" in text
    assert f"UID:{call.token}@" in text
    etag = dav("GET", coach_cal + href).headers["ETag"]
    got = client("REPORT", client_cal, h.sync_collection(t_client), Depth="1")
    assert h.hrefs(got.data) == [client_cal + href]
    assert "Asia/Kolkata" in client("GET", client_cal + href).get_data(as_text=True)

    t_coach = h.token(dav("REPORT", coach_cal, h.sync_collection(), Depth="1").data)
    moved = booking.move(world.db, world.x, call.token, SLOT + timedelta(hours=1), now=NOW)
    assert moved.revision == 2
    changed = dav("REPORT", coach_cal, h.sync_collection(t_coach), Depth="1")
    assert h.hrefs(changed.data) == [coach_cal + href]
    after = dav("GET", coach_cal + href)
    assert after.headers["ETag"] != etag and "SEQUENCE:2" in after.get_data(as_text=True)

    t_coach = h.token(changed.data)
    booking.cancel(world.db, world.x, call.token, now=NOW)
    cancelled = dav("REPORT", coach_cal, h.sync_collection(t_coach), Depth="1")
    assert h.gone(cancelled.data) == [coach_cal + href]


def test_sync_token_moves_in_the_booking_transaction(dav: Dav, world: World) -> None:
    cal = f"/{world.x}/appointments/"
    dav("PROPFIND", cal, h.propfind("D:sync-token"), Depth="0")
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT revision FROM caldav_collections WHERE name = 'appointments'"
            " AND owner_id = (SELECT id FROM users WHERE slug = %s)",
            (world.x,),
        )
        before = one(cur)[0]
    booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT revision, stale FROM caldav_collections WHERE name = 'appointments'"
            " AND owner_id = (SELECT id FROM users WHERE slug = %s)",
            (world.x,),
        )
        after, stale = one(cur)
    assert after > before and stale


def test_busy_event_blocks_slots_at_once_and_delete_frees_them(dav: Dav, world: World) -> None:
    assert SLOT in _free(world)
    path = f"/{world.x}/busy/dentist.ics"
    assert (
        dav("PUT", path, h.event("dentist", "20270105T170000Z", "20270105T180000Z")).status_code
        == 201
    )
    assert SLOT not in _free(world)
    with pytest.raises(errors.CoachBusy):
        booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    assert dav("DELETE", path).status_code == 200
    assert SLOT in _free(world)


def test_recurring_busy_event_is_expanded(dav: Dav, world: World) -> None:
    weekly = h.event("gym", "20261229T170000Z", "20261229T180000Z", rrule="FREQ=WEEKLY;BYDAY=TU")
    dav("PUT", f"/{world.x}/busy/gym.ics", weekly)
    for weeks in (0, 1, 8):
        start = SLOT + timedelta(weeks=weeks)
        free = booking.free_slots(
            world.db, world.x, world.x, start, start + timedelta(hours=2), now=NOW
        )
        assert start not in {s.start for s in free}
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM busy_intervals WHERE source_ref = %s",
            (f"/{world.x}/busy/gym.ics",),
        )
        assert 10 < one(cur)[0] < 30


def test_recurrence_bomb_is_refused(dav: Dav, world: World) -> None:
    bomb = h.event("bomb", "20270105T170000Z", "20270105T170100Z", rrule="FREQ=MINUTELY")
    r = dav("PUT", f"/{world.x}/busy/bomb.ics", bomb)
    assert r.status_code == 400
    assert dav("GET", f"/{world.x}/busy/bomb.ics").status_code == 404


def test_other_calendars_block_only_when_marked(dav: Dav, world: World) -> None:
    cal = f"/{world.x}/private/"
    assert dav("MKCALENDAR", cal, h.mkcalendar("Private")).status_code == 201
    dav("PUT", cal + "lunch.ics", h.event("lunch", "20270105T170000Z", "20270105T180000Z"))
    assert SLOT in _free(world)
    assert dav("PROPPATCH", cal, h.set_blocking("true")).status_code == 207
    assert SLOT not in _free(world)
    assert dav("PROPPATCH", cal, h.set_blocking("false")).status_code == 207
    assert SLOT in _free(world)
    dav("PROPPATCH", cal, h.set_blocking("true"))
    assert dav("DELETE", cal).status_code == 200
    assert SLOT in _free(world)


def test_event_over_a_booking_is_stored_and_listed_as_conflict(dav: Dav, world: World) -> None:
    call = booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    path = f"/{world.x}/busy/clash.ics"
    assert (
        dav("PUT", path, h.event("clash", "20270105T170000Z", "20270105T173000Z")).status_code
        == 201
    )
    with world.db.transaction(world.x, now=NOW) as cur:
        cur.execute("SELECT appointment, source_ref FROM coach_conflicts")
        assert cur.fetchall() == [(call.token, path)]


def test_recurring_busy_time_follows_the_horizon(
    db_url: str, dav: Dav, coach: Login, world: World
) -> None:
    from caldav_plugin.service import make_app

    ref = f"/{world.x}/busy/gym.ics"
    weekly = h.event("gym", "20261229T170000Z", "20261229T180000Z", rrule="FREQ=WEEKLY;BYDAY=TU")
    dav("PUT", ref, weekly)

    def last_busy() -> datetime:
        with world.db.transaction() as cur:
            cur.execute(
                "SELECT max(upper(during)) FROM busy_intervals WHERE source_ref = %s", (ref,)
            )
            return one(cur)[0]

    before = last_busy()
    later = NOW + timedelta(days=100)
    Dav(make_app(db_url, {"storage": {"clock": later.isoformat()}}), coach)(
        "PROPFIND", f"/{world.x}/", Depth="0"
    )
    assert last_busy() > later + timedelta(days=90) > before
