"""Book, move and cancel, then deliver to a real SMTP server: exactly the expected messages."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import vobject

from officehours import booking
from officehours.db import Database, one
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MakeMailer, local
from tests.mailer.sink import SmtpSink

WED_9_LA = local(2, "09:00", "America/Los_Angeles")
THU_10_LA = local(3, "10:00", "America/Los_Angeles")


def calendar_parts(msg: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    """The text/calendar alternative and the .ics attachment of a message."""
    parts = [p for p in msg.walk() if not p.is_multipart()]
    inline = [p for p in parts if p.get_content_type() == "text/calendar"]
    attached = [p for p in parts if p.get_filename() == "invite.ics"]
    assert len(inline) == 1 and len(attached) == 1
    return inline[0], attached[0]


def invite_of(msg: EmailMessage) -> icalendar.Calendar:
    inline, attached = calendar_parts(msg)
    data = inline.get_payload(decode=True)
    assert isinstance(data, bytes) and data == attached.get_payload(decode=True)
    assert vobject.readOne(data.decode()).validate()
    return icalendar.Calendar.from_ical(data)


# libical's iTIP restriction check, run by the system Python (see tests/ics/libical_check.py).
LIBICAL_CHECK = Path(__file__).resolve().parents[1] / "ics" / "libical_check.py"


def libical_report(msg: EmailMessage) -> dict[str, object]:
    inline, _ = calendar_parts(msg)
    data = inline.get_payload(decode=True)
    assert isinstance(data, bytes)
    done = subprocess.run(
        ["/usr/bin/python3", str(LIBICAL_CHECK)],
        input=data,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    return dict(json.loads(done.stdout))


def outbox_states(db: Database) -> list[tuple[str, str, str, int]]:
    with db.transaction() as cur:
        cur.execute("SELECT kind, recipient, state, revision FROM mail_outbox ORDER BY id")
        return list(cur.fetchall())


def test_book_move_cancel_sends_each_side_its_invites(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    appt = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    mailer = make_mailer()
    assert [o.state for o in mailer.deliver_due()] == ["sent", "sent"]
    booking.move(db, world.a, appt.token, THU_10_LA, now=NOW)
    assert [o.state for o in mailer.deliver_due()] == ["sent", "sent"]
    booking.cancel(db, world.x, appt.token, now=NOW)
    assert [o.state for o in mailer.deliver_due()] == ["sent", "sent"]
    assert mailer.deliver_due() == []

    got = smtp_sink.wait_for(6)
    assert len(got) == 6
    assert all(count == 1 for count in smtp_sink.message_ids().values())
    coach = [r for r in got if r.rcpt_tos == ["x@example.com"]]
    assert [r.message["X-Officehours-Kind"] for r in coach] == ["booked", "moved", "cancelled"]
    # The coach organizes the call: notifications, no invites (see tests/mailer/test_imip.py).
    assert all(r.message.get_content_type() == "multipart/alternative" for r in coach)
    for address, zone in (("a@example.com", "Asia/Kolkata"),):
        mine = [r for r in got if r.rcpt_tos == [address]]
        assert [r.message["X-Officehours-Kind"] for r in mine] == ["booked", "moved", "cancelled"]
        uids, sequences, methods = set(), [], []
        for r in mine:
            assert r.mail_from == "hello@example.org"
            inline, _ = calendar_parts(r.message)
            cal = invite_of(r.message)
            method = str(cal["METHOD"])
            assert inline.get_param("method") == method
            assert str(inline.get_param("charset")).upper() == "UTF-8"
            (event,) = cal.walk("VEVENT")
            uids.add(str(event["UID"]))
            sequences.append(int(event.decoded("SEQUENCE")))
            methods.append(method)
            assert str(event["URL"]) == f"{BASE_URL}/appointments/{appt.token}"
            if zone:
                assert event["DTSTART"].params["TZID"] == zone
        assert uids == {f"{appt.token}@book.example.org"}
        assert sequences == [1, 2, 3]
        assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    for r in got:
        if r.rcpt_tos != ["a@example.com"]:
            continue
        report = libical_report(r.message)
        assert report["restriction_ok"] and not report["parse_errors"], report
    last_to_client = [r for r in got if r.rcpt_tos == ["a@example.com"]][-1]
    cancelled = invite_of(last_to_client.message).walk("VEVENT")[0]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    # The four reminders were scheduled, then made out of date by the move and the cancel.
    states = outbox_states(db)
    assert sorted(s for k, _, s, _ in states if k == "reminder") == ["superseded"] * 4
    assert [s for k, _, s, _ in states if k != "reminder"] == ["sent"] * 6


def test_a_rolled_back_change_writes_no_mail(db: Database, world: World) -> None:
    try:
        with db.transaction(world.a, now=NOW) as cur:
            cur.execute("SELECT token FROM book(%s, %s)", (world.a, WED_9_LA))
            raise RuntimeError("the request failed after booking")
    except RuntimeError:
        pass
    assert outbox_states(db) == []


def test_out_of_date_mail_is_superseded_not_sent(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    appt = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    booking.move(db, world.a, appt.token, THU_10_LA, now=NOW)
    outcomes = make_mailer().deliver_due()
    assert [(o.kind, o.state) for o in outcomes] == [("moved", "sent"), ("moved", "sent")]
    for r in smtp_sink.wait_for(2):
        if r.rcpt_tos != ["a@example.com"]:
            continue
        event = invite_of(r.message).walk("VEVENT")[0]
        assert int(event.decoded("SEQUENCE")) == 2
        assert event.decoded("DTSTART").astimezone(UTC) == THU_10_LA


def test_reminders_go_out_at_the_lead_time_and_follow_moves(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    appt = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    booking.move(db, world.a, appt.token, THU_10_LA, now=NOW)
    make_mailer(clock=NOW).deliver_due()
    smtp_sink.wait_for(2)
    before = THU_10_LA - timedelta(hours=24, seconds=1)
    assert make_mailer(clock=before).deliver_due() == []
    due = make_mailer(clock=THU_10_LA - timedelta(hours=24)).deliver_due()
    assert sorted((o.kind, o.recipient) for o in due) == [
        ("reminder", "client"),
        ("reminder", "coach"),
    ]
    reminders = smtp_sink.wait_for(4)[2:]
    for r in reminders:
        assert str(r.message["Subject"]).startswith("Reminder:")
        if r.rcpt_tos != ["a@example.com"]:
            continue
        cal = invite_of(r.message)
        assert str(cal["METHOD"]) == "REQUEST"
        assert int(cal.walk("VEVENT")[0].decoded("SEQUENCE")) == 2


def test_no_reminder_when_turned_off(db: Database, world: World) -> None:
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO business_rules (name, coach_id, duration_value)"
            " SELECT 'reminder_lead', id, INTERVAL '0' FROM users WHERE slug = %s",
            (world.x,),
        )
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    booking.book(db, world.c, world.c, local(1, "09:00", "Europe/London"), now=NOW)
    kinds = [k for k, _, _, _ in outbox_states(db)]
    # Coach Y keeps the 24-hour lead: C's call, 21 hours away, is reminded halfway (see
    # tests/mailer/test_reminders.py); X's clients get none.
    assert kinds.count("reminder") == 2 and kinds.count("booked") == 4


def test_a_temporary_failure_is_retried_with_backoff(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    smtp_sink.refuse("451 4.3.0 try again later")
    clock = NOW
    first = make_mailer(clock=clock).deliver_due()
    assert [(o.state, o.recipient) for o in first] == [("pending", "client")]
    with db.transaction() as cur:
        cur.execute(
            "SELECT attempts, next_attempt_at - %s, last_error FROM mail_outbox"
            " WHERE kind = 'booked' AND recipient = 'client'",
            (clock,),
        )
        attempts, wait, error = one(cur)
    assert attempts == 1 and wait == timedelta(seconds=30) and "451" in error
    # Nothing more for the client until the wait is over; the coach's mail is not held up.
    assert [o.recipient for o in make_mailer(clock=clock).deliver_due()] == ["coach"]
    later = make_mailer(clock=clock + timedelta(seconds=30)).deliver_due()
    assert [(o.state, o.recipient) for o in later] == [("sent", "client")]
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.wait_for(2)) == [
        "a@example.com",
        "x@example.com",
    ]


def test_gives_up_after_max_attempts_and_at_once_on_a_permanent_refusal(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    with db.transaction() as cur:
        cur.execute("UPDATE mail_outbox SET max_attempts = 2 WHERE recipient = 'client'")
    smtp_sink.refuse("451 busy", "451 busy", "451 busy", "554 5.7.1 message refused")
    clock = NOW
    # A temporary failure ends the round: the server is probably away.
    assert [o.recipient for o in make_mailer(clock=clock).deliver_due()] == ["client"]
    assert [o.recipient for o in make_mailer(clock=clock + timedelta(hours=1)).deliver_due()] == [
        "coach"
    ]
    last = make_mailer(clock=clock + timedelta(hours=2)).deliver_due()
    assert [(o.recipient, o.state) for o in last] == [("client", "failed"), ("coach", "failed")]
    with db.transaction() as cur:
        cur.execute(
            "SELECT recipient, attempts, max_attempts, last_error FROM mail_outbox"
            " WHERE state = 'failed' ORDER BY recipient"
        )
        (client, coach) = cur.fetchall()
    assert client[:2] == ("client", 2) and "451" in client[3]
    assert coach[:3] == ("coach", 2, 10) and "554" in coach[3]
    assert smtp_sink.received == []
