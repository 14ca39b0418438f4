"""Account mail (links that set a password) through the mailer against a real SMTP server: the
running mail loop sends it as soon as it is queued (NOTIFY), a temporary refusal is retried with
backoff and a permanent one given up, the link's secret leaves the outbox once the mail is
settled, mail of a link that stopped working is not sent, and two mailers never take one row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg2
import psycopg2.errors
import pytest

from mailer import account_mail
from mailer.loop import MailLoop
from mailer.outbox import Backoff
from mailer.service import MailerService
from officehours import errors, password_links
from officehours.db import Database
from tests.lib.account_mail import link_in, text_of
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MakeMailer
from tests.mailer.sink import SmtpSink


def rows(db: Database) -> list[tuple[Any, ...]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT kind::text, state::text, attempts, link_secret IS NOT NULL"
            " FROM account_mail ORDER BY id"
        )
        return cur.fetchall()


def test_the_running_mailer_sends_a_link_at_once(
    db: Database, world: World, make_mailer: MakeMailer, smtp_sink: SmtpSink
) -> None:
    service = MailerService(MailLoop(make_mailer(), db.url, poll_seconds=600))
    service.start()
    try:
        password_links.request_link(db, "b@example.com", "192.0.2.1", NOW)
        (message,) = smtp_sink.wait_for(1)
    finally:
        service.stop()
    assert message.rcpt_tos == ["b@example.com"]
    assert message.message["X-Officehours-Kind"] == "password_reset"
    assert link_in(message).startswith(f"{BASE_URL}/password/")
    assert "Hello Bo Client" in text_of(message)
    assert rows(db) == [("password_reset", "sent", 1, False)]


def test_a_temporary_refusal_is_retried_and_a_permanent_one_given_up(
    db: Database, world: World, make_mailer: MakeMailer, smtp_sink: SmtpSink
) -> None:
    password_links.send_link(db, None, world.a, "welcome", NOW)
    smtp_sink.refuse("451 4.3.0 try again later")
    first = account_mail.deliver_due(make_mailer(backoff=Backoff(timedelta(minutes=1))))
    assert [o.state for o in first] == ["pending"]
    assert rows(db) == [("welcome", "pending", 1, True)]  # the secret waits for the retry
    assert account_mail.deliver_due(make_mailer()) == []  # not due before the backoff ends
    later = NOW + timedelta(minutes=2)
    assert [o.state for o in account_mail.deliver_due(make_mailer(clock=later))] == ["sent"]
    assert rows(db) == [("welcome", "sent", 2, False)]
    (message,) = smtp_sink.wait_for(1)
    assert message.message["Subject"] == "Your officehours account: choose a password"

    password_links.send_link(db, None, world.b, "welcome", NOW)
    smtp_sink.refuse("554 5.7.1 no such mailbox")
    assert [o.state for o in account_mail.deliver_due(make_mailer())] == ["failed"]
    assert rows(db)[-1] == ("welcome", "failed", 1, False)  # given up: the secret is gone


def test_mail_of_a_link_that_stopped_working_is_not_sent(
    db: Database, world: World, make_mailer: MakeMailer, smtp_sink: SmtpSink
) -> None:
    password_links.send_link(db, None, world.a, "password_reset", NOW)
    # An hour later the link has expired before any mailer ran: its mail is dropped.
    assert account_mail.deliver_due(make_mailer(clock=NOW + timedelta(hours=1))) == []
    assert rows(db) == [("password_reset", "superseded", 0, False)]
    assert smtp_sink.received == []


def test_two_mailers_never_claim_one_mail(db: Database, world: World) -> None:
    password_links.send_link(db, None, world.a, "welcome", NOW)
    password_links.send_link(db, None, world.b, "welcome", NOW)
    with db.transaction(now=NOW) as first, db.transaction(now=NOW) as second:
        first.execute("SELECT public_id FROM account_mail_claim()")
        second.execute("SELECT public_id FROM account_mail_claim()")
        one, other = first.fetchall(), second.fetchall()
        assert len(one) == len(other) == 1 and one != other
        third = db.transaction(now=NOW)
        with third as cur:
            cur.execute("SELECT public_id FROM account_mail_claim()")
            assert cur.fetchall() == []


def test_the_web_app_role_cannot_read_the_outbox_or_send_links(db: Database, world: World) -> None:
    password_links.send_link(db, None, world.a, "welcome", NOW)
    for statement in (
        "SELECT link_secret FROM account_mail",
        "SELECT secret_hash FROM account_links",
        "SELECT * FROM account_mail_claim()",
        "SELECT request_password_link('a@example.com', '192.0.2.1')",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            with db.transaction(world.a) as cur:
                cur.execute(statement)
    with pytest.raises(errors.Forbidden):
        password_links.send_link(db, world.a, world.b, "welcome", NOW)
    assert len(rows(db)) == 1
