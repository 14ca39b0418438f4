"""CalDAV benchmark: Radicale as officehours serves it (the PostgreSQL storage, with the
listings of ``caldav_plugin.listings``) and Radicale with its own multifilesystem storage, on
the same calendars, in one run.

    .venv/bin/python bench/caldav.py [--sizes 1000,10000] [--repeat 15]

Uses DATABASE_URL when set (the user must be able to create databases), else a throwaway
embedded PostgreSQL. Each calendar gets N events over two years, 5% of them weekly for a year;
every figure is the median of --repeat requests after one warm-up, in-process (no network), and
the ratio is multifilesystem time / PostgreSQL time (above 1: PostgreSQL is faster), printed
beside its goal at 10,000 events.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from radicale import Application, config
from werkzeug.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from caldav_plugin.app import Application as OfficehoursApplication
from caldav_plugin.service import configuration, utf8_paths
from officehours import accounts
from officehours.db import Database
from officehours.migrations import migrate

START = datetime(2027, 1, 1, tzinfo=UTC)
WEEK = ("20270607T000000Z", "20270614T000000Z")
MONTH = ("20270601T000000Z", "20270701T000000Z")
# The least ratio each operation must reach at GOAL_SIZE events (issue 12: listings at least
# 10x multifilesystem, as the other three already are).
GOAL_SIZE = 10_000
GOALS = {
    "1-week time-range REPORT": 10.0,
    "delta sync after one change": 10.0,
    "PUT of one new event": 10.0,
    "depth-1 PROPFIND": 10.0,
    "one-month free-busy": 10.0,
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def event(n: int, rng: random.Random) -> str:
    start = START + timedelta(hours=rng.randrange(0, 2 * 365 * 24))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//officehours bench//EN",
        "BEGIN:VEVENT",
        f"UID:bench-{n}@example.org",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(hours=1))}",
        f"SUMMARY:Event {n}",
        "DESCRIPTION:Some text so the item is not empty.",
    ]
    if n % 20 == 0:
        lines.append("RRULE:FREQ=WEEKLY;COUNT=52")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def whole_calendar(size: int) -> str:
    rng = random.Random(size)
    body = []
    for n in range(size):
        text = event(n, rng)
        body.append(text[text.index("BEGIN:VEVENT") : text.index("END:VCALENDAR")])
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//officehours bench//EN\r\n"
    return head + "".join(body) + "END:VCALENDAR\r\n"


REPORT_RANGE = """<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:"
 xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{0}" end="{1}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
