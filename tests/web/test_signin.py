"""Signing in and out, the session cookie, rate limiting, changing the password."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from officehours import accounts, passwords
from tests.lib.support import NOW, World


def _form(client: FlaskClient, csrf: Any) -> str:
    page = client.get("/signin")
    assert page.status_code == 200
    return str(csrf(page.text))


def test_anonymous_pages_send_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/book")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/book")
    assert client.get("/").headers["Location"] == "/signin"


def test_sign_in_and_out(client: FlaskClient, world: World, csrf: Any, password: str) -> None:
    token = _form(client, csrf)
    response = client.post(
        "/signin",
        data={"email": "A@example.com", "password": password, "csrf_token": token, "next": "/book"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/book"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert "Hello, Ann Client" in home.text
    out = client.post("/signout", data={"csrf_token": csrf(home.text)})
    assert out.status_code == 303
    assert client.get("/").status_code == 302


def test_next_must_be_local(client: FlaskClient, world: World, csrf: Any, password: str) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        response = client.post(
            "/signin",
            data={
                "email": "a@example.com",
                "password": password,
                "csrf_token": _form(client, csrf),
                "next": target,
            },
        )
        assert response.headers["Location"] == "/"
        client.post("/signout", data={"csrf_token": csrf(client.get("/book").text)})


def test_wrong_password_is_refused_next_to_the_field(
    client: FlaskClient, world: World, csrf: Any
) -> None:
    response = client.post(
        "/signin",
        data={"email": "a@example.com", "password": "nope", "csrf_token": _form(client, csrf)},
    )
    assert response.status_code == 401
    assert 'id="password-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "do not match an account" in response.text
    assert client.get("/book").status_code == 302


def test_sign_in_is_rate_limited(
    client: FlaskClient, world: World, csrf: Any, password: str
) -> None:
    token = _form(client, csrf)
    for _ in range(5):
        response = client.post(
            "/signin", data={"email": "b@example.com", "password": "wrong", "csrf_token": token}
        )
        assert response.status_code == 401
    response = client.post(
        "/signin", data={"email": "b@example.com", "password": password, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    # Other accounts are not locked out by it.
    response = client.post(
        "/signin", data={"email": "a@example.com", "password": password, "csrf_token": token}
    )
    assert response.status_code == 303


def test_sign_in_without_csrf_token_is_refused(
    client: FlaskClient, world: World, password: str
) -> None:
    client.get("/signin")
    response = client.post("/signin", data={"email": "a@example.com", "password": password})
    assert response.status_code == 400
    assert "csrf_failed" in response.text
    assert client.get("/book").status_code == 302


def test_deactivated_user_is_signed_out(as_a: FlaskClient, world: World) -> None:
    assert as_a.get("/book").status_code == 200
    accounts.set_active(world.db, None, world.a, False, now=NOW)
    assert as_a.get("/book").status_code == 302


def test_change_password(as_a: FlaskClient, world: World, csrf: Any, password: str) -> None:
    token = csrf(as_a.get("/account").text)
    cases = [
        (
            {"current_password": "wrong", "new_password": "x" * 12, "confirm": "x" * 12},
            401,
            "current_password-error",
        ),
        (
            {"current_password": password, "new_password": "short", "confirm": "short"},
            422,
            "new_password-error",
        ),
        (
            {"current_password": password, "new_password": "y" * 12, "confirm": "z" * 12},
            422,
            "confirm-error",
        ),
    ]
    for form, status, marker in cases:
        response = as_a.post("/account/password", data={**form, "csrf_token": token})
        assert response.status_code == status
        assert marker in response.text
    response = as_a.post(
        "/account/password",
        data={
            "current_password": password,
            "new_password": "a new secret!",
            "confirm": "a new secret!",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    found = accounts.login_lookup(world.db, "a@example.com")
    assert found is not None and passwords.verify_password(found[1], "a new secret!")
