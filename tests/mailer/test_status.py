"""What failed mail looks like to an operator: `officehours mailer status` and the SQL behind it
(the admin page, tests/web/test_admin_mail.py, shows the same)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from officehours import booking, errors
from officehours.cli import main
from officehours.db import Database, one
from tests.lib.support import NOW, World
from tests.mailer.account_failures import fail_link_mail
from tests.mailer.helpers import MakeMailer, local
from tests.mailer.sink import SmtpSink

WED_9_LA = local(2, "09:00", "America/Los_Angeles")
WED_10_LA = local(2, "10:00", "America/Los_Angeles")


def one_failed_one_retried_two_sent(
    db: Database, world: World, sink: SmtpSink, make: MakeMailer
) -> tuple[str, str]:
    """A's booking mail to A is refused for good, B's to B waits for a retry, the coach's two
    are sent. Returns the public ids of the failed and the retried mail."""
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    booking.book(db, world.b, world.b, WED_10_LA, now=NOW)
    sink.refuse("554 5.7.1 no such user here", "250 OK", "451 4.3.0 try again later")
    mailer = make()
    outcomes = mailer.deliver_due() + mailer.deliver_due()
    by_state = {o.state: o.public_id for o in outcomes}
    assert sorted(o.state for o in outcomes) == ["failed", "pending", "sent", "sent"], outcomes
    return by_state["failed"], by_state["pending"]


def test_mailer_status_counts_by_state_and_shows_the_last_errors(
    db_url: str,
    db: Database,
    world: World,
    smtp_sink: SmtpSink,
    make_mailer: MakeMailer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    failed, retried = one_failed_one_retried_two_sent(db, world, smtp_sink, make_mailer)
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["mailer", "status"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # Two sent and one failed today; the retry and the four reminders are not due yet.
    assert lines[0] == (
        "mail due and not yet sent: 0; in the last 24 hours: sent 2, failed 1, superseded 0"
    )
    assert lines[1] == "last errors (newest first, at most 10):"
    assert f"  {failed}  booked mail to the client {world.a}: failed " in out
    assert "    SMTPDataError: (554, b'5.7.1 no such user here')" in out
    assert f"  {retried}  booked mail to the client {world.b}: pending, next try " in out
    assert "1 attempt\n" in out and "451" in out

    assert main(["mailer", "status", "--errors", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "no mail failed or waits for a retry",
        "password-link mail due and not yet sent: 0; in the last 24 hours:"
        " sent 0, failed 0, superseded 0",
        "no password-link mail failed or waits for a retry",
    ]
    with pytest.raises(SystemExit):
        main(["mailer", "status", "--errors", "1000"])


def test_python_m_mailer_status_on_an_empty_outbox(db_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "status"],
        env={**os.environ, "DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "mail due and not yet sent: 0; in the last 24 hours: sent 0, failed 0, superseded 0",
        "no mail failed or waits for a retry",
        "password-link mail due and not yet sent: 0; in the last 24 hours:"
        " sent 0, failed 0, superseded 0",
        "no password-link mail failed or waits for a retry",
    ]


def test_only_an_admin_or_the_owner_sees_the_outbox(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    failed, _ = one_failed_one_retried_two_sent(db, world, smtp_sink, make_mailer)
    with db.transaction(world.admin) as cur:
        cur.execute("SELECT public_id, state::text FROM mail_errors(10) WHERE state = 'failed'")
        assert cur.fetchall() == [(failed, "failed")]
    for who in (world.x, world.a, "nobody-at-all"):
        for query in (
            "SELECT * FROM mail_counts()",
            "SELECT * FROM mail_errors(10)",
            "SELECT * FROM mail_counts('accounts')",
            "SELECT * FROM mail_errors(10, 'accounts')",
        ):
            with pytest.raises(errors.Forbidden), db.transaction(who) as cur:
                cur.execute(query)
    with db.transaction() as cur:  # the owner: the command line, operators
        cur.execute("SELECT sum(mails)::int FROM mail_counts()")
        assert cur.fetchone() == (3,)  # two sent and one failed today; nothing due
    # The reports read one outbox each; there is no third.
    for query in ("SELECT * FROM mail_counts('other')", "SELECT * FROM mail_errors(10, NULL)"):
        with pytest.raises(errors.InvalidInput), db.transaction() as cur:
            cur.execute(query)


def test_the_status_shows_password_link_mail_but_never_a_secret(
    db_url: str,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    failed, retried, secrets = fail_link_mail(world)
    assert len(secrets) == 3
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("OFFICEHOURS_CLOCK", NOW.isoformat())
    assert main(["mailer", "status"]) == 0
    out = capsys.readouterr().out
    # The welcome mail never tried is due; the retried one waits for its next try.
    assert (
        "password-link mail due and not yet sent: 1; in the last 24 hours:"
        " sent 0, failed 1, superseded 0\n"
    ) in out
    assert f"  {failed}  password_reset mail to {world.a}: failed " in out
    assert "    SMTPRecipientsRefused: 550 no such user" in out
    assert f"  {retried}  welcome mail to {world.b}: pending, next try " in out
    for secret in secrets:
        assert secret not in out
    assert "http" not in out


def test_the_report_counts_the_last_day_and_reads_by_index(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    # Sent mail is kept for months (mail_kept): the report counts what is due and what finished
    # in the last day, and reads both outboxes through their indexes, never a scan of all of it.
    one_failed_one_retried_two_sent(db, world, smtp_sink, make_mailer)
    with db.transaction() as cur:
        cur.execute(
            "UPDATE mail_outbox SET finished_at = finished_at - INTERVAL '2 days'"
            " WHERE state = 'sent' AND recipient = 'coach'"
            " AND id = (SELECT min(id) FROM mail_outbox WHERE state = 'sent')"
        )
    seq_scans = (
        "SELECT relname, seq_scan FROM pg_stat_xact_user_tables"
        " WHERE relname IN ('mail_outbox', 'account_mail') ORDER BY relname"
    )
    with db.transaction(now=NOW) as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        # The backend's counts not yet flushed, of this transaction and those before it.
        cur.execute(seq_scans)
        before = cur.fetchall()
        cur.execute("SELECT state::text, mails FROM mail_counts('calls')")
        calls = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM mail_errors(10, 'calls')")
        (errs,) = one(cur)
        cur.execute("SELECT sum(mails) FROM mail_counts('accounts')")
        cur.execute("SELECT count(*) FROM mail_errors(10, 'accounts')")
        cur.execute(seq_scans)
        after = cur.fetchall()
    # The retried mail waits for its next try, the reminders for their time: none is due.
    assert calls == {"pending": 0, "sent": 1, "failed": 1, "superseded": 0}
    assert errs == 2
    assert after == before, (before, after)
