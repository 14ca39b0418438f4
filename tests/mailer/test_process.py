"""Settings to transports, the service inside `officehours serve`, and `python -m mailer`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.service import MailerService, build_loop, make_service
from mailer.transport import DirectoryTransport, SmtpTransport, SmtpUrl
from officehours import booking
from officehours.db import Database
from officehours.settings import Settings
from tests.lib.support import NOW, World
from tests.mailer.helpers import due_on_the_wall_clock, local
from tests.mailer.sink import SmtpSink

WED_9_LA = local(2, "09:00", "America/Los_Angeles")


def test_smtp_url_forms() -> None:
    plain = SmtpUrl.parse("smtp://mail.example.org")
    assert (plain.implicit_tls, plain.host, plain.port, plain.username) == (
        False,
        "mail.example.org",
        25,
        None,
    )
    tls = SmtpUrl.parse("smtps://me%40example.org:p%3Ass@mail.example.org")
    assert (tls.implicit_tls, tls.port, tls.username, tls.password) == (
        True,
        465,
        "me@example.org",
        "p:ss",
    )
    assert SmtpUrl.parse("smtp://u:secret@h:587").describe() == "smtp://u@h:587"
    for bad in ("http://h", "smtp://", "smtp://h:99999"):
        with pytest.raises(ValueError, match="SMTP_URL"):
            SmtpUrl.parse(bad)


def test_directory_transport_writes_one_file_per_message(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["Message-ID"] = "<Abc-123_x@example.org>"
    msg.set_content("hello")
    transport = DirectoryTransport(tmp_path / "outbox")
    transport.send(msg, sender="s@example.org", recipient="r@example.org")
    transport.send(msg, sender="s@example.org", recipient="r@example.org")
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["00000000T000000Z_Abc-123_x.eml"]


def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env({"OFFICEHOURS_BASE_URL": "https://book.example.org", **env})


def test_service_sends_at_once_when_notified(
    db: Database, world: World, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    config = settings({"SMTP_URL": smtp_sink.url, "OFFICEHOURS_DATA_DIR": str(tmp_path)})
    assert make_service(config, db).describe() == (
        f"mailer sending over smtp://127.0.0.1:{smtp_sink.port}"
    )
    # A poll interval far longer than the test: only NOTIFY can wake it in time.
    service = MailerService(build_loop(config, db, poll_seconds=600, clock=lambda: NOW))
    service.start()
    try:
        smtp_sink.wait_for(0)
        booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
        assert len(smtp_sink.wait_for(2, timeout=10)) == 2
    finally:
        started = time.monotonic()
        service.stop()
        assert time.monotonic() - started < 5


def test_without_smtp_url_mail_becomes_eml_files(
    db_url: str, db: Database, world: World, tmp_path: Path
) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    due_on_the_wall_clock(db)
    outbox = tmp_path / "mail"
    env = {key: value for key, value in os.environ.items() if key != "SMTP_URL"} | {
        "DATABASE_URL": db_url,
        "OFFICEHOURS_DATA_DIR": str(tmp_path),
        "OFFICEHOURS_OUTBOX_DIR": str(outbox),
    }
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"writing .eml files into {outbox}" in done.stderr
    files = sorted(p.name.partition("_")[2] for p in outbox.iterdir())
    with db.transaction() as cur:
        cur.execute("SELECT public_id || '.eml' FROM mail_outbox WHERE state = 'sent'")
        assert files == sorted(row[0] for row in cur.fetchall())
    assert len(files) == 2


def test_cli_needs_a_database(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "--once"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "DATABASE_URL" in done.stderr


def test_smtp_transport_sends_a_run_of_messages(smtp_sink: SmtpSink) -> None:
    transport = SmtpTransport(SmtpUrl.parse(smtp_sink.url))
    for n in range(3):
        msg = EmailMessage()
        msg["Message-ID"] = f"<m{n}@example.org>"
        msg.set_content("hello")
        transport.send(msg, sender="s@example.org", recipient="r@example.org")
    transport.close()
    assert len(smtp_sink.wait_for(3)) == 3
