"""Benchmark of the booking website, as ratios against a baseline measured in the same run.

1. Requests per second for the week page, the availability API (the same week) and a booking
   POST, against /livez (a trivial route of the same server). Goals: the week page and the
   availability API cost at most 2x the trivial route, the booking POST at most 2.5x.
2. The week page with 100,000 past appointments in the database against the same page on an
   (almost) empty one. Goal: at most 1.2x.

The site runs under gunicorn (config/gunicorn-web.conf.py, 2 workers x 4 threads) in its own
processes; the load comes from this process. PostgreSQL is DATABASE_URL's server (a fresh
database is made on it and dropped afterwards) or an embedded one in a temporary folder.

    .venv/bin/python bench/web.py [--seconds 3] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg2
import requests

from officehours import accounts, booking, passwords
from officehours.db import Database
from officehours.migrations import migrate

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"
CLIENTS = 12


@contextmanager
def database() -> Iterator[str]:
    """A fresh, migrated database: on DATABASE_URL's server, or an embedded one."""
    server = None
    admin = os.environ.get("DATABASE_URL")
    if not admin:
        from officehours.embedded import EmbeddedPostgres

        folder = tempfile.mkdtemp(prefix="officehours-bench-", dir="/tmp")
        server = EmbeddedPostgres(Path(folder) / "data", cleanup="delete")
        admin = server.url()
    name = f"officehours_bench_{os.getpid()}"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(admin)._replace(path="/" + name))
    try:
        migrate(url)
        yield url
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.close()
        if server is not None:
            server.stop()


def seed(db: Database) -> tuple[str, list[str]]:
    """A coach (New York, Mon-Fri 09-17) with CLIENTS clients; rules opened up so the POST
    benchmark can book many calls. Returns (coach slug, client emails)."""
    hashed = passwords.hash_password(PASSWORD)
    coach = accounts.add_user(
        db, None, "coach@example.com", "Bench Coach", "coach", "America/New_York", hashed
    )
    emails = []
    for n in range(CLIENTS):
        email = f"client{n}@example.com"
        slug = accounts.add_user(db, None, email, f"Client {n}", "client", "Europe/Berlin", hashed)
        accounts.assign_coach(db, None, slug, coach)
        emails.append(email)
    hours = [
        accounts.WeeklyHours(
            d, datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17)
        )
        for d in range(1, 6)
    ]
    accounts.set_office_hours(db, None, coach, hours)
    accounts.set_rule(db, None, "monthly_limit", "31")
    accounts.set_rule(db, None, "booking_horizon", "730 days")
    return coach, emails


