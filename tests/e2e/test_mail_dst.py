"""A call moved across the start of US daylight saving time, mailed through a real SMTP server:
the coach (Los Angeles) and the client (Kolkata, no DST) each see the right local times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import icalendar
import pytest

from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.sink import SmtpSink

FRI_BEFORE = datetime(2027, 3, 12, 17, 0, tzinfo=UTC)  # 09:00 PST, 22:30 IST
MON_AFTER = datetime(2027, 3, 15, 16, 0, tzinfo=UTC)  # 09:00 PDT, 21:30 IST


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def raw_invite(msg: EmailMessage) -> str:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data.decode()


def test_move_across_dst_names_each_sides_local_time(
    db: Database, world: World, smtp_sink: SmtpSink
) -> None:
    mailer = Mailer(
        db,
        SmtpTransport(SmtpUrl.parse(smtp_sink.url)),
        Composer("https://book.example.org", "hello@example.org"),
    )
    appt = booking.book(db, world.a, world.a, FRI_BEFORE, now=NOW)
    mailer.deliver_due()
    booking.move(db, world.a, appt.token, MON_AFTER, now=NOW)
    mailer.deliver_due()
    got = smtp_sink.wait_for(4)
    by = {(r.rcpt_tos[0], str(r.message["X-Officehours-Kind"])): r.message for r in got}

    coach_booked = text_of(by["x@example.com", "booked"])
    assert "Friday 12 March 2027, 09:00\u201310:00 PST (America/Los_Angeles)" in coach_booked
    client_booked = text_of(by["a@example.com", "booked"])
    assert "Friday 12 March 2027, 22:30\u201323:30 IST (Asia/Kolkata)" in client_booked

    coach_moved = by["x@example.com", "moved"]
    assert "Mon 15 Mar 2027 09:00 PDT" in str(coach_moved["Subject"])
    text = text_of(coach_moved)
    assert "New time: Monday 15 March 2027, 09:00\u201310:00 PDT (America/Los_Angeles)" in text
    assert "Was: Friday 12 March 2027, 09:00\u201310:00 PST (America/Los_Angeles)" in text
    client_moved = text_of(by["a@example.com", "moved"])
    assert "New time: Monday 15 March 2027, 21:30\u201322:30 IST (Asia/Kolkata)" in client_moved
    assert "Was: Friday 12 March 2027, 22:30\u201323:30 IST (Asia/Kolkata)" in client_moved

    coach_ics = raw_invite(coach_moved)
    assert "DTSTART;TZID=America/Los_Angeles:20270315T090000" in coach_ics
    assert "BEGIN:DAYLIGHT" in coach_ics and "TZID:America/Los_Angeles" in coach_ics
    client_ics = raw_invite(by["a@example.com", "moved"])
    assert "DTSTART;TZID=Asia/Kolkata:20270315T213000" in client_ics
    assert "TZID:Asia/Kolkata" in client_ics
    for ics in (coach_ics, client_ics):
        (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
        assert event.decoded("DTSTART").astimezone(UTC) == MON_AFTER
        assert int(event.decoded("SEQUENCE")) == 2
