"""A call moved across the start of US daylight saving time, mailed through a real SMTP server:
the coach (Los Angeles) and the client (Kolkata, no DST) each see the right local times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar

from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.sink import SmtpSink

LA = ZoneInfo("America/Los_Angeles")


def spring_forward(after: datetime) -> date:
    """The first day after ``after`` on which Los Angeles' clocks jump forward (a Sunday)."""
    day = after.date()
    while True:
        day += timedelta(days=1)
        noon, day_before = (datetime.combine(d, time(12), LA) for d in (day, day - timedelta(1)))
        if (noon.utcoffset() or timedelta()) > (day_before.utcoffset() or timedelta()):
            return day


# The Friday before and the Monday after the next start of US daylight saving time, each at
# 09:00 in Los Angeles (PST, then PDT): 22:30 and 21:30 in Kolkata, which has no DST. The rules'
# clock is the Monday noon (UTC) before, whatever the date of NOW: the horizon is 90 days.
SUNDAY = spring_forward(NOW)
FRI_BEFORE = datetime.combine(SUNDAY - timedelta(days=2), time(9), LA)
MON_AFTER = datetime.combine(SUNDAY + timedelta(days=1), time(9), LA)
BOOKED_AT = datetime.combine(SUNDAY - timedelta(days=6), time(12), UTC)


def day_text(at: datetime) -> str:
    """A date as the mails write it: ``Friday 12 March 2027``."""
    return f"{at:%A} {at.day} {at:%B %Y}"


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
        clock=lambda: BOOKED_AT,
    )
    appt = booking.book(db, world.a, world.a, FRI_BEFORE, now=BOOKED_AT)
    mailer.deliver_due()
    booking.move(db, world.a, appt.token, MON_AFTER, now=BOOKED_AT)
    mailer.deliver_due()
    got = smtp_sink.wait_for(4)
    by = {(r.rcpt_tos[0], str(r.message["X-Officehours-Kind"])): r.message for r in got}

    fri, mon = day_text(FRI_BEFORE), day_text(MON_AFTER)
    coach_booked = text_of(by["x@example.com", "booked"])
    assert f"{fri}, 09:00\u201310:00 PST (America/Los_Angeles)" in coach_booked
    client_booked = text_of(by["a@example.com", "booked"])
    assert f"{fri}, 22:30\u201323:30 IST (Asia/Kolkata)" in client_booked

    coach_moved = by["x@example.com", "moved"]
    assert f"{MON_AFTER:%a} {MON_AFTER.day} {MON_AFTER:%b %Y} 09:00 PDT" in str(
        coach_moved["Subject"]
    )
    text = text_of(coach_moved)
    assert f"New time: {mon}, 09:00\u201310:00 PDT (America/Los_Angeles)" in text
    assert f"Was: {fri}, 09:00\u201310:00 PST (America/Los_Angeles)" in text
    client_moved = text_of(by["a@example.com", "moved"])
    assert f"New time: {mon}, 21:30\u201322:30 IST (Asia/Kolkata)" in client_moved
    assert f"Was: {fri}, 22:30\u201323:30 IST (Asia/Kolkata)" in client_moved

    # The coach organizes the call: their mail is a notification, with no invite to answer.
    assert not [p for p in coach_moved.walk() if p.get_content_type() == "text/calendar"]
    client_ics = raw_invite(by["a@example.com", "moved"])
    assert f"DTSTART;TZID=Asia/Kolkata:{MON_AFTER:%Y%m%d}T213000" in client_ics
    assert "TZID:Asia/Kolkata" in client_ics
    for ics in (client_ics,):
        (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
        assert event.decoded("DTSTART").astimezone(UTC) == MON_AFTER
        assert int(event.decoded("SEQUENCE")) == 2
