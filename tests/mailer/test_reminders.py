"""Reminders for calls booked or moved late, and never a reminder after the call started.

The rule (``reminder_at`` in sql/definitions/60_mail.sql): a reminder goes out ``reminder_lead``
before the call; a call booked or moved later than that gets its reminder halfway between the
change and the call, when that still leaves at least a quarter of the lead and at least 15
minutes; otherwise the booking or move mail is its only reminder. A reminder that could not go
out before the call started (the mailer or the mail server was down) is dropped when claimed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from officehours import booking
from officehours.db import Database, one
from tests.lib.support import NOW, World
from tests.mailer.helpers import MakeMailer, local
from tests.mailer.sink import SmtpSink

TUE_9_LA = local(1, "09:00", "America/Los_Angeles")  # Tuesday 17:00 UTC
TUE_10_LA = local(1, "10:00", "America/Los_Angeles")
WED_9_LA = local(2, "09:00", "America/Los_Angeles")


def set_rule(db: Database, world: World, name: str, value: str) -> None:
    """Sets a duration rule for coach X."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO business_rules (name, coach_id, duration_value)"
            " SELECT %s, id, %s::interval FROM users WHERE slug = %s",
            (name, value, world.x),
        )


def reminders(db: Database) -> list[tuple[str, datetime, str]]:
    """The reminders of the outbox: (recipient, due_at, state), client first."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT recipient::text, due_at, state::text FROM mail_outbox"
            " WHERE kind = 'reminder' ORDER BY recipient, id"
        )
        return list(cur.fetchall())


def test_a_call_booked_inside_the_lead_is_reminded_halfway(db: Database, world: World) -> None:
    booked_at = TUE_9_LA - timedelta(hours=20)
    booking.book(db, world.a, world.a, TUE_9_LA, now=booked_at)
    halfway = TUE_9_LA - timedelta(hours=10)
    assert reminders(db) == [("client", halfway, "pending"), ("coach", halfway, "pending")]


def test_too_late_for_a_reminder_the_booking_mail_is_the_reminder(
    db: Database, world: World
) -> None:
    set_rule(db, world, "minimum_notice", "1 hour")
    # Halfway would be 1.5 hours before: less than a quarter of the 24-hour lead.
    booking.book(db, world.a, world.a, TUE_9_LA, now=TUE_9_LA - timedelta(hours=3))
    assert reminders(db) == []
    # Exactly a quarter of the lead is left halfway: reminded.
    booking.book(db, world.b, world.b, TUE_10_LA, now=TUE_10_LA - timedelta(hours=12))
    assert [r[1] for r in reminders(db)] == [TUE_10_LA - timedelta(hours=6)] * 2


def test_a_short_lead_still_leaves_fifteen_minutes(db: Database, world: World) -> None:
    set_rule(db, world, "minimum_notice", "10 minutes")
    set_rule(db, world, "reminder_lead", "40 minutes")
    booking.book(db, world.a, world.a, TUE_9_LA, now=TUE_9_LA - timedelta(minutes=29))
    assert reminders(db) == []  # halfway leaves 14.5 minutes
    booking.book(db, world.b, world.b, TUE_10_LA, now=TUE_10_LA - timedelta(minutes=30))
    assert [r[1] for r in reminders(db)] == [TUE_10_LA - timedelta(minutes=15)] * 2


def test_a_call_moved_inside_the_lead_is_reminded_halfway(db: Database, world: World) -> None:
    appt = booking.book(db, world.a, world.a, TUE_9_LA, now=NOW)
    assert [r[1] for r in reminders(db)] == [TUE_9_LA - timedelta(hours=24)] * 2
    moved_at = TUE_10_LA - timedelta(hours=21)
    booking.move(db, world.x, appt.token, TUE_10_LA, now=moved_at)  # the coach: past the cut-off
    halfway = TUE_10_LA - timedelta(hours=10, minutes=30)
    assert [(r[1], r[2]) for r in reminders(db)] == [
        (TUE_9_LA - timedelta(hours=24), "superseded"),
        (halfway, "pending"),
        (TUE_9_LA - timedelta(hours=24), "superseded"),
        (halfway, "pending"),
    ]


def test_the_halfway_reminder_is_sent_when_due(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    booking.book(db, world.a, world.a, TUE_9_LA, now=TUE_9_LA - timedelta(hours=20))
    assert len(make_mailer(clock=TUE_9_LA - timedelta(hours=20)).deliver_due()) == 2
    assert make_mailer(clock=TUE_9_LA - timedelta(hours=10, seconds=1)).deliver_due() == []
    due = make_mailer(clock=TUE_9_LA - timedelta(hours=10)).deliver_due()
    assert sorted((o.kind, o.recipient, o.state) for o in due) == [
        ("reminder", "client", "sent"),
        ("reminder", "coach", "sent"),
    ]


def test_no_reminder_after_the_call_started_even_after_an_outage(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    booking.book(db, world.b, world.b, TUE_9_LA, now=NOW)
    make_mailer(clock=NOW).deliver_due()
    smtp_sink.wait_for(4)
    # The mailer was down from before the reminders fell due until after Tuesday's call began:
    # its reminders are dropped, Wednesday's (late, but before the call) still go out.
    back = TUE_9_LA + timedelta(minutes=1)
    due = make_mailer(clock=back).deliver_due()
    assert sorted((o.kind, o.recipient, o.state) for o in due) == [
        ("reminder", "client", "sent"),
        ("reminder", "coach", "sent"),
    ]
    sent = smtp_sink.wait_for(6)[4:]
    assert {r.rcpt_tos[0] for r in sent} == {"a@example.com", "x@example.com"}
    with db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FILTER (WHERE o.state = 'superseded'), count(*)"
            " FROM mail_outbox o JOIN appointments a ON a.id = o.appointment_id"
            " JOIN users u ON u.id = a.client_id WHERE o.kind = 'reminder' AND u.slug = %s",
            (world.b,),
        )
        assert one(cur) == (2, 2)
    assert make_mailer(clock=back + timedelta(days=1)).deliver_due() == []
