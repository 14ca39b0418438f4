"""Kill the mailer process in the middle of an SMTP transaction, start it again: every message
arrives exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from officehours import booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.helpers import due_on_the_wall_clock, local
from tests.mailer.sink import SmtpSink


def start_mailer(db_url: str, sink: SmtpSink, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SMTP_URL": sink.url,
        "OFFICEHOURS_DATA_DIR": str(data_dir),
        "OFFICEHOURS_BASE_URL": "https://book.example.org",
        "OFFICEHOURS_MAIL_FROM": "hello@example.org",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mailer", "--poll", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def book_six(db: Database, world: World) -> None:
    """Two calls for each client: twelve messages (client and coach each)."""
    for client in (world.a, world.b, world.c):
        for day in (2, 3):  # Wednesday and Thursday
            hhmm, zone = {
                world.a: ("09:00", "America/Los_Angeles"),
                world.b: ("10:00", "America/Los_Angeles"),
                world.c: ("10:00", "Europe/London"),
            }[client]
            booking.book(db, client, client, local(day, hhmm, zone), now=NOW)
    due_on_the_wall_clock(db)


def test_killed_mid_send_then_restarted_loses_nothing_and_repeats_nothing(
    db_url: str, db: Database, world: World, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    book_six(db, world)
    with db.transaction() as cur:
        cur.execute(
            "SELECT '<' || public_id || '@example.org>' FROM mail_outbox WHERE kind <> 'reminder'"
        )
        expected = {row[0] for row in cur.fetchall()}
    assert len(expected) == 12

    smtp_sink.hold_after(5)
    first = start_mailer(db_url, smtp_sink, tmp_path)
    try:
        assert smtp_sink.in_data.wait(30), "the mailer never reached the sixth message"
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    # The server saw the connection drop before it accepted the sixth message.
    assert smtp_sink.aborted.wait(10)
    smtp_sink.release()
    assert len(smtp_sink.received) == 5

    second = start_mailer(db_url, smtp_sink, tmp_path)
    try:
        smtp_sink.wait_for(12, timeout=30)
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0, second.stderr.read().decode() if second.stderr else ""
    finally:
        if second.poll() is None:
            second.kill()

    ids = smtp_sink.message_ids()
    assert set(ids) == expected
    assert all(count == 1 for count in ids.values()), ids
    with db.transaction() as cur:
        cur.execute(
            "SELECT state, attempts, count(*) FROM mail_outbox WHERE kind <> 'reminder'"
            " GROUP BY state, attempts"
        )
        assert cur.fetchall() == [("sent", 1, 12)]
