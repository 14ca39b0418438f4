"""The mailer never dies of one row (issue 8, finding 1).

A stored value that cannot become a message (an address from before the address rules, a bug
while composing) marks its own mail failed, is logged with the mail's public id, and every other
due message still reaches a real SMTP server, from the thread ``officehours serve`` runs.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from email.message import EmailMessage

import pytest
from psycopg2 import sql

from mailer.compose import Composer
from mailer.job import Job
from mailer.loop import MailLoop
from mailer.outbox import Mailer
from mailer.service import MailerService
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MAIL_FROM, local
from tests.mailer.sink import SmtpSink

WED_9_LA = local(2, "09:00", "America/Los_Angeles")
WED_10_LA = local(2, "10:00", "America/Los_Angeles")
TUE_9_LONDON = local(1, "09:00", "Europe/London")
THU_11_LA = local(3, "11:00", "America/Los_Angeles")

COLUMN_CHECKS = {"email": "user_email_format", "display_name": "user_display_name_sane"}


def store_unchecked(db: Database, slug: str, column: str, value: str) -> None:
    """Stores a value the users CHECK refuses, as a row from before the address rules holds
    it: the CHECK is taken away for the UPDATE and put back NOT VALID (as migration 0030 left
    it for old rows)."""
    name = COLUMN_CHECKS[column]
    with db.transaction() as cur:
        cur.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'users'::regclass AND conname = %s",
            (name,),
        )
        row = cur.fetchone()
        assert row is not None
        definition = str(row[0]).removesuffix(" NOT VALID")
        cur.execute(sql.SQL("ALTER TABLE users DROP CONSTRAINT {}").format(sql.Identifier(name)))
        cur.execute(
            sql.SQL("UPDATE users SET {} = %s WHERE slug = %s").format(sql.Identifier(column)),
            (value, slug),
        )
        # The definition is SQL text of the database's own (with braces of its own).
        cur.execute(
            sql.SQL("ALTER TABLE users ADD CONSTRAINT {} ").format(sql.Identifier(name))
            + sql.SQL(definition)
            + sql.SQL(" NOT VALID")
        )


def outbox(db: Database) -> dict[tuple[str, str], tuple[str, str, str | None]]:
    """(client's email at booking, recipient) -> (public id, state, last error) of change mail."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT cl.slug, o.recipient::text, o.public_id, o.state::text, o.last_error"
            " FROM mail_outbox o JOIN appointments a ON a.id = o.appointment_id"
            " JOIN users cl ON cl.id = a.client_id WHERE o.kind <> 'reminder'"
        )
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in cur.fetchall()}


def start_service(db: Database, sink: SmtpSink, composer: Composer | None = None) -> MailerService:
    mailer = Mailer(
        db,
        SmtpTransport(SmtpUrl.parse(sink.url), timeout=10),
        composer or Composer(BASE_URL, MAIL_FROM),
        clock=lambda: NOW,
    )
    service = MailerService(MailLoop(mailer, db.url, poll_seconds=600))
    service.start()
    return service


POISONS = [
    ("email", "dot@example.com."),
    ("email", "a@e..com"),
    ("email", "a@.example.com"),
    ("email", "[a]@example.com"),
    ("email", "a@[example.com"),
    ("display_name", "Ann\u2028Client"),
]


@pytest.mark.parametrize(("column", "value"), POISONS, ids=[v for _, v in POISONS])
def test_a_poisoned_row_due_first_fails_alone_and_the_mailer_lives_on(
    db: Database,
    world: World,
    smtp_sink: SmtpSink,
    caplog: pytest.LogCaptureFixture,
    column: str,
    value: str,
) -> None:
    # A's call is booked first, so its two mails are the oldest due (the coach's names A too).
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    store_unchecked(db, world.a, column, value)
    booking.book(db, world.b, world.b, WED_10_LA, now=NOW)
    booking.book(db, world.c, world.c, TUE_9_LONDON, now=NOW)
    caplog.set_level(logging.INFO, logger="mailer")

    service = start_service(db, smtp_sink)
    try:
        got = smtp_sink.wait_for(4)
        assert sorted(r.rcpt_tos[0] for r in got) == [
            "b@example.com",
            "c@example.com",
            "x@example.com",
            "y@example.com",
        ]
        # Still alive, and still sending: the next change goes out at once (NOTIFY).
        assert service._thread.is_alive()
        booking.book(db, world.b, world.b, THU_11_LA, now=NOW)
        assert len(smtp_sink.wait_for(6)) == 6
        assert service._thread.is_alive()
    finally:
        service.stop()

    rows = outbox(db)
    for recipient in ("client", "coach"):
        public_id, state, error = rows[world.a, recipient]
        assert state == "failed" and error, (recipient, state, error)
        logged = [r.getMessage() for r in caplog.records if public_id in r.getMessage()]
        assert logged, f"nothing logged about {public_id}"
    assert {rows[world.b, "client"][1], rows[world.c, "coach"][1]} == {"sent"}


class BrokenComposer(Composer):
    """A composer with a bug that shows for one client only (any exception, not a ValueError)."""

    def compose(self, job: Job, *, now: datetime) -> EmailMessage:
        if job.client.email == "a@example.com":
            raise LookupError("a bug in composing")
        return super().compose(job, now=now)


def test_any_exception_while_composing_fails_that_mail_only(
    db: Database, world: World, smtp_sink: SmtpSink
) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    booking.book(db, world.b, world.b, WED_10_LA, now=NOW)
    service = start_service(db, smtp_sink, BrokenComposer(BASE_URL, MAIL_FROM))
    try:
        got = smtp_sink.wait_for(2)
        assert sorted(r.rcpt_tos[0] for r in got) == ["b@example.com", "x@example.com"]
        time.sleep(0.2)
        assert service._thread.is_alive()
    finally:
        service.stop()
    rows = outbox(db)
    assert rows[world.a, "client"][1:] == ("failed", "LookupError: a bug in composing")
    assert rows[world.a, "coach"][1] == "failed"


class FlakyTransport(SmtpTransport):
    """The real SMTP transport, with one unexpected error on the first message."""

    failed = False

    def send(self, msg: EmailMessage, *, sender: str, recipient: str) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("a bug in sending")
        super().send(msg, sender=sender, recipient=recipient)


def test_an_unexpected_error_while_sending_is_retried(
    db: Database, world: World, smtp_sink: SmtpSink
) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    mailer = Mailer(
        db,
        FlakyTransport(SmtpUrl.parse(smtp_sink.url), timeout=10),
        Composer(BASE_URL, MAIL_FROM),
        clock=lambda: NOW,
    )
    first = mailer.deliver_due()
    assert [(o.recipient, o.state) for o in first] == [("client", "pending")]
    assert first[0].error == "RuntimeError: a bug in sending"
    assert [o.state for o in mailer.deliver_due()] == ["sent"]  # the coach's
    later = Mailer(
        db, mailer.transport, mailer.composer, clock=lambda: NOW + mailer.backoff.after(1)
    )
    assert [(o.recipient, o.state) for o in later.deliver_due()] == [("client", "sent")]
