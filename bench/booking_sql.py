"""Benchmark of the booking functions against a real PostgreSQL, as ratios measured in one run.

1. book() calls per second against plain INSERTs into the same table, with the same constraints
   and triggers, each in a transaction of its own, alternating call by call (goal: book() at
   least 0.7x as fast: its checks cost less than the write and its commit).
2. free_slots() over 8 weeks for a coach with five years of history (3,000+ past calls, 500 busy
   intervals) against a coach with none (goal: within 1.5x; the cost must not grow with history).

Run: .venv/bin/python bench/booking_sql.py   (DATABASE_URL to use a server of your own)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from officehours import accounts, booking
from officehours.db import Database
from officehours.hours import parse_rule
from officehours.migrations import migrate

NOW = datetime(2027, 1, 4, 12, tzinfo=UTC)
MIDNIGHT = datetime(2027, 1, 5, tzinfo=UTC)
CALLS = 1500


def setup(db: Database) -> dict[str, str]:
    s = {}
    for key in ("fast", "plain", "history", "empty"):
        s[key] = accounts.add_user(db, None, f"{key}@example.com", f"Coach {key}", "coach", "UTC")
        accounts.set_office_hours(db, None, s[key], parse_rule("mon-sun 00:00-23:00"))
    accounts.set_rule(db, None, "monthly_limit", "31")
    accounts.set_rule(db, None, "minimum_notice", "0")
    accounts.set_rule(db, None, "booking_horizon", "730 days")
    for key in ("fast", "plain"):
        accounts.set_rule(db, None, "slot_length", "15 minutes", s[key])
    clients = []
    for i in range(CALLS // 30 + 1):
        slug = accounts.add_user(db, None, f"c{i}@example.com", f"Client {i}", "client", "UTC")
        accounts.assign_coach(db, None, slug, s["fast"])
        clients.append(slug)
    s["clients"] = ",".join(clients)
    # Clients whose rows the plain INSERTs write: the same constraints, none of the checks.
    s["plain_clients"] = ",".join(
        accounts.add_user(db, None, f"p{i}@example.com", f"Plain {i}", "client", "UTC")
        for i in range(40)
    )
    return s


def bench_book(db: Database, s: dict[str, str]) -> tuple[float, float]:
    clients = s["clients"].split(",")
    slot = timedelta(minutes=15)

    # Each client books one slot a day, so no monthly limit or client overlap gets in the way.
    def book(i: int) -> None:
        day, n = divmod(i, len(clients))
        start = MIDNIGHT + timedelta(days=1 + day, hours=n // 4, minutes=15 * (n % 4))
        booking.book(db, clients[n], clients[n], start, now=NOW)

    conn = psycopg2.connect(db.url)
    cur = conn.cursor()
    cur.execute("SELECT (find_user(%s)).id", (s["plain"],))
    coach_id = (cur.fetchone() or (0,))[0]
    cur.execute("SELECT id FROM users WHERE slug = ANY(%s)", (s["plain_clients"].split(","),))
    plain_clients = [row[0] for row in cur.fetchall()]

    def insert(i: int) -> None:
        start = NOW + timedelta(days=1) + i * slot
        cur.execute(
            "INSERT INTO appointments (coach_id, client_id, during) "
            "VALUES (%s, %s, tstzrange(%s, %s))",
            (coach_id, plain_clients[i % len(plain_clients)], start, start + slot),
        )
        conn.commit()

    # Both run in their own transaction per call, alternating call by call so that the machine's
    # noise (other processes, the disk's flushes) falls on both alike; medians of the latencies,
    # so a burst of load on a few calls does not move the figure.
    book_times, insert_times = [], []
    for i in range(CALLS):
        began = time.perf_counter()
        book(i)
        between = time.perf_counter()
        insert(i)
        book_times.append(between - began)
        insert_times.append(time.perf_counter() - between)
    conn.close()
    return 1 / statistics.median(book_times), 1 / statistics.median(insert_times)


def add_history(db: Database, s: dict[str, str]) -> int:
    with db.transaction() as cur:
        cur.execute(
            """
            INSERT INTO appointments (coach_id, client_id, during)
            SELECT (find_user(%(coach)s)).id, (find_user(%(client)s)).id,
                   tstzrange(t, t + interval '1 hour')
            FROM generate_series(%(now)s::timestamptz - interval '5 years',
                                 %(now)s::timestamptz - interval '1 day',
                                 interval '14 hours') AS t""",
            {"coach": s["history"], "client": s["clients"].split(",")[0], "now": NOW},
        )
        cur.execute(
            """
            INSERT INTO busy_intervals (coach_id, during, source)
            SELECT (find_user(%(coach)s)).id, tstzrange(t, t + interval '2 hours'), 'manual'
            FROM generate_series(%(now)s::timestamptz - interval '5 years',
                                 %(now)s::timestamptz + interval '120 days',
                                 interval '3.75 days') AS t""",
            {"coach": s["history"], "now": NOW},
        )
        cur.execute("ANALYZE")
        cur.execute(
            "SELECT count(*) FROM appointments a JOIN users u ON u.id = a.coach_id "
            "WHERE u.slug = %s",
            (s["history"],),
        )
        return int((cur.fetchone() or (0,))[0])


def bench_free_slots(db: Database, coaches: tuple[str, str], rounds: int = 40) -> list[float]:
    """Median seconds of free_slots over 8 weeks for each coach, calls interleaved so that the
    machine's load falls on both alike."""
    samples: list[list[float]] = [[] for _ in coaches]
    for _ in range(rounds):
        for i, coach in enumerate(coaches):
            start = time.perf_counter()
            slots = booking.free_slots(db, coach, coach, NOW, NOW + timedelta(weeks=8), now=NOW)
            samples[i].append(time.perf_counter() - start)
            assert slots
    return [statistics.median(s) for s in samples]


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    server = None
    if not url:
        from officehours.embedded import EmbeddedPostgres

        server = EmbeddedPostgres(
            Path(tempfile.mkdtemp(prefix="oh-bench-", dir="/tmp")) / "pg", cleanup="delete"
        )
        url = server.ensure_database("bench")
    migrate(url)
    db = Database(url, max_connections=4)
    try:
        s = setup(db)
        book_rate, insert_rate = bench_book(db, s)
        history = add_history(db, s)
        with db.transaction() as cur:
            cur.execute("SELECT count(*) FROM busy_intervals")
            busy = int((cur.fetchone() or (0,))[0])
        bench_free_slots(db, (s["history"], s["empty"]), rounds=5)  # warm both
        with_history, without = bench_free_slots(db, (s["history"], s["empty"]))
        print("booking_sql benchmark (medians; ratios measured in this run)")
        print(f"  book() calls/s               {book_rate:9.0f}")
        print(f"  plain INSERTs/s              {insert_rate:9.0f}")
        print(f"  book() / INSERT              {book_rate / insert_rate:9.2f}   goal >= 0.70")
        print(
            f"  free_slots 8 weeks, {history} past calls + {busy} busy: "
            f"{with_history * 1000:.2f} ms"
        )
        print(f"  free_slots 8 weeks, no history:                  {without * 1000:.2f} ms")
        print(f"  history / none               {with_history / without:9.2f}   goal <= 1.50")
    finally:
        db.close()
        if server:
            server.stop()


if __name__ == "__main__":
    main()
