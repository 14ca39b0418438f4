"""Account mail: the links that set a password (forgot password, welcome), from their own small
outbox (``account_mail``, written by ``sql/definitions/56_account_links.sql``).

The appointment outbox is tied to the history of calls; this one holds a link per row. The
mail loop drains it after the appointment outbox, with the same transport, sender and backoff
(:class:`mailer.outbox.Mailer`), and the same contract: one transaction per mail, the row
locked (``FOR UPDATE SKIP LOCKED``) while SMTP runs, sent marked right after the server
accepted it. Marking it sent also forgets the link's secret, which the row held only so that
this message could be written.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from html import escape
from typing import Any, cast
from urllib.parse import quote
from zoneinfo import ZoneInfo

from mailer.compose import Composer
from mailer.outbox import Mailer, Outcome, describe
from mailer.transport import PermanentError, ServerUnavailable
from officehours import sqlfiles

Q: sqlfiles.Queries = sqlfiles.load(__name__)

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class AccountJob:
    """One claimed account mail: a link to set the password of one person."""

    public_id: str
    kind: str  # password_reset or welcome
    attempts: int
    secret: str
    expires_at: datetime
    created_at: datetime
    name: str
    email: str
    time_zone: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AccountJob:
        """Builds a job from an ``account_mail_claim()`` row (a dict of its columns)."""
        return cls(
            public_id=row["public_id"],
            kind=row["kind"],
            attempts=row["attempts"],
            secret=row["link_secret"],
            expires_at=row["expires_at"],
            created_at=row["created_at"],
            name=row["name"],
            email=row["email"],
            time_zone=row["time_zone"],
        )

    def url(self, base_url: str) -> str:
        """The link that sets the password."""
        return f"{base_url.rstrip('/')}/password/{quote(self.secret, safe='')}"

    def until(self) -> str:
        """When the link stops working, in the recipient's own zone, named."""
        local = self.expires_at.astimezone(ZoneInfo(self.time_zone))
        return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({self.time_zone})"


def compose(job: AccountJob, composer: Composer) -> EmailMessage:
    """The message of ``job``: plain text and HTML, dated when the link was made.

    Raises:
        ValueError: if the name, address or zone cannot be used in a message (permanent).
    """
    link = job.url(composer.base_url)
    if job.kind == "welcome":
        subject = "Your officehours account: choose a password"
        opening = "An account on officehours was made for you. Choose your password here:"
    else:
        subject = "Set a new officehours password"
        opening = "Someone (we hope you) asked to set a new password for your account. Set it here:"
    closing = (
        f"The link works once, until {job.until()}. "
        "Setting the password signs you out everywhere else."
    )
    ignore = "If you did not expect this mail, ignore it: nothing changes until the link is used."
    text = f"Hello {job.name},\n\n{opening}\n\n{link}\n\n{closing}\n\n{ignore}\n"
    html = (
        f"<p>Hello {escape(job.name)},</p><p>{escape(opening)}</p>"
        f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
        f"<p>{escape(closing)}</p><p>{escape(ignore)}</p>"
    )
    msg = EmailMessage(policy=SMTP)
    name, address = parseaddr(composer.mail_from)
    msg["From"] = Address(display_name=name or "officehours", addr_spec=address)
    msg["To"] = Address(display_name=job.name, addr_spec=job.email)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(job.created_at)
    msg["Message-ID"] = f"<{job.public_id}@{composer.message_domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Officehours-Kind"] = job.kind
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def deliver_one(mailer: Mailer) -> Outcome | None:
    """Claims, sends and settles the next due account mail through ``mailer``'s transport; None
    when nothing is due (or the mailer pauses after failing to reach the server). Errors of the
    one mail are recorded in its row, as :meth:`mailer.outbox.Mailer.deliver_one` does.

    Raises:
        psycopg2.Error, OfficeHoursError: when the database cannot be reached.
    """
    if mailer.paused:
        return None
    now = mailer.clock() if mailer.clock else None
    with mailer.db.transaction(now=now, dict_rows=True) as cur:
        cur.execute(Q.claim_account_mail)
        row = cur.fetchone()
        if row is None:
            return None
        columns = dict(row)
        public_id, kind = str(columns["public_id"]), str(columns["kind"])
        error, give_up = _attempt(mailer, columns)
        if error is None:
            cur.execute(Q.mark_account_mail_sent, {"public_id": public_id})
            log.info("sent %s mail %s", kind, public_id)
            return Outcome(public_id, kind, "user", "sent")
        cur.execute(
            Q.record_failed_account_mail,
            {
                "public_id": public_id,
                "error": error,
                "retry_in": mailer.backoff.after(int(columns["attempts"]) + 1),
                "give_up": give_up,
            },
        )
        settled = cast(dict[str, Any], cur.fetchone())
        state = str(settled["state"])
    log.warning("%s mail %s: %s (now %s)", kind, public_id, error, state)
    return Outcome(public_id, kind, "user", state, error)


def _attempt(mailer: Mailer, columns: dict[str, Any]) -> tuple[str | None, bool]:
    """Makes and sends one message; (error, give up), (None, False) once accepted."""
    try:
        job = AccountJob.from_row(columns)
        msg = compose(job, mailer.composer)
    except Exception as exc:
        # Whatever stops one message being made is that message's alone: given up, not retried.
        log.exception("cannot compose account mail %s", columns["public_id"])
        return describe(exc), True
    try:
        mailer.transport.send(msg, sender=mailer.composer.sender, recipient=job.email)
    except PermanentError as exc:
        return describe(exc), True
    except smtplib.SMTPDataError as exc:
        return describe(exc), exc.smtp_code >= 500
    except (ServerUnavailable, OSError, smtplib.SMTPException) as exc:
        # May pass (the server away, a broken connection): retried with the backoff.
        return describe(exc), False
    return None, False


def deliver_due(
    mailer: Mailer, limit: int = 1000, *, stop: Callable[[], bool] | None = None
) -> list[Outcome]:
    """Sends due account mail until none is left, ``limit`` were tried, one failed in a way that
    may pass, or ``stop()`` turned true; then closes the connection to the mail server.

    Raises:
        psycopg2.Error, OfficeHoursError: as :func:`deliver_one`.
    """
    outcomes: list[Outcome] = []
    try:
        while len(outcomes) < limit and not (stop and stop()):
            outcome = deliver_one(mailer)
            if outcome is None:
                break
            outcomes.append(outcome)
            if outcome.state == "pending":
                break
    finally:
        mailer.transport.close()
    return outcomes
