"""Fixtures for the website tests: the Flask app on the test database, users with passwords."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from booking_web import create_app, security
from officehours import accounts, passwords, signin
from officehours.errors import OfficeHoursError
from tests.lib.support import NOW, World

PASSWORD = "correct horse battery"
BASE_URL = "http://officehours.test"


@functools.cache
def password_hash() -> str:
    """One argon2 hash for every test user (hashing is deliberately slow)."""
    return passwords.hash_password(PASSWORD)


def make_app(world: World, **extra: Any) -> Flask:
    """The website on the world's database, with the rules' clock at NOW."""
    for slug in (world.admin, world.x, world.y, world.a, world.b, world.c):
        accounts.set_password_hash(world.db, None, slug, password_hash())
    config = {
        "DATABASE": world.db,
        "SECRET_KEY": "test secret",
        "NOW": NOW,
        "BASE_URL": BASE_URL,
        "CALDAV_URL": "http://dav.officehours.test",
        "TESTING": True,
    }
    config.update(extra)
    return create_app(config)


@pytest.fixture
def app(world: World) -> Flask:
    return make_app(world)


@pytest.fixture
def app_with(world: World) -> Any:
    """Builds the website on the world's database with extra configuration."""
    return functools.partial(make_app, world)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


def sign_in_as(client: FlaskClient, slug: str) -> str:
    """Puts a session of ``slug``, started in the database as signing in does, into the
    client's cookie; returns its CSRF token."""
    app = client.application
    try:
        secret = signin.open_session(app.config["DATABASE"], slug, app.config.get("NOW"))
    except OfficeHoursError:
        secret = secrets.token_urlsafe(32)  # no such active user: it signs no one in
    with client.session_transaction() as session:
        session[security.SESSION_KEY] = secret
        session["csrf"] = f"csrf-{slug}"
    return f"csrf-{slug}"


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a rendered form."""
    found = CSRF_RE.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@pytest.fixture
def password() -> str:
    """Every test user's website password."""
    return PASSWORD


@pytest.fixture
def login() -> Any:
    """``login(client, slug)``: a signed-in session without the password round trip; returns
    the session's CSRF token."""
    return sign_in_as


@pytest.fixture
def csrf() -> Any:
    """``csrf(html)``: the CSRF token of a rendered form."""
    return csrf_of


@pytest.fixture
def as_a(client: FlaskClient, world: World) -> FlaskClient:
    """The test client signed in as client A (of coach X, in Asia/Kolkata)."""
    sign_in_as(client, world.a)
    return client
