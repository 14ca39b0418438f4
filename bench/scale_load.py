"""The loader of bench/scale.py: a database of a given size, built quickly and the way the
application's own writes would have left it.

Everything is set-based SQL run as the owner (``scale_load.sql`` beside this module): one
INSERT ... SELECT per step, through the application's tables, constraints and check triggers.
The writer triggers of appointments (history, CalDAV) and of their history (the mail outbox)
are switched off for the bulk insert only, and what they would have written is written in the
same transaction, set-based (see ``disable_history_and_caldav_triggers``).

Users go in in slices on parallel connections: the CHECK user_time_zone_valid costs a read of
the whole zone database (pg_timezone_names, 10-25 ms on these machines) for every row, so a
million clients take hours on one connection, whatever else the loader does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg2
import psycopg2.extensions

from officehours import sqlfiles

Q = sqlfiles.parse(Path(__file__).with_suffix(".sql").read_text("utf-8"), "bench/scale_load.sql")

# Coaches and clients spread over zones on both sides of UTC, with and without DST.
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "America/Los_Angeles"]
# The most users one INSERT of the loader writes (one transaction of a loading connection).
SLICE = 20_000


@dataclass(frozen=True)
class Size:
    """What a database holds: the benchmark's size parameters."""

    coaches: int
    clients_per_coach: int
    months: int
    calls_per_coach_month: int
    busy_per_coach: int

    @property
    def calls(self) -> int:
        """Calls per coach and month: at most one per client and month."""
        return min(self.calls_per_coach_month, self.clients_per_coach)

    @property
    def future_months(self) -> int:
        """Of the months of calls, how many lie after NOW (already booked, not yet held)."""
        return max(1, min(2, self.months // 2))

    def describe(self) -> str:
        """One line for the console."""
        return (
            f"{self.coaches:,} coaches x {self.clients_per_coach:,} clients, "
            f"{self.months} months x {self.calls} calls per coach, "
            f"{self.busy_per_coach} busy intervals per coach"
        )


@dataclass(frozen=True)
class Loaded:
    """What a load made, and how long it took."""

    seconds: float
    users: int
    coaching: int
    appointments: int
    history: int
    outbox: int
    busy: int
    collections: int
    size_bytes: int
    steps: list[tuple[str, float]]


class LoadError(RuntimeError):
    """The database cannot be loaded at this size (not empty, or the grid too small)."""


def first_month(size: Size, now: datetime) -> date:
    """The first month of calls: the last ``future_months`` of them come after NOW."""
    month = now.year * 12 + now.month - 1 - (size.months - size.future_months)
    return date(month // 12, month % 12 + 1, 1)


def _connect(url: str) -> psycopg2.extensions.connection:
    return psycopg2.connect(url, options="-c TimeZone=UTC", application_name="officehours-scale")


def _add_users(url: str, size: Size, jobs: int, say: Callable[[str], None]) -> None:
    """The admin, the coaches and their clients, in slices over ``jobs`` connections."""
    conn = _connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(Q.users_exist)
        if (cur.fetchone() or (False,))[0]:
            raise LoadError("the database already holds users: the loader needs an empty one")
        cur.execute(Q.add_admin)
    conn.close()
    # Enough slices to keep every job busy to the end, none of more than SLICE users.
    per_slice = max(1, min(SLICE // (size.clients_per_coach + 1), -(-size.coaches // (4 * jobs))))
    slices = [
        (first, min(first + per_slice - 1, size.coaches))
        for first in range(1, size.coaches + 1, per_slice)
    ]
    done = [0]
    lock = threading.Lock()
    started = time.monotonic()

    def load_slice(bounds: tuple[int, int]) -> None:
        first, last = bounds
        params = {"first": first, "last": last, "zones": ZONES, "clients": size.clients_per_coach}
        one = _connect(url)
        with one, one.cursor() as cur:
            cur.execute(Q.add_coaches, params)
            cur.execute(Q.add_clients, params)
        one.close()
        with lock:
            done[0] += last - first + 1
            if len(slices) > 1:
                say(
                    f"    users of {done[0]:,}/{size.coaches:,} coaches "
                    f"({time.monotonic() - started:.0f} s)"
                )

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(load_slice, slices))


def load(
    url: str, size: Size, now: datetime, *, jobs: int = 2, say: Callable[[str], None] = print
) -> Loaded:
    """Builds the database at ``url`` (migrated and empty) at ``size``, its calls around ``now``.

    Raises LoadError when the database is not empty or a month's grid cannot hold the calls
    and the busy time; psycopg2.Error when a constraint refuses a row (a bug of the loader).
    """
    steps: list[tuple[str, float]] = []
    began = last = time.monotonic()

    def step(name: str, note: str = "") -> float:
        nonlocal last
        took = time.monotonic() - last
        steps.append((name, took))
        say(f"  {name:<42} {took:8.1f} s  {note}".rstrip())
        last = time.monotonic()
        return took

    _add_users(url, size, jobs, say)
    users = 1 + size.coaches * (size.clients_per_coach + 1)
    took = time.monotonic() - last
    step(
        "users",
        f"{users:,} rows on {jobs} connections, {took * 1000 / users:.1f} ms a row",
    )
    month0 = first_month(size, now)
    conn = _connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(Q.make_parties)
            cur.execute(Q.add_coaching, {"since": month0 - timedelta(days=30)})
            step("coaching (coaching_check_parties per row)")
            cur.execute(Q.add_caldav_homes)
            cur.execute(Q.add_office_hours)
            step("CalDAV collections, office hours")
            cur.execute(Q.make_grid, {"months": size.months, "first_month": month0})
            cur.execute(Q.grid_slots_per_month)
            room = int((cur.fetchone() or (0,))[0])
            needed = size.calls + -(-size.busy_per_coach // size.months)
            if needed > room:
                raise LoadError(
                    f"a month has {room} office-hours slots; {size.calls} calls and "
                    f"{size.busy_per_coach} busy intervals over {size.months} months need {needed}"
                )
            cur.execute(Q.slot_length)
            slot = (cur.fetchone() or (timedelta(hours=1),))[0]
            cur.execute(Q.disable_history_and_caldav_triggers)
            args = {
                "calls": size.calls,
                "clients": size.clients_per_coach,
                "now": now,
                "slot": slot,
                "busy": size.busy_per_coach,
                "months": size.months,
            }
            cur.execute(Q.add_appointments, args)
            step("appointments")
            cur.execute(Q.add_history, args)
            step("appointment history")
            cur.execute(Q.add_outbox, args)
            step("mail outbox")
            cur.execute(Q.mark_appointment_calendars)
            cur.execute(Q.enable_history_and_caldav_triggers)
            cur.execute(Q.add_busy, args)
            step("busy time, appointments calendars marked")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(Q.vacuum_analyze)
            try:
                cur.execute(Q.checkpoint)
            except psycopg2.Error:
                pass  # needs superuser or pg_checkpoint; the first figures are only noisier
        step("VACUUM ANALYZE, CHECKPOINT")
        with conn.cursor() as cur:
            cur.execute(Q.counts)
            users, coaching, calls, history, mail, busy, collections, size_bytes = (
                int(v) for v in cur.fetchone() or (0,) * 8
            )
    finally:
        conn.close()
    return Loaded(
        time.monotonic() - began, users, coaching, calls, history, mail, busy, collections,
        size_bytes, steps,
    )  # fmt: skip
