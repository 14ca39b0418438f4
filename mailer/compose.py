"""Claimed jobs as a MIME message: text, HTML and, for the client, the iTIP invites.

The client's mail about one call (what Gmail and Outlook send and what calendar apps look for)::

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; method=REQUEST|CANCEL; charset=utf-8   (the iTIP message itself)
      application/ics; name=invite.ics                       (the same file, to open or save)

The client's mail about several calls changed together (a series booked or cancelled) has the
alternative of text and HTML, then one ``text/calendar; method=...`` attachment per call: an
iTIP message is about one event (one UID), and Outlook and Gmail read only the first event of
a calendar part, so every call keeps an invite of its own.

The coach's mail is a notification (text and HTML alone). The coach is the invites' ORGANIZER,
and an iTIP REQUEST sent to the organizer asks them to answer their own invitation: Outlook
shows it as a meeting request from themself, Gmail adds a second copy to the coach's Google
calendar. A PUBLISH would be worse: it has the UID of the event the coach's CalDAV calendar
already holds, so Apple Calendar and Outlook either duplicate the event into another calendar or
take it over from the subscribed one. The officehours calendar is where the coach's calls live.

iMIP (RFC 6047 section 2.4) wants the sender of an invite to be its ORGANIZER; the service
cannot send as the coach's address (SPF, DKIM, DMARC), so an invite is ``From: "<coach> via
<service>" <service address>`` with ``Sender:`` the service address and ``Reply-To:`` the coach:
what Google Calendar and Outlook do when they send on behalf of someone.

The calendar bytes come from ``ics.invite.invite`` and its METHOD from ``ics.invite.method_of``,
so the MIME ``method=`` always matches the METHOD inside; they are base64-encoded so the CRLF
line ends and folding that RFC 5545 requires survive every relay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo

from ics.invite import invite, method_of
from mailer.job import Job
from mailer.wording import Wording, series_wording, wording
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
    def service_name(self) -> str:
        """The name the service signs with: the display name of ``mail_from``, or officehours."""
        return parseaddr(self.mail_from)[0] or "officehours"

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
        return self.compose_batch([job], now=now)

    def compose_batch(self, jobs: Sequence[Job], *, now: datetime) -> EmailMessage:
        """Builds the one message about ``jobs``: calls changed together, to one recipient (a
        batch of the outbox), in the order given. Its Message-ID is the first job's.

        Raises:
            ValueError: as :meth:`compose`, and if ``jobs`` is empty.
        """
        if not jobs:
            raise ValueError("a message needs at least one job")
        first = jobs[0]
        # Every invite is made, for the coach too, so that a value an invite cannot carry fails
        # the same way for both sides.
        invites = [self.invite(job) for job in jobs]
        words = (
            wording(first, self.base_url) if len(jobs) == 1 else series_wording(jobs, self.base_url)
        )
        msg = self.headers(first, words, now=now)
        msg.set_content(words.text(), cte="quoted-printable")
        msg.add_alternative(words.html(), subtype="html", cte="quoted-printable")
        if first.recipient != "client":
            return msg
        if len(jobs) == 1:
            ics, method = invites[0]
            msg.add_alternative(
                ics, maintype="text", subtype="calendar", params=calendar_params(method)
            )
            msg.add_attachment(
                ics,
                maintype="application",
                subtype="ics",
                filename="invite.ics",
                params={"name": "invite.ics"},
            )
            return msg
        for job, (ics, method) in zip(jobs, invites, strict=True):
            name = f"call-{job.starts.astimezone(ZoneInfo(job.to.tz)):%Y-%m-%d}.ics"
            msg.add_attachment(
                ics,
                maintype="text",
                subtype="calendar",
                filename=name,
                params=calendar_params(method),
            )
        return msg

    def invite(self, job: Job) -> tuple[bytes, str]:
        """The iTIP message about ``job``'s call, in its recipient's zone, and its METHOD.

        Raises:
            ValueError: as :meth:`compose`.
        """
        appointment = job.appointment(self.base_url)
        ics = invite(
            appointment, uid_domain=uid_domain(self.base_url), tz=job.to.tz, now=job.changed_at
        )
        return ics, method_of(appointment)

    def headers(self, job: Job, words: Wording, *, now: datetime) -> EmailMessage:
        """A message with the headers of ``job``'s mail and no body yet. The client's mail
        carries invites, so it is from the coach (their ORGANIZER) via the service."""
        msg = EmailMessage(policy=SMTP)
        if job.recipient == "client":
            name = f"{job.coach.name} via {self.service_name}"
            msg["From"] = Address(display_name=name, addr_spec=self.sender)
            msg["Sender"] = Address(addr_spec=self.sender)
        else:
            msg["From"] = Address(display_name=self.service_name, addr_spec=self.sender)
        msg["To"] = Address(display_name=job.to.name, addr_spec=job.to.email)
        msg["Reply-To"] = Address(display_name=job.other.name, addr_spec=job.other.email)
        msg["Subject"] = words.subject
        msg["Date"] = format_datetime(now if job.kind == "reminder" else job.changed_at)
        msg["Message-ID"] = self.message_id(job)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Officehours-Kind"] = job.kind
        return msg


def calendar_params(method: str) -> dict[str, str]:
    """The parameters of a ``text/calendar`` part holding an iTIP message with ``method``
    (RFC 6047 section 2.4: the same METHOD as inside)."""
    return {"method": method, "charset": "utf-8"}
