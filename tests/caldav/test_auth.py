"""CalDAV sign-in: an email and app password in ``Authorization: Basic``. Odd headers are a 401
with our message (never a 500), and failed app passwords are limited per address-and-IP and
per IP, answered 429 with Retry-After."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.test import Client

from caldav_plugin.service import make_app
from tests.caldav.dav import Login
from tests.lib.support import NOW, World

GUESSER = "198.51.100.11"


def basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def propfind(app: Any, path: str, headers: dict[str, str], remote: str = "127.0.0.1") -> Any:
    return Client(app).open(
        path,
        method="PROPFIND",
        headers={**headers, "Depth": "0"},
        environ_base={"REMOTE_ADDR": remote},
    )


ODD_VALUES = [
    b"",
    b"no-colon-at-all",
    b"x@example.com",
    b"x@example.com:\x00",
    b"x@example.com:secret\x00",
    b"x@example.com\x00:secret",
    b"\x00:\x00",
    b":",
    b":password",
    b"\xff\xfe:\xff",
]
NOT_BASE64 = ["Basic", "Basic ", "Basic !!!not-base64!!!", "Basic \xe9"]


def test_an_odd_basic_value_is_a_401_with_our_message(app: Any, coach: Login) -> None:
    headers = [basic(raw) for raw in ODD_VALUES] + [{"Authorization": v} for v in NOT_BASE64]
    for header in headers:
        response = propfind(app, f"/{coach.slug}/", header)
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Basic realm="), header
        assert "email address and an app password" in response.get_data(as_text=True), header


def test_a_nul_byte_next_to_the_right_app_password_is_refused(app: Any, coach: Login) -> None:
    for raw in (f"{coach.email}:{coach.password}\x00", f"{coach.email}\x00:{coach.password}"):
        assert propfind(app, f"/{coach.slug}/", basic(raw.encode())).status_code == 401
    assert propfind(app, f"/{coach.slug}/", coach.header).status_code == 207


def test_failed_app_passwords_are_limited_per_place(app: Any, coach: Login) -> None:
    wrong = basic(f"{coach.email}:not-the-app-password".encode())
    for _ in range(10):
        assert propfind(app, f"/{coach.slug}/", wrong, GUESSER).status_code == 401
    limited = propfind(app, f"/{coach.slug}/", coach.header, GUESSER)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert "Too many failed sign-ins" in limited.get_data(as_text=True)
    # The owner's calendar app elsewhere carries on.
    assert propfind(app, f"/{coach.slug}/", coach.header, "203.0.113.40").status_code == 207


def test_the_limit_passes_after_its_delay(db_url: str, world: World, coach: Login) -> None:
    def app_at(seconds: int) -> Any:
        clock = NOW.timestamp() + seconds
        iso = type(NOW).fromtimestamp(clock, NOW.tzinfo).isoformat()
        return make_app(db_url, {"storage": {"clock": iso}})

    wrong = basic(f"{coach.email}:not-the-app-password".encode())
    first = app_at(0)
    for _ in range(10):
        assert propfind(first, f"/{coach.slug}/", wrong, GUESSER).status_code == 401
    assert propfind(first, f"/{coach.slug}/", coach.header, GUESSER).status_code == 429
    assert propfind(app_at(60), f"/{coach.slug}/", coach.header, GUESSER).status_code == 207
