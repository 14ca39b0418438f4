"""Benchmark of `officehours serve`'s HTTP server against gunicorn, side by side on one database.

For 10, 50 and 100 concurrent clients (threads of this process, each on a keep-alive
connection of its own), a fixed number of requests of the client week page (/book?week=) and
of GET /api/v1/availability, against `officehours serve` (waitress) and against gunicorn with
config/gunicorn-web.conf.py (its own defaults), both running on the same database and
measured in turns, level by level. Prints p50 and p99 latency and errors (a failed connection
or any answer but 200) of each. Goal: serve has no errors and its p99 is at most 1.5x
gunicorn's.

With --open-loop it measures capacity instead: requests of the client week page arrive at a
fixed rate, whatever the answers (bench/open_loop.py), stepping the rate up (x1.25 a step,
5 s each; --quick: x1.5, 2 s) until the p99 latency reaches 300 ms or a request fails, for
`officehours serve` and then for gunicorn, and it prints the highest rate each held.

PostgreSQL is DATABASE_URL's server (a fresh database is made on it and dropped afterwards)
or an embedded one in a temporary folder. Everything runs on loopback; the load comes from
this process, on the same cores as the servers.

    .venv/bin/python bench/serve.py [--requests 600]
    .venv/bin/python bench/serve.py --open-loop [--quick] [--start 20] [--max-rate 2000]
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import open_loop  # bench/open_loop.py, beside this file
import requests
from web import PASSWORD, database, free_port, sign_in  # bench/web.py, beside this file

from officehours import accounts, passwords
from officehours.db import Database

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "gunicorn-web.conf.py"
LEVELS = (10, 50, 100)
CLIENTS = 10  # distinct signed-in clients; the concurrent threads share them round robin


def seed(db: Database) -> list[tuple[str, str]]:
    """A coach (New York, Mon-Fri 09-17) and CLIENTS clients; returns (email, API token) of
    each client."""
    hashed = passwords.hash_password(PASSWORD)
    coach = accounts.add_user(
        db, None, "coach@example.com", "Bench Coach", "coach", "America/New_York", hashed
    )
    hours = [
        accounts.WeeklyHours(
            d, datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17)
        )
        for d in range(1, 6)
    ]
    accounts.set_office_hours(db, None, coach, hours)
    made = []
    for n in range(CLIENTS):
        email = f"client{n}@example.com"
        slug = accounts.add_user(db, None, email, f"Client {n}", "client", "Europe/Berlin", hashed)
        accounts.assign_coach(db, None, slug, coach)
        _, token = accounts.create_api_token(db, None, slug, "bench")
        made.append((email, token))
    return made


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/livez", timeout=5).ok:
                return
        except requests.RequestException:
            pass  # not listening yet, or its workers still starting
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers at {base}")


def environment(url: str, data_dir: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OFFICEHOURS_")},
        "DATABASE_URL": url,
        "OFFICEHOURS_DATA_DIR": data_dir,
        "OFFICEHOURS_OUTBOX_DIR": str(Path(data_dir) / "outbox"),
        "OFFICEHOURS_SECRET_KEY": "bench",  # the same on both: one session cookie serves both
    }


@contextmanager
def officehours_serve(url: str, data_dir: str) -> Iterator[str]:
    """`officehours serve` on free ports (its defaults otherwise); yields the website's URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "officehours.cli", "serve"),
            *("--web", f"127.0.0.1:{port}", "--caldav", f"127.0.0.1:{free_port()}"),
        ],
        env=environment(url, data_dir),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def gunicorn(url: str, data_dir: str) -> Iterator[str]:
    """gunicorn with config/gunicorn-web.conf.py as it is; yields the website's URL."""
    port = free_port()
    env = environment(url, data_dir) | {"OFFICEHOURS_WEB": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-c", str(CONFIG)),
            *("--access-logfile", "/dev/null", "--log-level", "warning", "booking_web.wsgi:app"),
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


@dataclass(frozen=True)
class Figures:
    """What one row measured."""

    p50_ms: float
    p99_ms: float
    errors: int


def measure(
    base: str, headers: Callable[[int], dict[str, str]], path: str, clients: int, total: int
) -> Figures:
    """``total`` GETs of ``path`` from ``clients`` threads at once, each on its own keep-alive
    connection; client i sends ``headers(i)``."""
    parts = urlsplit(base)
    per_client = max(1, total // clients)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(str(parts.hostname), parts.port, timeout=60)
        mine: list[float] = []
        failed = 0
        sent = headers(i)
        start.wait()
        for _ in range(per_client):
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=sent)
                answer = conn.getresponse()
                answer.read()
                if answer.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(str(parts.hostname), parts.port, timeout=60)
            mine.append(time.perf_counter() - began)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Figures(
        open_loop.percentile(latencies, 0.5) * 1000,
        open_loop.percentile(latencies, 0.99) * 1000,
        errors[0],
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per row and server")
    parser.add_argument("--open-loop", action="store_true", help="measure capacity at a fixed rate")
    parser.add_argument("--quick", action="store_true", help="open loop: bigger, shorter steps")
    parser.add_argument("--start", type=float, default=20.0, help="open loop: first rate, req/s")
    parser.add_argument("--factor", type=float, help="open loop: rate growth per step")
    parser.add_argument("--max-rate", type=float, default=2000.0, help="open loop: last rate")
    parser.add_argument("--step-seconds", type=float, help="open loop: seconds per rate")
    parser.add_argument("--goal-ms", type=float, default=300.0, help="open loop: p99 goal")
    args = parser.parse_args()
    args.factor = args.factor or (1.5 if args.quick else 1.25)
    args.step_seconds = args.step_seconds or (2.0 if args.quick else 5.0)
    return args


def signed_in_cookies(base: str, clients: list[tuple[str, str]]) -> list[dict[str, str]]:
    """A Cookie header for each client, signed in on ``base``."""
    cookies = []
    for email, _ in clients:
        session, _ = sign_in(base, email)
        cookies.append({"Cookie": "; ".join(f"{c.name}={c.value}" for c in session.cookies)})
    return cookies


def capacity_main(args: argparse.Namespace) -> int:
    """The open-loop mode: the highest rate of week pages each server holds under the goal."""
    path = f"/book?week={(datetime.now(UTC) + timedelta(days=14)).date().isoformat()}"
    results: list[tuple[str, list[open_loop.Step]]] = []
    with database() as url, tempfile.TemporaryDirectory() as data_dir:
        db = Database(url, max_connections=2)
        clients = seed(db)
        db.close()
        with officehours_serve(url, data_dir) as serve, gunicorn(url, data_dir) as guni:
            cookies = signed_in_cookies(serve, clients)
            for name, base in (("officehours serve", serve), ("gunicorn", guni)):
                # Warm every worker, thread and pool before the clock starts.
                measure(base, lambda i: cookies[i % CLIENTS], path, 10, 50 if args.quick else 200)
                steps = open_loop.capacity(
                    base,
                    path,
                    lambda i: cookies[i % CLIENTS],
                    start=args.start,
                    factor=args.factor,
                    max_rate=args.max_rate,
                    seconds=args.step_seconds,
                    goal_ms=args.goal_ms,
                )
                results.append((name, steps))
    workers = os.cpu_count() or 1
    print(
        f"bench/serve.py --open-loop: week page (/book?week=) at fixed rates, x{args.factor:g} "
        f"per {args.step_seconds:g} s step, goal p99 < {args.goal_ms:g} ms and no errors, "
        f"{workers} cores (load generated on the same cores)"
    )
    for name, steps in results:
        for step in steps:
            verdict = "ok" if step.passes(args.goal_ms) else "missed"
            print(
                f"  {name:<18} {step.rate:7.1f} req/s  sent {step.sent:5d}  "
                f"p50 {step.p50_ms:7.1f} ms  p99 {step.p99_ms:7.1f} ms  "
                f"errors {step.errors:4d}  {verdict}"
            )
    for name, steps in results:
        best = open_loop.highest_passing(steps, args.goal_ms)
        print(f"  highest rate with p99 < {args.goal_ms:g} ms, {name}: {best:.1f} req/s")
    return 0


def main() -> int:
    args = arguments()
    if args.open_loop:
        return capacity_main(args)
    week = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    rows: list[tuple[int, str, Figures, Figures]] = []
    with database() as url, tempfile.TemporaryDirectory() as data_dir:
        db = Database(url, max_connections=2)
        clients = seed(db)
        db.close()
        with officehours_serve(url, data_dir) as serve, gunicorn(url, data_dir) as guni:
            cookies = signed_in_cookies(serve, clients)
            tokens = [{"Authorization": f"Bearer {token}"} for _, token in clients]
            requests_kinds = (
                ("week page", f"/book?week={week}", lambda i: cookies[i % CLIENTS]),
                ("GET /api/v1/availability", "/api/v1/availability", lambda i: tokens[i % CLIENTS]),
            )
            for base in (serve, guni):  # warm every worker, thread and pool
                for _, path, headers in requests_kinds:
                    measure(base, headers, path, 20, 200)
            for level in LEVELS:
                for name, path, headers in requests_kinds:
                    ours = measure(serve, headers, path, level, args.requests)
                    theirs = measure(guni, headers, path, level, args.requests)
                    rows.append((level, name, ours, theirs))
    workers = os.cpu_count() or 1
    print(
        f"bench/serve.py: officehours serve (waitress, OFFICEHOURS_THREADS=16) against gunicorn "
        f"(config/gunicorn-web.conf.py: {workers * 2 + 1} workers x 4 threads), one database, "
        f"{args.requests} requests per figure, {workers} cores"
    )
    print(
        f"  {'clients':>7}  {'request':<26} {'serve p50':>9} {'p99':>7} {'errors':>6}"
        f"   {'gunicorn p50':>12} {'p99':>7} {'errors':>6}   {'p99 serve/gunicorn':>18}"
    )
    worst = 0.0
    serve_errors = 0
    for level, name, ours, theirs in rows:
        ratio = ours.p99_ms / theirs.p99_ms
        worst = max(worst, ratio)
        serve_errors += ours.errors
        print(
            f"  {level:>7}  {name:<26} {ours.p50_ms:7.1f}ms {ours.p99_ms:5.0f}ms {ours.errors:>6}"
            f"   {theirs.p50_ms:10.1f}ms {theirs.p99_ms:5.0f}ms {theirs.errors:>6}"
            f"   {ratio:17.2f}x"
        )
    print(f"  serve errors: {serve_errors} (goal 0); worst p99 ratio {worst:.2f}x (goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