SYNC = """<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{0}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
PROPFIND = """<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>
</D:prop></D:propfind>"""
FREEBUSY = """<?xml version="1.0"?><C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:time-range start="{0}" end="{1}"/></C:free-busy-query>"""


class Server:
    """One Radicale application and the calendar it is measured on."""

    def __init__(self, app: Any, user: str, email: str, password: str, calendar: str) -> None:
        self.client = Client(app)
        token = base64.b64encode(f"{email}:{password}".encode()).decode()
        self.auth = {"Authorization": f"Basic {token}"}
        self.cal = f"/{user}/{calendar}/"
        self.counter = 0

    def request(self, method: str, path: str, body: str = "", **headers: str) -> Any:
        sent = {**self.auth, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if body:
            sent.setdefault("Content-Type", "application/xml")
        response = self.client.open(path, method=method, data=body, headers=sent)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status}")
        return response

    def token(self) -> str:
        import defusedxml.ElementTree as ET

        body = self.request("REPORT", self.cal, SYNC.format(""), Depth="1").data
        return ET.fromstring(body).findtext("{DAV:}sync-token") or ""

    def put_new(self) -> None:
        self.counter += 1
        text = event(10**7 + self.counter, random.Random(self.counter))
        path = f"{self.cal}new-{self.counter}.ics"
        self.request("PUT", path, text, Content_Type="text/calendar")


def measure(
    action: Callable[[], object], repeat: int, before: Callable[[], object] | None = None
) -> float:
    """Median seconds of ``action`` over ``repeat`` runs, after one warm-up."""
    times = []
    for n in range(repeat + 1):
        if before:
            before()
        started = time.perf_counter()
        action()
        if n:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def operations(server: Server, repeat: int) -> dict[str, float]:
    results = {}
    results["1-week time-range REPORT"] = measure(
        lambda: server.request("REPORT", server.cal, REPORT_RANGE.format(*WEEK), Depth="1"), repeat
    )
    state: dict[str, str] = {}

    def change() -> None:
        state["token"] = server.token()
        server.put_new()

    results["delta sync after one change"] = measure(
        lambda: server.request("REPORT", server.cal, SYNC.format(state["token"]), Depth="1"),
        repeat,
        before=change,
    )
    results["PUT of one new event"] = measure(server.put_new, repeat)
    results["depth-1 PROPFIND"] = measure(
        lambda: server.request("PROPFIND", server.cal, PROPFIND, Depth="1"), repeat
    )
    results["one-month free-busy"] = measure(
        lambda: server.request("REPORT", server.cal, FREEBUSY.format(*MONTH), Depth="1"), repeat
    )
    return results


def setup(db_url: str, folder: Path, sizes: list[int]) -> dict[str, list[Server]]:
    db = Database(db_url, max_connections=4)
    slug = accounts.add_user(db, None, "bench@example.com", "Bench Coach", "coach", "UTC")
    _, password = accounts.create_app_password(db, None, slug, "bench")
    db.close()
    os.environ["DATABASE_URL"] = db_url
    pg_conf = configuration(db_url, {"logging": {"level": "error"}})
    fs_conf = config.load()
    fs_conf.update(
        {
            "auth": {"type": "caldav_plugin.auth", "delay": "0"},
            "rights": {"type": "owner_only"},
            "storage": {"type": "multifilesystem", "filesystem_folder": str(folder)},
            "web": {"type": "none"},
            "logging": {"level": "error"},
            "server": {"max_content_length": "200000000"},
        },
        "bench",
    )
    pg_conf.update({"server": {"max_content_length": "200000000"}}, "bench", privileged=False)
    apps = {
        "PostgreSQL": utf8_paths(OfficehoursApplication(pg_conf)),
        "multifilesystem": utf8_paths(Application(fs_conf)),
    }
    servers: dict[str, list[Server]] = {name: [] for name in apps}
    for size in sizes:
        body = whole_calendar(size)
        for name, app in apps.items():
            server = Server(app, slug, "bench@example.com", password, f"bench-{size}")
            mk = '<?xml version="1.0"?><C:mkcalendar xmlns:C="urn:ietf:params:xml:ns:caldav"/>'
            server.request("MKCALENDAR", server.cal, mk)
            started = time.perf_counter()
            server.request("PUT", server.cal, body, Content_Type="text/calendar")
            print(f"  loaded {size} events into {name} in {time.perf_counter() - started:.1f}s")
            servers[name].append(server)
    return servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="officehours-bench-", dir="/tmp"))
    embedded = None
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        from officehours.embedded import EmbeddedPostgres

        embedded = EmbeddedPostgres(folder / "pg", cleanup="delete")
        admin_url = embedded.url()
    name = f"officehours_bench_{os.getpid()}"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db_url = urlunsplit(urlsplit(admin_url)._replace(path="/" + name))
    try:
        migrate(db_url)
        print(f"Loading calendars ({', '.join(map(str, sizes))} events, 5% weekly recurring)")
        servers = setup(db_url, folder / "fs", sizes)
        rows = []
        for index, size in enumerate(sizes):
            pg = operations(servers["PostgreSQL"][index], args.repeat)
            fs = operations(servers["multifilesystem"][index], args.repeat)
            rows += [(size, op, fs[op], pg[op]) for op in pg]
        print()
        print("| events | operation | multifilesystem | PostgreSQL | ratio | goal |")
        print("|---:|---|---:|---:|---:|---|")
        for size, op, fs_time, pg_time in rows:
            ratio = fs_time / pg_time
            goal = ""
            if size == GOAL_SIZE:
                met = "met" if ratio >= GOALS[op] else "NOT met"
                goal = f">= {GOALS[op]:g}x: {met}"
            print(
                f"| {size:,} | {op} | {fs_time * 1000:.1f} ms | {pg_time * 1000:.1f} ms"
                f" | {ratio:.1f}x | {goal} |"
            )
    finally:
        from caldav_plugin import options

        for db in list(options._pools.values()):
            db.close()
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        conn.close()
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    main()
