"""The mailer as a service of ``officehours serve``: the main loop in a background thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from mailer.compose import Composer
from mailer.loop import MailLoop
from mailer.outbox import Mailer
from mailer.transport import transport_for
from officehours.db import Database
from officehours.settings import Settings

log = logging.getLogger(__name__)


def build_loop(
    settings: Settings,
    db: Database,
    *,
    poll_seconds: float = 5.0,
    clock: Callable[[], datetime] | None = None,
) -> MailLoop:
    """The mail loop the settings describe (SMTP_URL or the outbox folder); ``clock`` is the
    rules' time for tests (see :class:`mailer.outbox.Mailer`), None for the real time.

    Raises:
        ValueError: if SMTP_URL or OFFICEHOURS_BASE_URL is malformed.
    """
    transport = transport_for(settings.smtp_url, settings.outbox_dir)
    mailer = Mailer(db, transport, Composer(settings.base_url, settings.mail_from), clock=clock)
    return MailLoop(mailer, db.url, poll_seconds=poll_seconds)


class MailerService:
    """Sends the outbox's mail from a thread while ``officehours serve`` runs."""

    name = "mailer"

    def __init__(self, loop: MailLoop) -> None:
        self.loop = loop
        self._thread = threading.Thread(target=self._run, name="mailer", daemon=True)

    def _run(self) -> None:
        try:
            self.loop.run()
        except Exception:
            log.exception("the mailer stopped")
            raise

    def start(self) -> None:
        """Starts the thread; returns at once."""
        self._thread.start()

    def stop(self) -> None:
        """Lets the mail in hand finish, then stops the thread."""
        self.loop.stop()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def describe(self) -> str:
        """One line for the console: where mail goes."""
        return f"mailer {self.loop.mailer.transport.describe()}"


def make_service(settings: Settings, db: Database) -> MailerService:
    """The ``officehours.services`` factory for the mailer.

    Raises:
        ValueError: if SMTP_URL or OFFICEHOURS_BASE_URL is malformed.
    """
    frozen = settings.clock
    # One clock for the rules everywhere: the outbox is stamped with the rules' clock, so the
    # mailer must claim by the same one (OFFICEHOURS_CLOCK, for tests and demos).
    return MailerService(build_loop(settings, db, clock=(lambda: frozen) if frozen else None))
