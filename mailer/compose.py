"""A claimed job as a MIME message: text, HTML, and the iTIP invite twice.

Layout (what Gmail and Outlook send and what calendar apps look for)::

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; method=REQUEST|CANCEL; charset=UTF-8   (the iTIP message itself)
      application/ics; name=invite.ics                       (the same file, to open or save)

The calendar bytes come from ``ics.invite.invite`` and its METHOD from ``ics.invite.method_of``,
so the MIME ``method=`` always matches the METHOD inside; they are base64-encoded so the CRLF
line ends and folding that RFC 5545 requires survive every relay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from ics.invite import invite, method_of
from mailer.job import Job
from mailer.wording import wording
from officehours.settings import uid_domain


@dataclass(frozen=True)
class Composer:
    """Turns jobs into messages for one installation.

    ``base_url`` is the website (links, UID domain); ``mail_from`` the sender, either
    ``addr@host`` or ``Name <addr@host>``.
    """

    base_url: str
    mail_from: str

    @property
    def sender(self) -> str:
        """The bare sender address, for the SMTP envelope."""
        return parseaddr(self.mail_from)[1] or self.mail_from

    @property
    def message_domain(self) -> str:
        """The right-hand side of Message-IDs: the sender's domain."""
        return self.sender.rpartition("@")[2] or uid_domain(self.base_url)

    def message_id(self, job: Job) -> str:
        """The Message-ID of ``job``: derived from the outbox row's public identity only, so
        every attempt of one mail carries the same one and receivers can drop repeats."""
        return f"<{job.public_id}@{self.message_domain}>"

    def compose(self, job: Job, *, now: datetime) -> EmailMessage:
        """Builds the message for ``job``; ``now`` is the Date of a reminder (a change mail is
        dated when the change was made).

        Raises:
            ValueError: if a name, address, zone or URL is unusable in an invite or a header
                (a permanent problem: sending again would fail the same way).
        """
        appointment = job.appointment(self.base_url)
        ics = invite(
            appointment,
            uid_domain=uid_domain(self.base_url),
            tz=job.to.tz,
            now=job.changed_at,
        )
        method = method_of(appointment)
        words = wording(job, self.base_url)

        msg = EmailMessage(policy=SMTP)
        name, address = parseaddr(self.mail_from)
        msg["From"] = Address(display_name=name or "officehours", addr_spec=address)
        msg["To"] = Address(display_name=job.to.name, addr_spec=job.to.email)
        msg["Reply-To"] = Address(display_name=job.other.name, addr_spec=job.other.email)
        msg["Subject"] = words.subject
        msg["Date"] = format_datetime(now if job.kind == "reminder" else job.changed_at)
        msg["Message-ID"] = self.message_id(job)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Officehours-Kind"] = job.kind
        msg.set_content(words.text(), cte="quoted-printable")
        msg.add_alternative(words.html(), subtype="html", cte="quoted-printable")
        msg.add_alternative(
            ics,
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "UTF-8"},
        )
        msg.add_attachment(
            ics,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
        return msg
