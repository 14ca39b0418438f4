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

        Whatever goes wrong with this one mail is recorded in its row and returned, not raised:
        an error while making the message (a stored value it cannot carry, a bug) fails the row
        at once, since trying again would fail the same way, so it never blocks the mail behind
        it; a sending error is retried with backoff unless the server refused the message for
        good. None too, without claiming anything, while :attr:`paused`.

        Raises:
            psycopg2.Error: when the database cannot be reached (nothing was sent then, or the
                mail will be sent again: see the module's note on the at-least-once window).
        """
        if self.paused:
            return None
        now = self.clock() if self.clock else None
        with self.db.transaction(now=now, dict_rows=True) as cur:
            cur.execute(Q.claim_due_mail)
            rows = [dict(row) for row in cur.fetchall()]
            if not rows:
                return None
            # Several rows are one batch (calls changed together): one message, whose identity
            # is the first row's; settling the first row settles the batch.
            columns = rows[0]
            public_id = str(columns["public_id"])
            kind, recipient = str(columns["kind"]), str(columns["recipient"])
            error, give_up = self._attempt(rows, now or datetime.now(UTC))
            if error is None:
                self._server_failures = 0
                cur.execute(Q.mark_mail_sent, (public_id,))
                log.info("sent %s mail %s to the %s", kind, public_id, recipient)
                return Outcome(public_id, kind, recipient, "sent")
            retry_in = self.backoff.after(int(columns["attempts"]) + 1)
            cur.execute(
                Q.record_failed_attempt,
                {
                    "public_id": public_id,
                    "error": error,
                    "retry_in": retry_in,
                    "give_up": give_up,
                },
            )
            settled = cast(dict[str, Any], cur.fetchone())
            state = str(settled["state"])
        log.warning(
            "%s mail %s to the %s: %s (now %s%s)",
            kind,
            public_id,
            recipient,
            error,
            state,
            f", next try in {retry_in}" if state == "pending" else "",
        )
        return Outcome(public_id, kind, recipient, state, error)

    def _attempt(self, rows: list[dict[str, Any]], now: datetime) -> tuple[str | None, bool]:
        """Makes and sends the message of the claimed rows (one, or a batch); returns (error,
        give up): (None, False) when the server accepted it. Raises nothing but what ends the
        process."""
        columns = rows[0]
        try:
            jobs = [Job.from_row(row) for row in rows]
            job = jobs[0]
            msg = (
                self.composer.compose(job, now=now)
                if len(jobs) == 1
                else self.composer.compose_batch(jobs, now=now)
            )
        except Exception as exc:
            # Any error while making one message is that message's alone (a stored value it
            # cannot carry, a bug): it is recorded and given up, and the mailer moves on.
            log.exception("cannot compose %s mail %s", columns.get("kind"), columns["public_id"])
            return describe(exc), True
        try:
            self.transport.send(msg, sender=self.composer.sender, recipient=job.to.email)
        except PermanentError as exc:
            return describe(exc), True
        except ServerUnavailable as exc:
            self._server_failures += 1
            pause = self.backoff.after(self._server_failures)
            self._paused_until = time.monotonic() + pause.total_seconds()
            log.error("cannot open a session with the mail server (pausing %s): %s", pause, exc)
            return describe(exc), False
        except smtplib.SMTPDataError as exc:
            # 5xx after DATA: the server refuses this very message, and always will.
            return describe(exc), exc.smtp_code >= 500
        except (OSError, smtplib.SMTPException) as exc:
            return describe(exc), False
        except Exception as exc:
            # Unforeseen, while talking to the server: it may pass, so it is retried (and
            # given up after max_attempts like any other failure), never fatal to the mailer.
            log.exception("unexpected error sending mail %s", columns["public_id"])
            self.transport.close()
            return describe(exc), False
        return None, False

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


def describe(exc: BaseException) -> str:
    """An exception as the outbox's last_error keeps it: its type and message, with NUL bytes
    written out (PostgreSQL text cannot hold them), whatever its __str__ does."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # an exception whose message cannot be made: its type says enough
        text = type(exc).__name__
    return text.replace("\x00", "\\x00")
