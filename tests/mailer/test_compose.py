"""The message itself: MIME layout, escaping, headers, words in the reader's zone."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import cast

import pytest

from mailer.compose import Composer
from mailer.job import Job, Kind, Party, Recipient
from mailer.wording import when
from officehours.settings import uid_domain
from tests.mailer.helpers import BASE_URL, MAIL_FROM

START = datetime(2027, 1, 6, 17, 0, tzinfo=UTC)
END = datetime(2027, 1, 6, 18, 0, tzinfo=UTC)
CHANGED = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)


ANN = Party(name="Ann Client", email="a@example.com", tz="Asia/Kolkata")


def job(
    *,
    kind: Kind = "booked",
    recipient: Recipient = "client",
    revision: int = 1,
    client: Party = ANN,
) -> Job:
    return Job(
        public_id="AbCdEfGhIjKlMnOpQrStUv",
        kind=kind,
        recipient=recipient,
        attempts=0,
        token="tOkEn-0123456789_abcdef",
        revision=revision,
        changed_at=CHANGED,
        starts=START,
        ends=END,
        previous_starts=None,
        previous_ends=None,
        coach=Party(name="Xavier Coach", email="x@example.com", tz="America/Los_Angeles"),
        client=client,
    )


def reparse(msg: EmailMessage) -> EmailMessage:
    return cast(EmailMessage, email.message_from_bytes(msg.as_bytes(), policy=email.policy.default))


def test_layout_is_alternative_text_html_calendar_plus_ics_attachment() -> None:
    msg = reparse(Composer(BASE_URL, MAIL_FROM).compose(job(), now=CHANGED))
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar = list(alternative.iter_parts())[2]
    assert calendar.get_param("method") == "REQUEST"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == calendar.get_payload(decode=True)
    data = calendar.get_payload(decode=True)
    assert isinstance(data, bytes) and b"\r\nMETHOD:REQUEST\r\n" in data
    assert msg["Message-ID"] == "<AbCdEfGhIjKlMnOpQrStUv@example.org>"
    assert msg["From"].addresses[0].addr_spec == "hello@example.org"
    assert msg["To"].addresses[0].addr_spec == "a@example.com"
    assert msg["Reply-To"].addresses[0].addr_spec == "x@example.com"
    assert f"{BASE_URL}/appointments/tOkEn-0123456789_abcdef" in str(
        cast(EmailMessage, msg.get_body(("plain",))).get_content()
    )


def test_cancellation_is_method_cancel_everywhere() -> None:
    msg = reparse(
        Composer(BASE_URL, MAIL_FROM).compose(job(kind="cancelled", revision=3), now=CHANGED)
    )
    (calendar,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "CANCEL"
    data = calendar.get_payload(decode=True)
    assert isinstance(data, bytes)
    assert b"METHOD:CANCEL" in data and b"SEQUENCE:3" in data and b"STATUS:CANCELLED" in data
    assert str(msg["Subject"]).startswith("Cancelled:")


def test_user_text_is_escaped_in_html_and_encoded_in_headers() -> None:
    evil = Party(name='Zoë <script>alert("x")</script> & Co', email="a@example.com", tz="UTC")
    msg = reparse(
        Composer(BASE_URL, MAIL_FROM).compose(job(recipient="coach", client=evil), now=CHANGED)
    )
    html = str(cast(EmailMessage, msg.get_body(("html",))).get_content())
    assert "<script>" not in html
    assert "Zoë &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert msg["Reply-To"].addresses[0].display_name == evil.name
    assert "Zoë <script>" in str(msg["Subject"])


def test_each_side_reads_its_own_zone() -> None:
    composer = Composer(BASE_URL, MAIL_FROM)
    coach = reparse(composer.compose(job(recipient="coach"), now=CHANGED))
    client = reparse(composer.compose(job(), now=CHANGED))
    coach_text = str(cast(EmailMessage, coach.get_body(("plain",))).get_content())
    client_text = str(cast(EmailMessage, client.get_body(("plain",))).get_content())
    assert "Wednesday 6 January 2027, 09:00\u201310:00 PST (America/Los_Angeles)" in coach_text
    assert "Wednesday 6 January 2027, 22:30\u201323:30 IST (Asia/Kolkata)" in client_text


def test_when_spans_midnight_and_the_dst_change_itself() -> None:
    night = when(
        datetime(2027, 1, 6, 7, 30, tzinfo=UTC),
        datetime(2027, 1, 6, 8, 30, tzinfo=UTC),
        "America/Los_Angeles",
    )
    assert night == (
        "Tuesday 5 January 2027, 23:30 PST \u2013 Wednesday 6 January 00:30 PST"
        " (America/Los_Angeles)"
    )
    # 01:30 PST, then the clocks jump from 02:00 to 03:00: the call ends at 03:30 PDT.
    jump = when(
        datetime(2027, 3, 14, 9, 30, tzinfo=UTC),
        datetime(2027, 3, 14, 10, 30, tzinfo=UTC),
        "America/Los_Angeles",
    )
    assert jump == "Sunday 14 March 2027, 01:30 PST \u2013 03:30 PDT (America/Los_Angeles)"


def test_an_address_an_invite_cannot_carry_is_a_permanent_error() -> None:
    broken = Party(name="Ann", email="ann@localhost", tz="UTC")
    with pytest.raises(ValueError, match="email"):
        Composer(BASE_URL, MAIL_FROM).compose(job(client=broken), now=CHANGED)


def test_uid_domain_is_the_website_host() -> None:
    assert uid_domain("https://book.example.org:8443/x") == "book.example.org"
    with pytest.raises(ValueError, match="BASE_URL"):
        uid_domain("not a url")