def add_past(db: Database, coach: str, count: int) -> None:
    """``count`` past hourly calls of the coach, spread over the clients, with history rows."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO appointments (coach_id, client_id, during, created_at, updated_at) "
            "SELECT co.id, cl.ids[1 + n %% cardinality(cl.ids)], "
            "tstzrange(t, t + interval '1 hour'), t, t "
            "FROM (SELECT id FROM users WHERE slug = %s) co, "
            "(SELECT array_agg(id) ids FROM users WHERE role = 'client') cl, "
            "generate_series(1, %s) n, LATERAL (SELECT date_trunc('hour', now()) "
            "- make_interval(hours => n + 48)) s(t)",
            (coach, count),
        )
    # Measure the steady state, not the write burst: vacuum, analyze and flush it first.
    conn = psycopg2.connect(db.url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE appointments, appointment_history")
        try:
            cur.execute("CHECKPOINT")
        except psycopg2.Error:
            pass  # needs superuser or pg_checkpoint; the figure is only noisier without it
    conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(url: str, data_dir: str) -> Iterator[tuple[str, int]]:
    """gunicorn serving the site on a free port; yields its URL and the master's pid."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "OFFICEHOURS_WEB": f"127.0.0.1:{port}",
        "OFFICEHOURS_DATA_DIR": data_dir,
        "OFFICEHOURS_SECRET_KEY": "bench",
        "WEB_WORKERS": "2",
        "OFFICEHOURS_POOL_SIZE": "8",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "config" / "gunicorn-web.conf.py"),
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
            "booking_web.wsgi:app",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.05)  # not listening yet, or a worker still starting
        else:
            raise RuntimeError("gunicorn did not start")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def sign_in(base: str, email: str) -> tuple[requests.Session, str]:
    """A session signed in as email, and its CSRF token."""
    session = requests.Session()
    page = session.get(base + "/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = session.post(
        base + "/signin", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    answer.raise_for_status()
    page = session.get(base + "/account").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    return session, token.group(1)


def rate(
    make: Callable[[], Callable[[], None]], seconds: float, threads: int
) -> tuple[float, float]:
    """Requests per second and median latency (ms) of ``threads`` threads doing requests."""
    count, latencies = _slice(make, seconds, threads)
    return count / seconds, statistics.median(latencies) * 1000


def _slice(
    make: Callable[[], Callable[[], None]], seconds: float, threads: int
) -> tuple[int, list[float]]:
    """``threads`` threads doing requests for ``seconds``: how many, and their latencies."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        call = make()
        mine = []
        while time.monotonic() < stop:
            began = time.perf_counter()
            call()
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return len(latencies), latencies


@dataclass(frozen=True)
class Figure:
    """One kind of request, measured: rate, latency, and server CPU per request (web processes
    and PostgreSQL's; None where PostgreSQL is not on this machine)."""

    rps: float
    median_ms: float
    web_cpu_ms: float
    db_cpu_ms: float | None

    @property
    def cpu_ms(self) -> float:
        return self.web_cpu_ms + (self.db_cpu_ms or 0.0)


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue  # it ended: its share is lost, as it is from the figure
        total += times.user + times.system
    return total


class CpuMeter:
    """CPU seconds used by the site's processes (gunicorn and its workers) and by PostgreSQL's
    (every process of the server, when it runs on this machine). CPU time, unlike a rate, does
    not change much when other work shares the cores: it is the cost of a request itself."""

    def __init__(self, server_pid: int, db_url: str) -> None:
        self.server = psutil.Process(server_pid)
        conn = psycopg2.connect(db_url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                backend = int((cur.fetchone() or (0,))[0])
            try:
                self.postmaster: psutil.Process | None = psutil.Process(backend).parent()
            except psutil.Error:
                self.postmaster = None  # a server on another machine
        finally:
            conn.close()

    def read(self) -> tuple[float, float | None]:
        web = _cpu_seconds([self.server, *self.server.children(recursive=True)])
        if self.postmaster is None:
            return web, None
        return web, _cpu_seconds([self.postmaster, *self.postmaster.children()])


def rates(
    makers: list[Callable[[], Callable[[], None]]],
    seconds: float,
    threads: int,
    meter: CpuMeter,
    slices: int = 6,
) -> list[Figure]:
    """Each maker's figures, measured in turns of ``seconds / slices`` each, so that a change
    in the machine's load (other work on the same cores) falls on every figure alike and the
    ratios between them hold."""
    counts = [0] * len(makers)
    latencies: list[list[float]] = [[] for _ in makers]
    spent = [0.0] * len(makers)
    web = [0.0] * len(makers)
    database: list[float | None] = [0.0] * len(makers)
    for _ in range(slices):
        for i, make in enumerate(makers):
            web_before, db_before = meter.read()
            began = time.monotonic()
            n, mine = _slice(make, seconds / slices, threads)
            spent[i] += time.monotonic() - began
            web_after, db_after = meter.read()
            counts[i] += n
            latencies[i].extend(mine)
            web[i] += web_after - web_before
            so_far = database[i]
            if so_far is not None and db_after is not None and db_before is not None:
                database[i] = so_far + db_after - db_before
            else:
                database[i] = None
    figures = []
    for i in range(len(makers)):
        used = database[i]
        figures.append(
            Figure(
                counts[i] / spent[i],
                statistics.median(latencies[i]) * 1000,
                web[i] / counts[i] * 1000,
                None if used is None else used / counts[i] * 1000,
            )
        )
    return figures


def cpu_text(figure: Figure, baseline: Figure) -> str:
    """Server CPU per request, its ratio to the baseline's, and what one core serves."""
    db_part = "" if figure.db_cpu_ms is None else f" + PostgreSQL {figure.db_cpu_ms:5.2f}"
    return (
        f"      server CPU/request: web {figure.web_cpu_ms:5.2f}{db_part} = "
        f"{figure.cpu_ms:5.2f} ms ({figure.cpu_ms / baseline.cpu_ms:4.2f}x the trivial route); "
        f"one core serves {1000 / figure.cpu_ms:6.0f}/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--past", type=int, default=100_000)
    args = parser.parse_args()
    with database() as url, tempfile.TemporaryDirectory() as data_dir:
        db = Database(url, max_connections=4)
        coach, emails = seed(db)
        now = datetime.now(UTC)
        week = (now + timedelta(days=14)).date().isoformat()
        slots = booking.free_slots(
            db, coach, coach, now + timedelta(days=30), now + timedelta(days=420)
        )
        with gunicorn(url, data_dir) as (base, pid):
            meter = CpuMeter(pid, url)
            sessions = [sign_in(base, email) for email in emails]
            week_session = sessions[0][0]
            queue = iter(slots)
            queue_lock = threading.Lock()
            counter = iter(range(10**9))

            def trivial() -> Callable[[], None]:
                local = requests.Session()
                return lambda: local.get(base + "/livez").raise_for_status()

            def week_page() -> Callable[[], None]:
                local = requests.Session()
                local.cookies.update(week_session.cookies)
                return lambda: local.get(f"{base}/book?week={week}").raise_for_status()

            def availability() -> Callable[[], None]:
                local = requests.Session()
                local.cookies.update(week_session.cookies)
                end = (date.fromisoformat(week) + timedelta(days=7)).isoformat()
                url = f"{base}/api/v1/availability?from={week}T00:00:00Z&to={end}T00:00:00Z"
                return lambda: local.get(url).raise_for_status()

            signed_in = [(dict(session.cookies), token) for session, token in sessions]

            def book() -> Callable[[], None]:
                local = requests.Session()  # a keep-alive connection per thread, as above

                def call() -> None:
                    with queue_lock:
                        slot = next(queue)
                        cookies, token = signed_in[next(counter) % len(signed_in)]
                    # Each POST from the signed-in cookie: the answer's cookie (with the flash
                    # message a browser would read on the page it is sent to) is not kept, or
                    # the flashes would pile up in the cookie and every POST would parse more.
                    local.cookies.clear()
                    answer = local.post(
                        base + "/book",
                        allow_redirects=False,
                        cookies=cookies,
                        data={"start": slot.start.isoformat(), "months": "1", "csrf_token": token},
                    )
                    if answer.status_code != 303:
                        raise RuntimeError(f"booking answered {answer.status_code}")

                return call

            rate(week_page, 0.5, args.concurrency)  # warm up every worker and pool
            trivial_f, week_f, api_f, book_f = rates(
                [trivial, week_page, availability, book], args.seconds, args.concurrency, meter
            )
            base_rps, base_ms = trivial_f.rps, trivial_f.median_ms
            week_rps, week_ms = week_f.rps, week_f.median_ms
            api_rps, api_ms = api_f.rps, api_f.median_ms
            book_rps, book_ms = book_f.rps, book_f.median_ms
            started = time.monotonic()
            add_past(db, coach, args.past)
            seeded = time.monotonic() - started
            rate(week_page, 1.0, args.concurrency)
            full_rps, full_ms = rate(week_page, args.seconds, args.concurrency)
        db.close()
    print(
        f"bench/web.py: gunicorn 2 workers x 4 threads, {args.concurrency} client threads, "
        f"{args.seconds:g} s per figure in 6 interleaved turns, {os.cpu_count()} cores"
    )
    print(
        f"  trivial route /livez       {base_rps:8.1f} req/s  median {base_ms:6.1f} ms  (baseline)"
    )
    print(cpu_text(trivial_f, trivial_f))
    print(
        f"  week page /book?week=      {week_rps:8.1f} req/s  median {week_ms:6.1f} ms  "
        f"cost {base_rps / week_rps:4.2f}x the trivial route (goal <= 2x)"
    )
    print(cpu_text(week_f, trivial_f))
    print(
        f"  availability API, one week {api_rps:8.1f} req/s  median {api_ms:6.1f} ms  "
        f"cost {base_rps / api_rps:4.2f}x the trivial route (goal <= 2x)"
    )
    print(cpu_text(api_f, trivial_f))
    print(
        f"  booking POST /book         {book_rps:8.1f} req/s  median {book_ms:6.1f} ms  "
        f"cost {base_rps / book_rps:4.2f}x the trivial route (goal <= 2.5x)"
    )
    print(cpu_text(book_f, trivial_f))
    print(
        f"  week page, {args.past:,} past calls {full_rps:8.1f} req/s  median {full_ms:6.1f} ms  "
        f"cost {week_rps / full_rps:4.2f}x the empty database (goal <= 1.2x)"
    )
    print(f"  ({args.past:,} past calls inserted in {seeded:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
