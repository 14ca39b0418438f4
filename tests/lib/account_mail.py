"""Account mail in tests: send what the account outbox holds through a real SMTP server (the
aiosmtpd sink of tests/mailer/sink.py) and read the link to set a password out of a message."""

from __future__ import annotations

import re
from datetime import datetime

from mailer import account_mail
from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours.db import Database
from tests.mailer.sink import Received, SmtpSink

MAIL_FROM = "officehours <noreply@officehours.test>"
LINK = re.compile(r"https?://[^\s/]+/password/[A-Za-z0-9_-]+")


def deliver(db: Database, sink: SmtpSink, base_url: str, now: datetime) -> list[str]:
    """Sends every due account mail to ``sink`` as the mailer service does, with the rules'
    clock at ``now``; returns the outcomes' states."""
    mailer = Mailer(
        db,
        SmtpTransport(SmtpUrl.parse(sink.url), timeout=10),
        Composer(base_url, MAIL_FROM),
        clock=lambda: now,
    )
    return [outcome.state for outcome in account_mail.deliver_due(mailer)]


def text_of(received: Received) -> str:
    """The plain-text body of a received message."""
    body = received.message.get_body(("plain",))
    assert body is not None, "no text/plain part"
    return str(body.get_content())


def link_in(received: Received) -> str:
    """The one link to set a password in a received message."""
    found = LINK.findall(text_of(received))
    assert len(found) == 1, f"expected one link, found {found}"
    return str(found[0])
