"""With no database to reach, every part answers 503 with Retry-After (never a 500): the
website's pages, the JSON API (problem+json, ``database_unavailable``), /healthz, and CalDAV;
/livez still answers, and nobody is signed out by the outage."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from werkzeug.test import Client

from booking_web import create_app, security
from caldav_plugin.service import make_app
from officehours.db import Database
from tests.core.serving import basic


@pytest.fixture
def unreachable() -> Iterator[str]:
    """A PostgreSQL URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"postgresql://nobody@127.0.0.1:{port}/officehours"


def test_the_website_answers_503_while_its_database_is_unreachable(unreachable: str) -> None:
    db = Database(unreachable)
    app = create_app({"DATABASE": db, "SECRET_KEY": "test secret", "TESTING": True})
    client = app.test_client()

    api = client.get("/api/v1/me", headers={"Authorization": "Bearer oh_anything"})
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["code"] == "database_unavailable"
    assert int(api.headers["Retry-After"]) > 0

    with client.session_transaction() as session:
        session[security.SESSION_KEY] = "a-session-secret"
    page = client.get("/book")
    assert page.status_code == 503
    assert int(page.headers["Retry-After"]) > 0
    text = page.get_data(as_text=True)
    assert "Please try again in a minute" in text and "database_unavailable" in text
    with client.session_transaction() as session:
        assert session.get(security.SESSION_KEY) == "a-session-secret"  # nobody signed out

    health = client.get("/healthz")
    assert health.status_code == 503 and int(health.headers["Retry-After"]) > 0
    assert app.test_client().get("/livez").status_code == 200  # as a supervisor asks: no cookie


def test_caldav_answers_503_while_its_database_is_unreachable(unreachable: str) -> None:
    client = Client(make_app(unreachable))
    answer = client.open(
        "/someone/",
        method="PROPFIND",
        headers={**basic("someone@example.com", "an app password"), "Depth": "0"},
    )
    assert answer.status_code == 503
    assert int(answer.headers["Retry-After"]) > 0
    assert "try again" in answer.get_data(as_text=True)
