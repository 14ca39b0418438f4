"""The browser tests' fixtures: one server and one browser per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from booking_web import create_app
from officehours.db import Database
from officehours.services import WsgiService
from tests.e2e.site import CHROMIUM, CHROMIUM_ARGS, make_world
from tests.lib.support import NOW, World, fresh_database
from tests.mailer.sink import SmtpSink


@pytest.fixture(scope="module")
def site(pg_admin_url: str, template_url: str) -> Iterator[tuple[str, World]]:
    """The website on its own database, served on a free loopback port, for the module."""
    with fresh_database(pg_admin_url, template_url) as url:
        db = Database(url, max_connections=20)
        world = make_world(db)
        config = {"DATABASE": db, "SECRET_KEY": "e2e", "NOW": NOW, "BASE_URL": "http://127.0.0.1"}
        server = WsgiService("web", create_app(config), ("127.0.0.1", 0), "Booking website")
        server.start()
        try:
            yield server.url, world
        finally:
            server.stop()
            db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (scripts/debian-packages.txt lists it)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free loopback port that records what it accepts, for one test."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
