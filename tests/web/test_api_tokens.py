"""The JSON API's bearer tokens: odd values are a 401 with our message, and failures are
limited per IP with a growing delay (429 with Retry-After)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from officehours import accounts
from tests.lib.support import NOW, World
from tests.web.helpers import json_of

GUESSER = "198.51.100.9"


def from_address(app: Flask, remote: str) -> FlaskClient:
    """A client whose requests come from this IP address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    return client


def token_of(world: World, slug: str) -> str:
    return accounts.create_api_token(world.db, None, slug, "t")[1]


ODD_HEADERS = [
    "Bearer oh_\x00",
    "Bearer \x00",
    "Bearer oh_abc\x00def",
    "Bearer " + "x" * 5000,
    "Bearer oh_" + "\xe9" * 43,
    "Bearer",
    "Bearer   ",
    "Basic YTpi",
    "bearer",
]


def test_an_odd_bearer_value_is_a_401_with_our_message(client: FlaskClient, world: World) -> None:
    for header in ODD_HEADERS:
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header[:20]
        assert response.mimetype == "application/problem+json"
        body = json_of(response)
        assert body["code"] == "not_signed_in"
        assert "token" in body["detail"]


def test_a_nul_byte_next_to_a_good_token_is_refused(client: FlaskClient, world: World) -> None:
    secret = token_of(world, world.a)
    for header in (f"Bearer {secret}\x00", f"Bearer \x00{secret}"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )


def test_failed_tokens_are_limited_per_ip_with_a_growing_delay(app_with: Any, world: World) -> None:
    secret = token_of(world, world.a)
    app: Flask = app_with()
    guesser = from_address(app, GUESSER)
    elsewhere = from_address(app, "203.0.113.30")
    for number in range(20):
        wrong = guesser.get("/api/v1/me", headers={"Authorization": f"Bearer oh_wrong{number}"})
        assert wrong.status_code == 401
    limited = guesser.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert json_of(limited)["code"] == "too_many_attempts"
    wait = int(limited.headers["Retry-After"])
    assert 0 < wait <= 60
    # Another address is not affected, and the limit passes.
    assert (
        elsewhere.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    later = from_address(app_with(NOW=NOW + timedelta(seconds=wait)), GUESSER)
    assert later.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
