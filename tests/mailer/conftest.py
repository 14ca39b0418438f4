"""Fixtures for the mailer: a real SMTP server and a mailer wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from mailer.compose import Composer
from mailer.outbox import Backoff, Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours.db import Database
from tests.lib.support import NOW
from tests.mailer.helpers import BASE_URL, MAIL_FROM, MakeMailer
from tests.mailer.sink import SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free loopback port that records what it accepts."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def make_mailer(db: Database, smtp_sink: SmtpSink) -> MakeMailer:
    """Builds a mailer sending to ``smtp_sink``; ``clock`` freezes the rules' time (NOW unless
    given: a test never runs on the wall clock)."""

    def make(clock: datetime | None = None, backoff: Backoff | None = None) -> Mailer:
        return Mailer(
            db,
            SmtpTransport(SmtpUrl.parse(smtp_sink.url), timeout=10),
            Composer(BASE_URL, MAIL_FROM),
            backoff=backoff,
            clock=lambda: clock or NOW,
        )

    return make


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "outbox"
