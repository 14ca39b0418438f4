"""Many connections at once: exactly one booking wins a slot, and nothing overlapping is stored."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2

from officehours import accounts, booking, errors
from officehours.db import Database, one
from tests.lib.support import NOW, World, moved

THREADS = 50
LA = ZoneInfo("America/Los_Angeles")
TUESDAY_9 = moved(datetime(2027, 1, 5, 9, tzinfo=LA))


def many_clients(w: World, n: int) -> list[str]:
    slugs = []
    for i in range(n):
        slug = accounts.add_user(w.db, None, f"c{i}@example.com", f"Client {i}", "client", "UTC")
        accounts.assign_coach(w.db, None, slug, w.x)
        slugs.append(slug)
    return slugs


def run_together(url: str, jobs: list[Callable[[Database], str]]) -> list[str]:
    """Runs each job in its own thread with its own connection, all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[str] = [""] * len(jobs)

    def worker(i: int) -> None:
        own = Database(url, max_connections=1)
        try:
            barrier.wait()
            results[i] = jobs[i](own)
        except errors.OfficeHoursError as exc:
            results[i] = exc.code
        except psycopg2.Error as exc:
            results[i] = f"sqlstate {exc.pgcode}"
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def overlapping_pairs(db: Database, column: str) -> int:
    with db.transaction() as cur:
        cur.execute(
            f"SELECT count(*) FROM appointments a JOIN appointments b "
            f"ON a.{column} = b.{column} AND a.id < b.id AND a.during && b.during "
            "WHERE a.status = 'booked' AND b.status = 'booked'"
        )
        return int(one(cur)[0])


def test_fifty_clients_one_slot_one_winner(world: World, db_url: str) -> None:
    clients = many_clients(world, THREADS)

    def job(client: str) -> Callable[[Database], str]:
        return lambda own: booking.book(own, client, client, TUESDAY_9, now=NOW).status

    results = Counter(run_together(db_url, [job(c) for c in clients]))
    assert results == Counter({"booked": 1, "slot_taken": THREADS - 1})
    assert overlapping_pairs(world.db, "coach_id") == 0


def overlapping_range(rng: random.Random) -> tuple[datetime, datetime]:
    """A range on or off the 30-minute grid, of a right or wrong length, overlapping many others."""
    start = TUESDAY_9 + timedelta(minutes=15 * rng.randrange(8))
    return start, start + timedelta(minutes=rng.choice((30, 45, 60)))


def test_fifty_overlapping_bookings_store_nothing_overlapping(world: World, db_url: str) -> None:
    clients = many_clients(world, THREADS)
    accounts.set_rule(world.db, None, "slot_length", "30 minutes", world.x)
    rng = random.Random(7)

    def job(client: str) -> Callable[[Database], str]:
        start, end = overlapping_range(rng)
        return lambda own: booking.book(own, client, client, start, end, now=NOW).status

    results = run_together(db_url, [job(c) for c in clients])
    assert overlapping_pairs(world.db, "coach_id") == 0
    assert overlapping_pairs(world.db, "client_id") == 0
    # book() takes the coach's lock first, so it only ever answers with a rule: never a
    # deadlock or serialization failure.
    assert set(results) <= {"booked", "slot_taken", "off_grid", "wrong_length"}, Counter(results)
    assert 1 <= results.count("booked") <= 4


def test_fifty_raw_inserts_store_nothing_overlapping(world: World, db_url: str) -> None:
    clients = many_clients(world, THREADS)
    rng = random.Random(11)

    def job(client: str) -> Callable[[Database], str]:
        start, end = overlapping_range(rng)

        def raw_insert(own: Database) -> str:
            # Straight into the table, as the owner, skipping every check and lock: the
            # exclusion constraints alone decide.
            with own.transaction() as cur:
                cur.execute(
                    "INSERT INTO appointments (coach_id, client_id, during) "
                    "SELECT (find_user(%s)).id, (find_user(%s)).id, tstzrange(%s, %s)",
                    (world.x, client, start, end),
                )
            return "inserted"

        return raw_insert

    results = run_together(db_url, [job(c) for c in clients])
    assert overlapping_pairs(world.db, "coach_id") == 0
    assert overlapping_pairs(world.db, "client_id") == 0
    # Racing inserts wait on each other's conflicting rows; PostgreSQL's deadlock detector may
    # end some of them (a plain transaction cannot be run again: "busy", a 503). Either way
    # nothing overlapping is stored.
    assert set(results) <= {"inserted", "slot_taken", "busy"}, Counter(results)
    assert 1 <= results.count("inserted") <= 8
