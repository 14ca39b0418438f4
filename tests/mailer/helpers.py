"""What the mailer tests and their fixtures share: the site's address, the sender, the type
of the ``make_mailer`` fixture, and instants built from the tests' clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from mailer.outbox import Backoff, Mailer
from officehours.db import Database
from tests.lib.support import NOW

BASE_URL = "https://book.example.org"
MAIL_FROM = "Office Hours <hello@example.org>"


def local(days: int, hhmm: str, zone: str) -> datetime:
    """The instant at local time ``hhmm`` in ``zone``, ``days`` after the date of NOW (a Monday),
    so a test's calls keep their weekday and local hour wherever OFFICEHOURS_TEST_NOW moves it."""
    day = NOW.date() + timedelta(days=days)
    return datetime.combine(day, time.fromisoformat(hhmm), ZoneInfo(zone))


def due_on_the_wall_clock(db: Database) -> None:
    """Makes the change mail in the outbox due now by the wall clock, and its reminders never.

    For tests that start a mailer process: it runs on the real clock, while the changes were made
    at NOW, so their mail is due at NOW (one clock), which may be years from today.
    """
    with db.transaction() as cur:
        cur.execute(
            "UPDATE mail_outbox SET due_at = now(), next_attempt_at = now()"
            " WHERE state = 'pending' AND kind <> 'reminder'"
        )
        cur.execute(
            "UPDATE mail_outbox SET next_attempt_at = 'infinity'"
            " WHERE state = 'pending' AND kind = 'reminder'"
        )


class MakeMailer(Protocol):
    """Builds a mailer sending to the test's SMTP sink; ``clock`` freezes the rules' time
    (NOW by default)."""

    def __call__(self, clock: datetime | None = None, backoff: Backoff | None = None) -> Mailer: ...
