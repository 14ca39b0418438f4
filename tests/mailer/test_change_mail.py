"""A call cancelled or moved by the coach or an admin: the mail says who did it and why, and
offers the client a link to book again; a change the reader made says nothing of the kind."""

from __future__ import annotations

from email.message import EmailMessage

from officehours import booking
from officehours.db import Database
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MakeMailer, local
from tests.mailer.sink import SmtpSink

WED_9_LA = local(2, "09:00", "America/Los_Angeles")
THU_10_LA = local(3, "10:00", "America/Los_Angeles")


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_the_client_learns_who_cancelled_why_and_where_to_book_again(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    call = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    later = booking.book(db, world.b, world.b, THU_10_LA, now=NOW)
    booking.cancel(db, world.x, call.token, now=NOW, reason="I am ill <sorry> & away")
    booking.move(db, world.admin, later.token, WED_9_LA, now=NOW)
    mailer = make_mailer()
    assert len(mailer.deliver_due()) == 4  # the booking mails were superseded
    got = smtp_sink.wait_for(4)
    by = {(r.rcpt_tos[0], r.message["X-Officehours-Kind"]): r.message for r in got}

    to_client = text_of(by[("a@example.com", "cancelled")])
    assert "Cancelled by: Xavier Coach, your coach" in to_client
    assert "Reason: I am ill <sorry> & away" in to_client
    assert f"Book another call: {BASE_URL}/book" in to_client
    assert "I am ill &lt;sorry&gt; &amp; away" in html_of(by[("a@example.com", "cancelled")])
    # The coach cancelled it themself: their own mail needs no "by".
    assert "Cancelled by" not in text_of(by[("x@example.com", "cancelled")])

    moved_client = text_of(by[("b@example.com", "moved")])
    assert "Moved by: Ada Admin, an administrator" in moved_client
    assert "Reason: None given" in moved_client
    assert "Book another call" not in moved_client
    assert "Moved by: Ada Admin, an administrator" in text_of(by[("x@example.com", "moved")])


def test_a_client_who_cancels_gets_no_who_or_why(
    db: Database, world: World, smtp_sink: SmtpSink, make_mailer: MakeMailer
) -> None:
    call = booking.book(db, world.a, world.a, WED_9_LA, now=NOW)
    booking.cancel(db, world.a, call.token, now=NOW)
    make_mailer().deliver_due()
    for r in smtp_sink.wait_for(2):
        assert "Cancelled by" not in text_of(r.message)
        assert "Reason:" not in text_of(r.message)
