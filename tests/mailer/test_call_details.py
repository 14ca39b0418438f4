"""How the call happens, in every mail and its invite; the client's note in the coach's mail
only; a change of details mails both sides an updated invite (REQUEST, SEQUENCE + 1), for future
calls only. Delivered to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from officehours import booking, call_details
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.helpers import MakeMailer, local
from tests.mailer.sink import SmtpSink
from tests.mailer.test_delivery import invite_of, libical_report

WED_9_LA = local(2, "09:00", "America/Los_Angeles")
MEET = "https://meet.example.org/xavier?pwd=a1,b2"
NOTE = "I'd like to talk about sleep"


def body_text(msg: EmailMessage) -> tuple[str, str]:
    """The text/plain and text/html bodies of a message, decoded."""
    parts = {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}
    plain, html = parts["text/plain"], parts["text/html"]
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    return str(plain.get_content()), str(html.get_content())


def test_booking_mail_has_the_link_and_only_the_coach_gets_the_note(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    call_details.set_for_coach(db, world.x, world.x, "video", MEET, "Camera optional.", now=NOW)
    call_details.book_with_note(db, world.a, world.a, WED_9_LA, NOTE, now=NOW)
    assert [o.state for o in make_mailer().deliver_due()] == ["sent", "sent"]
    got = {r.rcpt_tos[0]: r.message for r in smtp_sink.wait_for(2)}
    for address in ("a@example.com", "x@example.com"):
        text, html = body_text(got[address])
        assert f"Video call: {MEET}" in text and "Camera optional." in text
        assert MEET in html
    # The client's invite says how the call happens; the coach, the ORGANIZER, gets a
    # notification without one (the call is in their officehours calendar).
    msg = got["a@example.com"]
    event = invite_of(msg).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == MEET and str(event["CONFERENCE"]) == MEET
    assert event["CONFERENCE"].params["FEATURE"] == "VIDEO"
    report = libical_report(msg)
    assert report["restriction_ok"] and not report["parse_errors"], report
    assert not [p for p in got["x@example.com"].walk() if p.get_content_type() == "text/calendar"]
    coach_text, _ = body_text(got["x@example.com"])
    assert f"Note from the client: {NOTE}" in coach_text
    client_text, _ = body_text(got["a@example.com"])
    assert NOTE not in client_text
    assert NOTE not in str(event["DESCRIPTION"])


def test_new_details_mail_an_updated_invite_for_future_calls_only(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    past = booking.book(db, world.b, world.b, local(1, "09:00", "America/Los_Angeles"), now=NOW)
    future = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    make_mailer().deliver_due()
    smtp_sink.wait_for(4)
    later = NOW + timedelta(days=1, hours=6)  # B's call is over, A's is ahead
    assert call_details.set_for_coach(db, world.x, world.x, "phone", "+1 555 0100", None, now=later)
    outcomes = make_mailer(clock=later).deliver_due()
    # Reminders due by then may go out too; the change itself is mailed to both sides once.
    assert sorted((o.kind, o.recipient) for o in outcomes if o.kind != "reminder") == [
        ("updated", "client"),
        ("updated", "coach"),
    ]
    received = smtp_sink.wait_for(4 + len(outcomes))[4:]
    updated = [r for r in received if r.message["X-Officehours-Kind"] == "updated"]
    assert sorted(r.rcpt_tos[0] for r in updated) == ["a@example.com", "x@example.com"]
    for r in updated:
        assert str(r.message["Subject"]).startswith("Updated:")
        assert "Phone: +1 555 0100" in body_text(r.message)[0]
        if r.rcpt_tos[0] == "x@example.com":
            continue  # the coach's notification carries no invite
        cal = invite_of(r.message)
        assert str(cal["METHOD"]) == "REQUEST"
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]).startswith(future.token)
        assert int(event.decoded("SEQUENCE")) == 2
        assert str(event["LOCATION"]) == "+1 555 0100"
        assert str(event["CONFERENCE"]) == "tel:+15550100"
        report = libical_report(r.message)
        assert report["restriction_ok"] and not report["parse_errors"], report
    assert past.token not in "".join(str(r.message) for r in updated)
