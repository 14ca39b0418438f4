"""Two Radicale processes (gunicorn) on one database: no lost update, consistent sync tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from officehours import booking, errors
from officehours.db import one
from tests.caldav import helpers as h
from tests.caldav.dav import Login
from tests.lib.support import NOW, World

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def servers(db_url: str, tmp_path: Path) -> Iterator[list[str]]:
    started = []
    urls = []
    for name in ("one", "two"):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        port = sock.getsockname()[1]
        conf = tmp_path / f"{name}.conf"
        text = (ROOT / "config" / "radicale.conf").read_text()
        text = text.replace("database_url =\n", f"database_url = {db_url}\n")
        text = text.replace("clock =\n", f"clock = {NOW.isoformat()}\n")
        text = text.replace("delay = 1\n", "delay = 0\n")
        conf.write_text(text)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"fd://{sock.fileno()}",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--log-level",
                "warning",
                "caldav_plugin.wsgi",
            ],
            cwd=ROOT,
            env={**os.environ, "RADICALE_CONFIG": str(conf)},
            pass_fds=[sock.fileno()],
        )
        sock.close()
        started.append(proc)
        urls.append(f"http://127.0.0.1:{port}")
    yield urls
    for proc in started:
        proc.terminate()
    for proc in started:
        proc.wait(timeout=30)


def test_concurrent_puts_and_bookings_lose_nothing(
    servers: list[str], coach: Login, world: World
) -> None:
    auth = (coach.email, coach.password)
    cal = f"/{world.x}/busy/"
    first = requests.request(
        "REPORT",
        servers[0] + cal,
        data=h.sync_collection(),
        auth=auth,
        headers={"Depth": "1"},
        timeout=60,
    )
    assert first.status_code == 207
    start_token = h.token(first.content)
    day = datetime(2027, 1, 11, 0, 0, tzinfo=UTC)

    def put(n: int) -> int:
        start = day + timedelta(days=n // 8, minutes=(n % 8) * 30)
        stamp = f"{start:%Y%m%dT%H%M%SZ}"
        end = f"{start + timedelta(minutes=20):%Y%m%dT%H%M%SZ}"
        r = requests.put(
            f"{servers[n % 2]}{cal}e{n}.ics",
            data=h.event(f"e{n}", stamp, end),
            auth=auth,
            headers={"Content-Type": "text/calendar"},
            timeout=60,
        )
        return r.status_code

    def book(n: int) -> str:
        try:
            return booking.book(
                world.db,
                world.a if n % 2 else world.b,
                world.a if n % 2 else world.b,
                datetime(2027, 1, 5, 17, tzinfo=UTC) + timedelta(hours=n),
                now=NOW,
            ).token
        except errors.OfficeHoursError as exc:
            return exc.code

    with ThreadPoolExecutor(12) as pool:
        puts = pool.map(put, range(40))
        books = pool.map(book, range(4))
        statuses = list(puts)
        tokens = list(books)
    assert statuses == [201] * 40
    assert sum(1 for t in tokens if len(t) > 15) == 4

    delta = requests.request(
        "REPORT",
        servers[1] + cal,
        data=h.sync_collection(start_token),
        auth=auth,
        headers={"Depth": "1"},
        timeout=60,
    )
    assert len(h.hrefs(delta.content)) == 40
    again = requests.request(
        "REPORT",
        servers[0] + cal,
        data=h.sync_collection(h.token(delta.content)),
        auth=auth,
        headers={"Depth": "1"},
        timeout=60,
    )
    assert h.hrefs(again.content) == [] and h.token(again.content) == h.token(delta.content)
    with world.db.transaction() as cur:
        cur.execute("SELECT count(DISTINCT source_ref) FROM busy_intervals WHERE source = 'caldav'")
        assert one(cur)[0] == 40
    appointments = requests.request(
        "PROPFIND",
        servers[1] + f"/{world.x}/appointments/",
        auth=auth,
        headers={"Depth": "1"},
        timeout=60,
    )
    assert len(h.hrefs(appointments.content)) == 5  # the collection and the four calls

    # Two writers with the same If-Match: exactly one wins, on whichever process.
    path = f"{cal}e0.ics"
    etag = requests.get(servers[0] + path, auth=auth, timeout=60).headers["ETag"]

    def overwrite(n: int) -> int:
        body = h.event("e0", "20270111T000000Z", f"20270111T0{n + 1}0000Z")
        return requests.put(
            servers[n] + path,
            data=body,
            auth=auth,
            timeout=60,
            headers={"Content-Type": "text/calendar", "If-Match": etag},
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(overwrite, (0, 1))) == [204, 412]
