"""`officehours serve` under load, as a real process on free loopback ports: many connections
at once, slow clients, and one coach's held lock."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import psycopg2
import pytest

from tests.core.serving import (
    Answer,
    People,
    Served,
    book,
    connect,
    request,
    seed,
    serve_env,
    slots,
    start_serve,
)
from tests.lib.support import fresh_database

CONNECTIONS = 200
BOOKERS = 40
LOCK_TIMEOUT = 2  # seconds: OFFICEHOURS_LOCK_TIMEOUT of this module's serve
IDLE_TIMEOUT = 3  # seconds: OFFICEHOURS_HTTP_IDLE_TIMEOUT of this module's serve


@pytest.fixture(scope="module")
def database(pg_admin_url: str, template_url: str) -> Iterator[str]:
    with fresh_database(pg_admin_url, template_url) as url:
        yield url


@pytest.fixture(scope="module")
def people(database: str) -> People:
    return seed(database, x_clients=BOOKERS // 2 + 12, y_clients=BOOKERS // 2)


@pytest.fixture(scope="module")
def served(
    database: str, people: People, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = serve_env(
        tmp_path_factory.mktemp("serve"),
        database,
        OFFICEHOURS_LOCK_TIMEOUT=str(LOCK_TIMEOUT),
        OFFICEHOURS_HTTP_IDLE_TIMEOUT=str(IDLE_TIMEOUT),
    )
    running = start_serve(env)
    yield running
    assert running.stop() == 0, running.printed()


def test_two_hundred_connections_at_once_are_all_answered(served: Served, people: People) -> None:
    bookers = people.x_clients[: BOOKERS // 2] + people.y_clients
    starts = slots(BOOKERS // 2)
    barrier = threading.Barrier(CONNECTIONS)

    def one_connection(i: int) -> list[int]:
        conn = connect(served.web_address)
        try:
            barrier.wait(timeout=60)  # then all connect at once
            statuses = []
            if i < BOOKERS:
                who = bookers[i]
                start = starts[i % len(starts)]
                body = {"start": start.isoformat()}
                answer = request(conn, "POST", "/api/v1/appointments", token=who.token, body=body)
                statuses.append(answer.status)
            else:
                who = people.x_clients[i % len(people.x_clients)]
            for path in ("/api/v1/me", "/api/v1/availability", "/healthz"):
                statuses.append(request(conn, "GET", path, token=who.token).status)
            return statuses
        finally:
            conn.close()

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        futures = [pool.submit(one_connection, i) for i in range(CONNECTIONS)]
        outcomes: list[list[int] | BaseException] = []
        for future in futures:
            try:
                outcomes.append(future.result(timeout=240))
            except (OSError, threading.BrokenBarrierError) as exc:
                outcomes.append(exc)
    dropped = [o for o in outcomes if isinstance(o, BaseException)]
    assert dropped == [], f"{len(dropped)} connections failed, e.g. {dropped[0]!r}"
    statuses = Counter(s for o in outcomes if isinstance(o, list) for s in o)
    assert statuses == Counter({200: 3 * CONNECTIONS, 201: BOOKERS}), statuses


def test_slow_clients_hold_no_threads(served: Served, people: People) -> None:
    """150 connections that never finish their headers (slowloris) cost no request thread:
    the server's threads stay bounded and a normal request is answered at once."""
    process = psutil.Process(served.proc.pid)
    before = process.num_threads()
    slow = []
    try:
        for _ in range(150):
            sock = socket.create_connection(served.web_address, timeout=10)
            sock.sendall(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(sock)
        time.sleep(0.5)
        for sock in slow[::10]:
            sock.sendall(b"a")
        began = time.monotonic()
        conn = connect(served.web_address, timeout=10)
        answer = request(conn, "GET", "/api/v1/me", token=people.y_clients[0].token)
        conn.close()
        took = time.monotonic() - began
        during = process.num_threads()
    finally:
        for sock in slow:
            sock.close()
    assert answer.status == 200
    assert took < 1.0, took
    assert during <= before + 5, (before, during)


def test_a_request_head_that_trickles_in_is_cut_off(served: Served) -> None:
    """A client that sends its headers a byte at a time, never pausing long enough to look
    idle, is disconnected once its head has taken longer than the idle timeout."""
    sock = socket.create_connection(served.web_address, timeout=1)
    began = time.monotonic()
    closed_after = None
    try:
        sock.sendall(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n")
        while time.monotonic() - began < 4 * IDLE_TIMEOUT:
            try:
                sock.sendall(b"X-Slow: a\r\n")
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - began
                    break
            except TimeoutError:
                continue  # nothing to read yet: the server still waits for the head
            except OSError:
                closed_after = time.monotonic() - began
                break
    finally:
        sock.close()
    assert closed_after is not None, "the server kept waiting for the request head"
    assert IDLE_TIMEOUT <= closed_after < 3 * IDLE_TIMEOUT, closed_after


def test_oversized_requests_are_refused_unread(served: Served, people: People) -> None:
    conn = connect(served.web_address, timeout=10)
    try:
        head = request(conn, "GET", "/api/v1/me", headers={"X-Big": "a" * 70_000})
    finally:
        conn.close()
    assert head.status == 431
    # A body announced too large is refused once the head is read, before any of it is sent.
    with socket.create_connection(served.web_address, timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/appointments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\nContent-Length: 2000000\r\n\r\n"
        )
        status_line = sock.recv(1024).split(b"\r\n", 1)[0]
    body = Answer(int(status_line.split()[1]), {}, b"")
    assert body.status == 413


def hold_coach_lock(database: str, coach: str) -> psycopg2.extensions.connection:
    """A connection holding ``coach``'s calendar lock (the one bookings and CalDAV writes of
    that coach take) until it is closed."""
    conn = psycopg2.connect(database)
    with conn.cursor() as cur:
        cur.execute("SELECT lock_coach(id) FROM users WHERE slug = %s", (coach,))
    return conn


def waiting_for_locks(database: str) -> int:
    conn = psycopg2.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            return int(cur.fetchone()[0])  # type: ignore[index]
    finally:
        conn.close()


def test_a_held_coach_lock_delays_no_other_coachs_client_and_ends_in_503(
    served: Served, people: People, database: str
) -> None:
    """While coach X's calendar is locked (as by a huge calendar upload), a dozen bookings for
    X wait for it, but a client of coach Y is answered within a second; the bookings give up
    after the lock timeout with 503 busy and Retry-After, and nothing was booked."""
    waiting = people.x_clients[BOOKERS // 2 :]
    start = slots(BOOKERS)[-1]
    holder = hold_coach_lock(database, people.x.slug)
    answers: list[Answer] = []
    try:
        with ThreadPoolExecutor(len(waiting)) as pool:
            futures = [pool.submit(book, served.web_address, p, start) for p in waiting]
            deadline = time.monotonic() + 10
            while waiting_for_locks(database) < len(waiting) and time.monotonic() < deadline:
                time.sleep(0.05)
            began = time.monotonic()
            conn = connect(served.web_address, timeout=10)
            me = request(conn, "GET", "/api/v1/me", token=people.y_clients[0].token)
            conn.close()
            took = time.monotonic() - began
            answers = [f.result(timeout=LOCK_TIMEOUT + 20) for f in futures]
    finally:
        holder.close()
    assert me.status == 200
    assert took < 1.0, took
    assert [a.status for a in answers] == [503] * len(waiting)
    assert {a.json()["code"] for a in answers} == {"busy"}
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
    assert all(int(a.headers["retry-after"]) > 0 for a in answers)
    # With the lock free again, the same booking goes through.
    assert book(served.web_address, waiting[0], start).status == 201


def test_sigterm_finishes_the_requests_in_flight(
    pg_admin_url: str, template_url: str, tmp_path: Path
) -> None:
    """SIGTERM stops taking connections but answers the request in hand before exiting 0."""
    with fresh_database(pg_admin_url, template_url) as database:
        people = seed(database, x_clients=1, y_clients=0)
        running = start_serve(serve_env(tmp_path, database))
        holder = hold_coach_lock(database, people.x.slug)
        try:
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(book, running.web_address, people.x_clients[0], slots(1)[0])
                deadline = time.monotonic() + 10
                while waiting_for_locks(database) < 1 and time.monotonic() < deadline:
                    time.sleep(0.05)
                running.proc.send_signal(15)
                time.sleep(1.0)
                with pytest.raises(OSError):
                    socket.create_connection(running.web_address, timeout=2).close()
                holder.close()
                answer = pending.result(timeout=30)
        finally:
            holder.close()
            status = running.stop()
    assert answer.status == 201, answer.body
    assert status == 0, running.printed()
