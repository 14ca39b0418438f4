"""The connection pool heals: dead connections are never handed out, waits are bounded, and
conflicts PostgreSQL resolves by ending a transaction are run again or answered 503."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg2
import pytest

from officehours import booking, errors
from officehours import db as pool
from officehours.db import Cursor, Database, one
from tests.lib.support import NOW, World


@pytest.fixture
def admin(db_url: str) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    yield conn
    conn.close()


def backend(db: Database) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return int(one(cur)[0])


def terminate(admin: psycopg2.extensions.connection, *pids: int) -> None:
    with admin.cursor() as cur:
        for pid in pids:
            cur.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_a_connection_the_server_ended_is_never_handed_out(
    db_url: str, admin: psycopg2.extensions.connection
) -> None:
    db = Database(db_url, max_connections=3)
    try:
        held = threading.Barrier(3)
        pids: list[int] = []

        def hold() -> None:
            with db.transaction() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pids.append(int(one(cur)[0]))
                held.wait(timeout=10)

        threads = [threading.Thread(target=hold) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        terminate(admin, *pids)
        # Three idle connections, all dead: every transaction still gets a live one.
        again = [backend(db) for _ in range(3)]
        assert set(again).isdisjoint(pids)
    finally:
        db.close()


def test_a_connection_that_failed_is_closed_and_replaced(db_url: str) -> None:
    db = Database(db_url, max_connections=1)
    try:
        first = backend(db)
        with pytest.raises(errors.DatabaseUnavailable):
            with db.transaction() as cur:
                cur.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        assert backend(db) != first
    finally:
        db.close()


def test_the_wait_for_a_connection_is_bounded(db_url: str) -> None:
    db = Database(db_url, max_connections=1, wait_timeout=0.5)
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction():
            inside.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(10)
        began = time.monotonic()
        with pytest.raises(errors.Busy) as refused:
            with db.transaction():
                pass
        assert 0.4 < time.monotonic() - began < 3
        assert refused.value.http_status == 503 and refused.value.retry_after
    finally:
        leave.set()
        holder.join()
        db.close()


def test_connections_are_renewed_after_their_maximum_age(db_url: str) -> None:
    db = Database(db_url, max_connections=1, max_age=0.2)
    try:
        first = backend(db)
        assert backend(db) == first  # young: kept
        time.sleep(0.3)
        assert backend(db) != first
    finally:
        db.close()


def test_an_unreachable_server_is_database_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    db = Database(f"postgresql://nobody@127.0.0.1:{port}/nothing", wait_timeout=2)
    with pool.service_errors() as seen:
        with pytest.raises(errors.DatabaseUnavailable) as raised:
            with db.transaction():
                pass
    assert raised.value.http_status == 503 and raised.value.retry_after
    assert seen == [raised.value]
    with pytest.raises(errors.DatabaseUnavailable):
        db.ping()


def lock_coach(admin: psycopg2.extensions.connection, coach: str) -> None:
    admin.autocommit = False
    with admin.cursor() as cur:
        cur.execute("SELECT lock_coach(id) FROM users WHERE slug = %s", (coach,))


def test_the_wait_for_a_coachs_lock_is_bounded(
    world: World, db_url: str, admin: psycopg2.extensions.connection
) -> None:
    db = Database(db_url, lock_timeout=0.5)
    start = datetime(2027, 1, 5, 18, tzinfo=UTC)  # Tuesday 10:00 in Los Angeles
    try:
        lock_coach(admin, world.x)  # as a long calendar upload of coach X does
        began = time.monotonic()
        with pytest.raises(errors.Busy):
            booking.book(db, world.a, world.a, start, now=NOW)
        assert 0.4 < time.monotonic() - began < 3
        admin.rollback()
        assert booking.book(db, world.a, world.a, start, now=NOW).status == "booked"
    finally:
        db.close()


def test_a_statement_past_the_statement_timeout_is_busy(db_url: str) -> None:
    db = Database(db_url, statement_timeout=0.2)
    try:
        with pytest.raises(errors.Busy):
            with db.transaction("nobody") as cur:
                cur.execute("SELECT pg_sleep(3)")
        assert backend(db)  # the pool goes on
    finally:
        db.close()


def conflict_first(times: int) -> tuple[list[int], object]:
    """Work that PostgreSQL ends with a serialization failure the first ``times`` runs."""
    runs: list[int] = []

    def work(cur: Cursor) -> str:
        runs.append(1)
        if len(runs) <= times:
            cur.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure';"
                " END $$"
            )
        cur.execute("SELECT 'done'")
        return str(one(cur)[0])

    return runs, work


def test_run_runs_work_again_after_a_serialization_failure(db: Database) -> None:
    runs, work = conflict_first(2)
    assert db.run(work) == "done"  # type: ignore[arg-type]
    assert len(runs) == 3


def test_a_conflict_that_outlasts_the_attempts_is_busy_not_an_error(db: Database) -> None:
    runs, work = conflict_first(5)
    with pytest.raises(errors.Busy):
        db.run(work, attempts=3)  # type: ignore[arg-type]
    assert len(runs) == 3
    # A plain transaction cannot be run again: its conflict is a 503 too, not a crash.
    with pytest.raises(errors.Busy):
        with db.transaction() as cur:
            cur.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = 'deadlock_detected'; END $$"
            )


def test_a_real_deadlock_is_resolved_by_running_the_loser_again(db: Database) -> None:
    """Two transactions take two locks in opposite orders; PostgreSQL ends one of them after
    deadlock_timeout, and ``run`` runs it again, so both succeed."""
    both = threading.Barrier(2)
    runs = {"first": 0, "second": 0}
    results: dict[str, str] = {}

    def worker(name: str, order: tuple[int, int]) -> None:
        def work(cur: Cursor) -> str:
            runs[name] += 1
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (order[0],))
            if runs[name] == 1:
                both.wait(timeout=10)
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (order[1],))
            return name

        results[name] = db.run(work)

    threads = [
        threading.Thread(target=worker, args=("first", (1, 2))),
        threading.Thread(target=worker, args=("second", (2, 1))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == {"first": "first", "second": "second"}
    assert sorted(runs.values()) == [1, 2]


def test_text_holding_nul_is_invalid_input_not_a_crash(world: World) -> None:
    """psycopg2 refuses a NUL character in a parameter with a ValueError (a 500 at the edge);
    every adapter gets invalid_input (400) instead, and nothing is changed."""
    with pytest.raises(errors.InvalidInput):
        booking.free_slots(world.db, world.a, "x\x00", NOW, NOW, now=NOW)
