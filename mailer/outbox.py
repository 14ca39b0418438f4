"""Draining the outbox: claim one due mail, send it, record the outcome, repeat.

Each mail is one database transaction: ``mail_claim()`` locks its row (``FOR UPDATE SKIP
LOCKED``, so any number of mailers on any number of hosts share the work), the SMTP transaction
runs while the lock is held, and ``mail_sent()`` is committed right after the server accepted
the message. If the mailer dies before that commit, PostgreSQL rolls the claim back and the
next mailer sends the mail again, with the same Message-ID.

That leaves one at-least-once window: the server has answered 250 to the message but the
commit has not happened (a crash or a lost database connection in the milliseconds between).
No SMTP client can close it; the stable Message-ID is what lets receivers (and many mail
stores) recognise the repeat. A crash at any other point loses nothing and repeats nothing.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from mailer.compose import Composer
from mailer.job import Job
from mailer.transport import PermanentError, ServerUnavailable, Transport
from officehours import sqlfiles
from officehours.db import Database

Q: sqlfiles.Queries = sqlfiles.load(__name__)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Wait ``base * 2**(attempts-1)`` after a failed attempt, never more than ``cap``."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def after(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1 for the first)."""
        return min(self.base * (2 ** max(attempts - 1, 0)), self.cap)


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed mail."""

    public_id: str
    kind: str
    recipient: str
    state: str
    error: str | None = None


class Mailer:
    """Sends due mail from the outbox of ``db`` through ``transport``.

    ``clock`` gives the time the database rules see (``officehours.now``): None for the real
    time; tests freeze it to make reminders due.

    When no session with the mail server can be opened (:class:`ServerUnavailable`: down,
    untrusted certificate, wrong password, no TLS for the password), the mail in hand is never
    given up for it: it stays pending (unless that was its last attempt), the cause goes into
    its ``last_error`` and the log (as an error), and the mailer then claims nothing for the
    ``backoff`` of its consecutive such failures. Without that pause every queued mail would be
    tried in turn, each one burning an attempt towards ``max_attempts`` (and a wrong password
    would be offered to the server every few seconds, which gets an address banned); with it,
    one attempt is spent per pause, on whichever mail is due first, until the server takes a
    session again, and then everything queued goes out.
    """

    def __init__(
        self,
        db: Database,
        transport: Transport,
        composer: Composer,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.composer = composer
        self.backoff = backoff or Backoff()
        self.clock = clock
        self._server_failures = 0
        self._paused_until = 0.0  # time.monotonic()

    @property
    def paused(self) -> bool:
        """True while the mailer waits after failing to open a session with the server."""
        return time.monotonic() < self._paused_until

    def deliver_one(self) -> Outcome | None:
        """Claims, sends and settles the next due mail; None when nothing is due.

        Send failures are recorded in the outbox (retry, give up) and returned, not raised.
        None too, without claiming anything, while :attr:`paused`.

        Raises:
            psycopg2.Error: when the database cannot be reached (nothing was sent then, or the
                mail will be sent again: see the module's note on the at-least-once window).
        """
        if self.paused:
            return None
        now = self.clock() if self.clock else None
        with self.db.transaction(now=now, dict_rows=True) as cur:
            cur.execute(Q.claim_due_mail)
            row = cur.fetchone()
            if row is None:
                return None
            job = Job.from_row(dict(row))
            error: str | None = None
            give_up = False
            try:
                msg = self.composer.compose(job, now=now or datetime.now(UTC))
                self.transport.send(msg, sender=self.composer.sender, recipient=job.to.email)
            except (ValueError, PermanentError) as exc:
                error, give_up = f"{type(exc).__name__}: {exc}", True
            except ServerUnavailable as exc:
                error = f"{type(exc).__name__}: {exc}"
                self._server_failures += 1
                pause = self.backoff.after(self._server_failures)
                self._paused_until = time.monotonic() + pause.total_seconds()
                log.error("cannot open a session with the mail server (pausing %s): %s", pause, exc)
            except smtplib.SMTPDataError as exc:
                # 5xx after DATA: the server refuses this very message, and always will.
                error, give_up = f"{type(exc).__name__}: {exc}", exc.smtp_code >= 500
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                self._server_failures = 0
                cur.execute(Q.mark_mail_sent, (job.public_id,))
                log.info("sent %s mail %s to the %s", job.kind, job.public_id, job.recipient)
                return Outcome(job.public_id, job.kind, job.recipient, "sent")
            retry_in = self.backoff.after(job.attempts + 1)
            cur.execute(
                Q.record_failed_attempt,
                {
                    "public_id": job.public_id,
                    "error": error,
                    "retry_in": retry_in,
                    "give_up": give_up,
                },
            )
            settled = cast(dict[str, Any], cur.fetchone())
            state = str(settled["state"])
        log.warning(
            "%s mail %s to the %s: %s (now %s%s)",
            job.kind,
            job.public_id,
            job.recipient,
            error,
            state,
            f", next try in {retry_in}" if state == "pending" else "",
        )
        return Outcome(job.public_id, job.kind, job.recipient, state, error)

    def deliver_due(
        self, limit: int = 1000, *, stop: Callable[[], bool] | None = None
    ) -> list[Outcome]:
        """Sends due mail until none is left (or ``limit`` were tried, or an attempt failed in a
        way that may pass: the server is probably away, or ``stop()`` turned true), then closes
        the connection to the mail server.

        Raises:
            psycopg2.Error: as :meth:`deliver_one`.
        """
        outcomes: list[Outcome] = []
        try:
            while len(outcomes) < limit and not (stop and stop()):
                outcome = self.deliver_one()
                if outcome is None:
                    break
                outcomes.append(outcome)
                if outcome.state == "pending":
                    break
        finally:
            self.transport.close()
        return outcomes
