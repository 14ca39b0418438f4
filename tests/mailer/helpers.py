"""What the mailer tests and their fixtures share: the site's address, the sender, and the type
of the ``make_mailer`` fixture."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mailer.outbox import Backoff, Mailer

BASE_URL = "https://book.example.org"
MAIL_FROM = "Office Hours <hello@example.org>"


class MakeMailer(Protocol):
    """Builds a mailer sending to the test's SMTP sink; ``clock`` freezes the rules' time."""

    def __call__(self, clock: datetime | None = None, backoff: Backoff | None = None) -> Mailer: ...
