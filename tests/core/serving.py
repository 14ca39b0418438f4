"""`officehours serve` as a real process for the tests of serving: start it on free loopback
ports, read where it answers, talk to it over real sockets, and the people it serves."""

from __future__ import annotations

import base64
import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from officehours import accounts
from officehours.db import Database
from tests.lib.support import NOW, weekdays

READY = "Press Ctrl-C to stop."
_ADDRESS = re.compile(r"^\s*(?P<label>.+?) at (?P<url>http://\S+?)/?$")


@dataclass
class Served:
    """A running `officehours serve`: its process, where it answers, what it printed."""

    proc: subprocess.Popen[str]
    web: str
    caldav: str
    output: list[str] = field(default_factory=list)

    @property
    def web_address(self) -> tuple[str, int]:
        """(host, port) of the website."""
        parts = urlsplit(self.web)
        return str(parts.hostname), int(parts.port or 80)

    @property
    def caldav_address(self) -> tuple[str, int]:
        """(host, port) of CalDAV."""
        parts = urlsplit(self.caldav)
        return str(parts.hostname), int(parts.port or 80)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Signals the process and waits for its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def printed(self) -> str:
        """Everything the process printed so far."""
        return "".join(self.output)


def serve_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a serve for tests: the given database, the rules' clock at NOW, mail
    into a folder unless SMTP_URL is given, and the other settings from ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICEHOURS_")}
    env.pop("SMTP_URL", None)
    env |= {
        "DATABASE_URL": database_url,
        "OFFICEHOURS_DATA_DIR": str(tmp_path / "data"),
        "OFFICEHOURS_OUTBOX_DIR": str(tmp_path / "outbox"),
        "OFFICEHOURS_CLOCK": NOW.isoformat(),
    }
    env.update(extra)
    return env


def start_serve(env: dict[str, str], *args: str, timeout: float = 120) -> Served:
    """Starts `officehours serve` on free loopback ports; returns once it says it is ready."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "officehours.cli",
            "serve",
            "--web",
            "127.0.0.1:0",
            "--caldav",
            "127.0.0.1:0",
            *args,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def read_lines() -> None:
        for line in proc.stdout or []:
            seen.append(line)
            lines.put(line)

    threading.Thread(target=read_lines, daemon=True).start()
    urls: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            raise AssertionError("serve did not get ready:\n" + "".join(seen)) from None
        found = _ADDRESS.match(line)
        if found:
            urls[found["label"]] = found["url"].rstrip("/")
        if READY in line:
            break
        if proc.poll() is not None and lines.empty():
            raise AssertionError("serve exited early:\n" + "".join(seen))
    web = next(u for label, u in urls.items() if "website" in label.lower())
    caldav = next(u for label, u in urls.items() if "caldav" in label.lower())
    return Served(proc, web, caldav, seen)


@dataclass(frozen=True)
class Person:
    """A user of the tests, with an API token and (coaches) a CalDAV app password."""

    slug: str
    email: str
    token: str
    app_password: str = ""


@dataclass(frozen=True)
class People:
    """Two coaches and their clients: coach X (UTC, 09:00-17:00 on weekdays) with ``x_clients``,
    coach Y (the same hours) with ``y_clients``."""

    x: Person
    y: Person
    x_clients: list[Person]
    y_clients: list[Person]


def _person(db: Database, email: str, name: str, role: str) -> Person:
    slug = accounts.add_user(db, None, email, name, role, "UTC")
    _, token = accounts.create_api_token(db, None, slug, "tests")
    app_password = ""
    if role == "coach":
        _, app_password = accounts.create_app_password(db, None, slug, "tests")
    return Person(slug, email, token, app_password)


def seed(database_url: str, *, x_clients: int, y_clients: int = 1) -> People:
    """Makes the people of a test in the database at ``database_url``."""
    db = Database(database_url, max_connections=2)
    try:
        x = _person(db, "x@example.com", "Xavier Coach", "coach")
        y = _person(db, "y@example.com", "Yara Coach", "coach")
        for coach in (x, y):
            accounts.set_office_hours(db, None, coach.slug, weekdays("09:00", "17:00"))
        made: dict[str, list[Person]] = {x.slug: [], y.slug: []}
        for coach, count, letter in ((x, x_clients, "a"), (y, y_clients, "c")):
            for i in range(count):
                client = _person(db, f"{letter}{i}@example.com", f"Client {letter}{i}", "client")
                accounts.assign_coach(db, None, client.slug, coach.slug)
                made[coach.slug].append(client)
        return People(x, y, made[x.slug], made[y.slug])
    finally:
        db.close()


def slots(count: int) -> list[datetime]:
    """``count`` distinct bookable starts of coach X or Y (UTC office hours, an hour each),
    from the Tuesday after NOW, weekdays only."""
    found: list[datetime] = []
    day = NOW.replace(hour=0) + timedelta(days=1)
    while len(found) < count:
        if day.isoweekday() <= 5:
            found.extend(day.replace(hour=h) for h in range(9, 17))
        day += timedelta(days=1)
    return found[:count]


def instant(value: datetime) -> str:
    """An ISO instant for a JSON body."""
    return value.isoformat().replace("+00:00", "Z")


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request on an open connection (kept alive); raises OSError when the connection
    fails."""
    sent = dict(headers or {})
    data: bytes | None = None
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=sent)
    response = conn.getresponse()
    payload = response.read()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)


def basic(email: str, password: str) -> dict[str, str]:
    """An Authorization header for CalDAV."""
    pair = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def connect(address: tuple[str, int], timeout: float = 60) -> http.client.HTTPConnection:
    """A connection to ``address`` (opened on the first request)."""
    return http.client.HTTPConnection(address[0], address[1], timeout=timeout)


def book(address: tuple[str, int], person: Person, start: datetime) -> Answer:
    """Books ``start`` for ``person`` through the API on a connection of its own."""
    conn = connect(address)
    try:
        return request(
            conn, "POST", "/api/v1/appointments", token=person.token, body={"start": instant(start)}
        )
    finally:
        conn.close()
