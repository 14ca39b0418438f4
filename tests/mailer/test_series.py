"""A monthly series as mail: one message per person for the series booked, and for the series
cancelled (whole, or from one call on), each call's invite attached; the outbox keeps a batch
together, so no mailer sends half of one."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
import vobject

from officehours import booking, errors
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MakeMailer, local
from tests.mailer.sink import SmtpSink

FIRST = local(2, "09:00", "America/Los_Angeles")  # a Wednesday, 09:00 in Los Angeles
LIBICAL_CHECK = Path(__file__).resolve().parents[1] / "ics" / "libical_check.py"


def invites(msg: EmailMessage) -> list[tuple[str, bytes]]:
    """The text/calendar parts of a message: (method parameter, bytes)."""
    found = []
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            found.append((str(part.get_param("method")), data))
    return found


def check_invite(method: str, data: bytes) -> icalendar.cal.Component:
    """The one event of an iTIP message, after libical's iTIP check, vobject and icalendar."""
    done = subprocess.run(
        ["/usr/bin/python3", str(LIBICAL_CHECK)], input=data, capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    report = json.loads(done.stdout)
    assert report["restriction_ok"] and not report["parse_errors"], report
    assert vobject.readOne(data.decode()).validate()
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == method
    assert icalendar.Calendar.from_ical(calendar.to_ical()) == calendar
    (event,) = calendar.walk("VEVENT")
    return event


def by_recipient(sink: SmtpSink, count: int) -> dict[str, list[EmailMessage]]:
    got = sink.wait_for(count)
    assert len(got) == count
    mail: dict[str, list[EmailMessage]] = {}
    for r in got:
        mail.setdefault(r.rcpt_tos[0], []).append(r.message)
    return mail


def test_a_series_booked_is_one_mail_per_person_with_every_call(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    calls = booking.book_series(db, world.a, world.a, FIRST, 3, now=NOW)
    outcomes = make_mailer().deliver_due()
    assert sorted((o.kind, o.recipient, o.state) for o in outcomes) == [
        ("booked", "client", "sent"),
        ("booked", "coach", "sent"),
    ]
    mail = by_recipient(smtp_sink, 2)
    (client,) = mail["a@example.com"]
    (coach,) = mail["x@example.com"]
    assert (
        str(client["Subject"])
        .strip()
        .startswith("Booked: 3 coaching calls with Xavier Coach, from ")
    )
    parts = invites(client)
    assert [m for m, _ in parts] == ["REQUEST"] * 3
    events = [check_invite(m, data) for m, data in parts]
    assert [str(e["UID"]) for e in events] == [f"{c.token}@book.example.org" for c in calls]
    assert [e.decoded("DTSTART") for e in events] == [c.start for c in calls]
    text = str(client.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "Call 1: " in text and "Call 3: " in text and f"{BASE_URL}/appointments/" in text
    # The coach organizes the calls: one notification, no invites.
    assert invites(coach) == []
    assert "Ann Client has booked 3 monthly coaching calls with you." in str(
        coach.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    )
    with db.transaction() as cur:
        cur.execute(
            "SELECT state::text, count(*) FROM mail_outbox WHERE kind = 'booked' GROUP BY 1"
        )
        assert cur.fetchall() == [("sent", 6)]


@pytest.mark.parametrize("from_this", [False, True])
def test_a_series_cancelled_is_one_mail_per_person_with_a_cancel_per_call(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer, from_this: bool
) -> None:
    calls = booking.book_series(db, world.a, world.a, FIRST, 3, now=NOW)
    make_mailer().deliver_due()
    smtp_sink.wait_for(2)
    chosen = calls[1] if from_this else calls[0]
    cancelled = booking.cancel_series(db, world.a, chosen.token, from_this=from_this, now=NOW)
    expected = calls[1:] if from_this else calls
    assert [c.token for c in cancelled] == [c.token for c in expected]
    assert all(c.status == "cancelled" and c.revision == 2 for c in cancelled)
    assert len(make_mailer().deliver_due()) == 2
    mail = by_recipient(smtp_sink, 4)
    client, coach = mail["a@example.com"][1], mail["x@example.com"][1]
    assert str(client["Subject"]).strip().startswith(f"Cancelled: {len(expected)} coaching calls")
    events = [check_invite(m, data) for m, data in invites(client)]
    assert [str(e["UID"]).partition("@")[0] for e in events] == [c.token for c in expected]
    assert all(str(e["STATUS"]) == "CANCELLED" and e.decoded("SEQUENCE") == 2 for e in events)
    assert invites(coach) == []
    if from_this:
        with db.transaction() as cur:
            cur.execute("SELECT status::text FROM appointments WHERE token = %s", (calls[0].token,))
            assert cur.fetchone() == ("booked",)


def test_cancel_series_keeps_the_rules_of_cancel(db: Database, world: World) -> None:
    calls = booking.book_series(db, world.a, world.a, FIRST, 3, now=NOW)
    single = booking.book(db, world.b, world.b, FIRST + timedelta(hours=2), now=NOW)
    late = FIRST - timedelta(hours=23)  # the first call is inside the 24-hour cut-off
    with pytest.raises(errors.InsideCutoff, match="call of"):
        booking.cancel_series(db, world.a, calls[0].token, from_this=False, now=late)
    with pytest.raises(errors.NotYourAppointment):
        booking.cancel_series(db, world.b, calls[0].token, from_this=False, now=NOW)
    with pytest.raises(errors.InvalidSeries, match="not part of a series"):
        booking.cancel_series(db, world.b, single.token, from_this=False, now=NOW)
    with pytest.raises(errors.UnknownAppointment):
        booking.cancel_series(db, world.a, "no-such-call", from_this=False, now=NOW)
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM appointments WHERE status = 'cancelled'")
        assert cur.fetchone() == (0,)
    # Past the client's cut-off the coach may still cancel (as they may a single call).
    assert len(booking.cancel_series(db, world.x, calls[0].token, from_this=False, now=late)) == 3
    with pytest.raises(errors.AlreadyCancelled, match="no calls left"):
        booking.cancel_series(db, world.x, calls[0].token, from_this=False, now=late)


def test_the_page_lists_what_cancel_series_would_cancel(db: Database, world: World) -> None:
    calls = booking.book_series(db, world.a, world.a, FIRST, 3, now=NOW)
    listed = booking.series_calls(db, world.a, calls[1].token, from_this=True, now=NOW)
    assert [c.token for c in listed] == [c.token for c in calls[1:]]
    assert booking.series_calls(db, world.b, calls[1].token, from_this=True, now=NOW) == []


def test_a_batch_is_claimed_and_retried_as_one(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    booking.book_series(db, world.a, world.a, FIRST, 3, now=NOW)
    # Two mailers at once: each claims one person's whole batch; a third finds nothing.
    with db.transaction(now=NOW) as one, db.transaction(now=NOW) as two:
        one.execute("SELECT recipient::text, public_id FROM mail_claim()")
        first = one.fetchall()
        two.execute("SELECT recipient::text, public_id FROM mail_claim()")
        second = two.fetchall()
        with db.transaction(now=NOW) as three:
            three.execute("SELECT * FROM mail_claim()")
            assert three.fetchall() == []
    assert len(first) == 3 and len(second) == 3
    assert {r for r, _ in first} != {r for r, _ in second}
    smtp_sink.refuse("451 4.3.0 try again later")
    (failed, sent) = make_mailer().deliver_due(), make_mailer().deliver_due()
    assert [o.state for o in failed] == ["pending"] and [o.state for o in sent] == ["sent"]
    with db.transaction() as cur:
        cur.execute(
            "SELECT state::text, attempts, next_attempt_at - %s FROM mail_outbox"
            " WHERE recipient = %s AND kind = 'booked'",
            (NOW, failed[0].recipient),
        )
        assert cur.fetchall() == [("pending", 1, timedelta(seconds=30))] * 3
    later = make_mailer(clock=NOW + timedelta(seconds=30)).deliver_due()
    assert [o.state for o in later] == ["sent"]
    assert len(smtp_sink.wait_for(2)) == 2
