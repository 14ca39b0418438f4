"""Fixtures for the CalDAV tests: Radicale with the plugins on the test database.

``dav`` talks to Radicale's WSGI application in-process (fast, still the real Radicale);
``caldav_url`` serves it on a free loopback port for clients that need a socket.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from caldav_plugin.service import make_app
from officehours import accounts
from officehours.services import WsgiService
from tests.conftest import NOW, World


@dataclass
class Login:
    """A user's CalDAV credentials."""

    slug: str
    email: str
    password: str

    @property
    def header(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.email}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


class Dav:
    """Requests to Radicale as one user."""

    def __init__(self, app: Any, login: Login) -> None:
        self.client = Client(app)
        self.login = login

    def __call__(
        self, method: str, path: str, body: str | bytes | None = None, **headers: str
    ) -> TestResponse:
        sent = {**self.login.header, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if body is not None and "Content-Type" not in sent:
            sent["Content-Type"] = (
                "text/calendar" if method == "PUT" else "application/xml; charset=utf-8"
            )
        return self.client.open(path, method=method, data=body, headers=sent)


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
