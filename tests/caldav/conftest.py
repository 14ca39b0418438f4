"""Fixtures for the CalDAV tests: Radicale with the plugins on the test database.

``dav`` talks to Radicale's WSGI application in-process (fast, still the real Radicale);
``caldav_url`` serves it on a free loopback port for clients that need a socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from caldav_plugin.service import make_app
from officehours import accounts
from officehours.services import WsgiService
from tests.caldav.dav import Dav, Login
from tests.lib.support import NOW, World


def login_for(world: World, slug: str, email: str) -> Login:
    """Makes an app password for ``slug``."""
    _, secret = accounts.create_app_password(world.db, None, slug, "tests")
    return Login(slug, email, secret)


@pytest.fixture
def app(db_url: str, world: World) -> Any:
    """Radicale with the plugins, its rules' clock frozen at NOW."""
    return make_app(db_url, {"storage": {"clock": NOW.isoformat()}})


@pytest.fixture
def coach(world: World) -> Login:
    return login_for(world, world.x, "x@example.com")


@pytest.fixture
def client_a(world: World) -> Login:
    return login_for(world, world.a, "a@example.com")


@pytest.fixture
def dav(app: Any, coach: Login) -> Dav:
    """Requests as coach X."""
    return Dav(app, coach)


@pytest.fixture
def caldav_url(app: Any) -> Iterator[str]:
    """The same Radicale on a free loopback port."""
    service = WsgiService("caldav-test", app, ("127.0.0.1", 0), "CalDAV")
    service.start()
    yield service.url
    service.stop()
