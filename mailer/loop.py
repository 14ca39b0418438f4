"""The mailer's main loop: drain the outbox, then sleep until NOTIFY, a poll tick or stop.

The outbox trigger sends ``NOTIFY officehours_mail`` when a change commits, so change mail goes
out at once; the poll interval catches reminders falling due and retries whose backoff ended.
"""

from __future__ import annotations

import logging
import select
import socket
from typing import Any

import psycopg2
import psycopg2.extensions

from mailer import account_mail
from mailer.outbox import Mailer
from officehours import errors, sqlfiles

Q: sqlfiles.Queries = sqlfiles.load(__name__)

log = logging.getLogger(__name__)


class MailLoop:
    """Runs ``mailer`` until :meth:`stop` is called (from any thread or a signal handler)."""

    def __init__(self, mailer: Mailer, database_url: str, *, poll_seconds: float = 5.0) -> None:
        self.mailer = mailer
        self.database_url = database_url
        self.poll_seconds = poll_seconds
        # A plain flag, not a threading.Event: stop() runs in signal handlers, and Event.set()
        # there can deadlock on the lock the interrupted Event.wait() holds (officehours.signals).
        self._stopping = False
        # A socket pair rather than a pipe: writing to a closed socket object fails cleanly,
        # where a closed pipe's file descriptor number may already belong to something else.
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._listener: psycopg2.extensions.connection | None = None

    def stop(self) -> None:
        """Asks the loop to finish the mail in hand and return. Safe in a signal handler."""
        self._stopping = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass  # full (the loop is being woken already) or closed (the loop has ended)

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stopping

    def _listen(self) -> psycopg2.extensions.connection | None:
        """The connection listening for new mail, (re)opened when needed; None when the
        database cannot be reached (the loop then polls)."""
        if self._listener is not None and not self._listener.closed:
            return self._listener
        try:
            conn = psycopg2.connect(self.database_url, application_name="officehours-mailer")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(Q.listen_for_mail)
        except psycopg2.Error as exc:
            log.warning("cannot LISTEN for new mail (polling instead): %s", exc)
            return None
        self._listener = conn
        return conn

    def _wait(self) -> None:
        """Sleeps until a NOTIFY, the poll interval, or stop."""
        listener = self._listen()
        waitables: list[Any] = [self._wake_r]
        if listener is not None:
            waitables.append(listener)
        ready, _, _ = select.select(waitables, [], [], self.poll_seconds)
        if self._wake_r in ready:
            self._wake_r.recv(4096)
        if listener is not None and listener in ready:
            try:
                listener.poll()
                listener.notifies.clear()
            except psycopg2.Error as exc:
                log.warning("lost the LISTEN connection: %s", exc)
                listener.close()

    def _sleep(self) -> None:
        """Sleeps the poll interval, or until stop."""
        ready, _, _ = select.select([self._wake_r], [], [], self.poll_seconds)
        if ready:
            self._wake_r.recv(4096)

    def run(self) -> None:
        """Sends due mail and waits for more, until stopped.

        Database outages, and any other error of a round, are logged and retried at the poll
        interval; they never end the loop.
        """
        self._listen()  # before the first drain, so no NOTIFY falls between the two
        try:
            while not self.stopping:
                try:
                    self.mailer.deliver_due(stop=lambda: self.stopping)
                    account_mail.deliver_due(self.mailer, stop=lambda: self.stopping)
                except (psycopg2.Error, errors.DatabaseUnavailable, errors.Busy) as exc:
                    # The database is down or too busy: wait a poll interval and try again.
                    log.warning("outbox unavailable, retrying in %ss: %s", self.poll_seconds, exc)
                except Exception:
                    # Each mail's own errors are settled in its row (Mailer.deliver_one); this is
                    # for a bug around them, which must not end all mail for everyone.
                    log.exception("a round of mail failed, trying again in %ss", self.poll_seconds)
                if not self.stopping:
                    try:
                        self._wait()
                    except Exception:
                        # Waiting failed (the LISTEN connection went bad in a way psycopg2 did
                        # not report): start it again, and sleep instead of spinning.
                        log.exception("waiting for mail failed, polling instead")
                        if self._listener is not None:
                            self._listener.close()
                        self._sleep()
        finally:
            if self._listener is not None:
                self._listener.close()
            self._wake_r.close()
            self._wake_w.close()
