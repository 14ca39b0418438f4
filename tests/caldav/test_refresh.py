"""Recurring busy time follows the booking horizon for a coach whose calendar app never connects:
the refresh runs on the database alone, and the next ``free_slots`` and ``book`` respect it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from psycopg2.extensions import make_dsn

from caldav_plugin import refresh
from caldav_plugin.refresh import BusyRefresher, refresh_all
from officehours import booking, errors
from officehours.db import Database, one
from tests.caldav.dav import Dav
from tests.caldav.helpers import LATER, TARGET, WEEKLY, busy_until, put_weekly
from tests.lib.support import NOW, World


def free_on_target_day(world: World) -> set[datetime]:
    day = TARGET.replace(hour=0)
    slots = booking.free_slots(world.db, world.x, world.x, day, day + timedelta(days=1), now=LATER)
    return {slot.start for slot in slots}


def test_refresh_without_caldav_requests_blocks_the_newly_reached_weeks(
    dav: Dav, world: World
) -> None:
    ref = put_weekly(dav, world.x)
    assert busy_until(world.db, ref) < TARGET
    # Without the refresh the new weeks would be bookable despite the weekly busy time.
    assert TARGET in free_on_target_day(world)

    done = refresh_all(world.db, now=LATER)

    assert (done.events, done.coaches, done.failed) == (1, 1, {})
    assert busy_until(world.db, ref) > LATER + timedelta(days=90)
    free = free_on_target_day(world)
    assert TARGET not in free and TARGET + timedelta(hours=1) in free
    with pytest.raises(errors.CoachBusy):
        booking.book(world.db, world.a, world.a, TARGET, now=LATER)
    call = booking.book(world.db, world.a, world.a, TARGET + timedelta(hours=1), now=LATER)
    assert call.start == TARGET + timedelta(hours=1)
    # Idempotent: nothing is due any more, and nothing was added twice.
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM busy_intervals WHERE source_ref = %s", (ref,))
        intervals = one(cur)[0]
    assert refresh_all(world.db, now=LATER) == refresh.Refreshed()
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM busy_intervals WHERE source_ref = %s", (ref,))
        assert one(cur)[0] == intervals


def test_nothing_is_due_before_the_horizon_reaches_the_expansion(dav: Dav, world: World) -> None:
    ref = put_weekly(dav, world.x)
    before = busy_until(world.db, ref)
    assert refresh.due_coaches(world.db, now=NOW + timedelta(days=20)) == []
    assert refresh_all(world.db, now=NOW + timedelta(days=20)).events == 0
    assert busy_until(world.db, ref) == before
    assert refresh.due_coaches(world.db, now=LATER) == [world.x]


def test_runs_at_once_on_several_hosts_expand_each_event_once(
    dav: Dav, world: World, db_url: str
) -> None:
    ref = put_weekly(dav, world.x)
    dav("PUT", f"/{world.x}/busy/swim.ics", WEEKLY.replace("UID:gym", "UID:swim"))
    hosts = [Database(db_url, max_connections=2) for _ in range(3)]
    start = threading.Barrier(len(hosts))
    results: list[refresh.Refreshed] = []

    def host(db: Database) -> None:
        start.wait()
        results.append(refresh_all(db, now=LATER))

    threads = [threading.Thread(target=host, args=(db,)) for db in hosts]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for db in hosts:
            db.close()
    assert len(results) == len(hosts)
    assert sum(r.events for r in results) == 2
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT during) FROM busy_intervals WHERE source_ref = %s",
            (ref,),
        )
        total, distinct = one(cur)
    assert total == distinct and busy_until(world.db, ref) > LATER + timedelta(days=90)


def test_an_event_over_the_instance_limit_keeps_its_busy_time_and_others_go_on(
    dav: Dav, world: World
) -> None:
    ref = put_weekly(dav, world.x)
    before = busy_until(world.db, ref)
    done = refresh_all(world.db, 5, now=LATER)
    assert done.events == 0 and list(done.failed) == [world.x]
    assert busy_until(world.db, ref) == before


def test_the_refresher_runs_at_start_then_periodically_and_stops(dav: Dav, world: World) -> None:
    ref = put_weekly(dav, world.x)
    refresher = BusyRefresher(world.db, clock=LATER, interval=0.01)
    refresher.start()
    try:
        assert refresher.wait(3, timeout=30)
    finally:
        refresher.stop()
    assert not refresher.alive
    assert busy_until(world.db, ref) > LATER + timedelta(days=90)
    assert refresher.last == refresh.Refreshed()


def test_stop_does_not_wait_for_the_next_hour(world: World) -> None:
    refresher = BusyRefresher(world.db, clock=LATER)
    refresher.start()
    assert refresher.wait(1, timeout=30)
    refresher.stop()
    assert not refresher.alive and refresher.runs == 1


def test_a_failed_run_is_logged_and_the_thread_goes_on(
    world: World, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    missing = Database(make_dsn(db_url, dbname="officehours_missing"), max_connections=1)
    refresher = BusyRefresher(missing, interval=0.01)
    refresher.start()
    try:
        assert refresher.wait(2, timeout=30)
        assert refresher.alive and refresher.last is None
    finally:
        refresher.stop()
    assert "refreshing recurring busy time failed" in caplog.text
