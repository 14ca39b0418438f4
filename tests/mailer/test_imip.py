"""iMIP (RFC 6047) as calendar apps read it: who an invite is from, which side gets one, and the
names of the development transport's files."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar

from mailer.compose import Composer
from mailer.transport import DirectoryTransport
from officehours import booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MAIL_FROM, MakeMailer, local
from tests.mailer.sink import SmtpSink
from tests.mailer.test_compose import job

WED_9_LA = local(2, "09:00", "America/Los_Angeles")


def calendar_parts(msg: EmailMessage) -> list[EmailMessage]:
    return [p for p in msg.walk() if p.get_content_type() in ("text/calendar", "application/ics")]


def test_the_coach_is_not_invited_to_their_own_call(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    appt = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    make_mailer().deliver_due()
    booking.cancel(db, world.a, appt.token, now=NOW)
    make_mailer().deliver_due()
    got = smtp_sink.wait_for(4)
    coach = [r.message for r in got if r.rcpt_tos == ["x@example.com"]]
    assert [str(m["X-Officehours-Kind"]) for m in coach] == ["booked", "cancelled"]
    for msg in coach:
        # The coach is the ORGANIZER: a REQUEST (or CANCEL) to them would ask them to answer
        # their own invitation. They get a notification; CalDAV holds the event.
        assert calendar_parts(msg) == []
        assert msg.get_content_type() == "multipart/alternative"
        assert msg["Reply-To"].addresses[0].addr_spec == "a@example.com"
        assert msg["From"].addresses[0].display_name == "Office Hours"
        assert msg["Sender"] is None
    client = [r.message for r in got if r.rcpt_tos == ["a@example.com"]]
    for msg, method in zip(client, ("REQUEST", "CANCEL"), strict=True):
        (inline,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        assert inline.get_param("method") == method
        data = inline.get_payload(decode=True)
        assert isinstance(data, bytes)
        organizer = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]["ORGANIZER"]
        assert str(organizer).lower() == "mailto:x@example.com"


def test_an_invite_is_from_its_organizer_via_the_service() -> None:
    msg = Composer(BASE_URL, MAIL_FROM).compose(job(), now=NOW)
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Xavier Coach via Office Hours",
        "hello@example.org",
    )
    assert msg["Sender"].addresses[0].addr_spec == "hello@example.org"
    assert msg["Reply-To"].addresses[0].addr_spec == "x@example.com"
    (inline,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert inline["Content-Type"].params == {"method": "REQUEST", "charset": "utf-8"}


def test_a_bare_sender_address_is_named_officehours() -> None:
    msg = Composer(BASE_URL, "noreply@example.org").compose(job(), now=NOW)
    assert msg["From"].addresses[0].display_name == "Xavier Coach via officehours"


def test_eml_files_sort_by_time_and_never_start_with_a_dash(tmp_path: Path) -> None:
    composer = Composer(BASE_URL, MAIL_FROM)
    transport = DirectoryTransport(tmp_path)
    # Public ids are random (base64url): one may start with '-', and they sort in no time order.
    later = replace(job(), public_id="-later000000000000000", changed_at=NOW + timedelta(hours=1))
    earlier = replace(job(), public_id="zzEarlier000000000000", changed_at=NOW)
    for j in (later, earlier):
        transport.send(composer.compose(j, now=NOW), sender="s@example.org", recipient="r@x.org")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2
    assert all(not n.startswith(("-", ".")) and n.endswith(".eml") for n in names)
    assert "zzEarlier" in names[0] and "-later" in names[1]
    # Writing a message again (a retry) replaces its file.
    transport.send(composer.compose(later, now=NOW), sender="s@example.org", recipient="r@x.org")
    assert sorted(p.name for p in tmp_path.iterdir()) == names
