"""A new password ends the user's other sessions: on the account page, by an admin, or by the
command line. The session that changed it stays signed in; API tokens are not sessions."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from booking_web import queries
from officehours import accounts, passwords
from officehours.cli import main
from tests.lib.support import World

NEW_PASSWORD = "a brand new passphrase"


def signed_in(app: Flask, csrf: Any, email: str, password: str) -> FlaskClient:
    """A new browser, signed in through the sign-in form."""
    browser = app.test_client()
    form = browser.get("/signin")
    response = browser.post(
        "/signin", data={"email": email, "password": password, "csrf_token": csrf(form.text)}
    )
    assert response.status_code == 303, response.text
    assert_signed_in(browser)
    return browser


def assert_signed_in(browser: FlaskClient) -> None:
    assert browser.get("/account").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200


def assert_signed_out(browser: FlaskClient) -> None:
    page = browser.get("/appointments")
    assert page.status_code == 302
    assert page.headers["Location"] == "/signin?next=/appointments"
    api = browser.get("/api/v1/me")
    assert api.status_code == 401
    assert api.mimetype == "application/problem+json"
    assert api.json is not None and api.json["code"] == "not_signed_in"


def change_password(browser: FlaskClient, csrf: Any, current: str, new: str) -> None:
    token = csrf(browser.get("/account").text)
    response = browser.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.text


def test_changing_the_password_ends_the_other_sessions(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    laptop = signed_in(app, csrf, "a@example.com", password)
    phone = signed_in(app, csrf, "a@example.com", password)
    coach = signed_in(app, csrf, "x@example.com", password)
    phone_csrf = csrf(phone.get("/account").text)

    change_password(laptop, csrf, password, NEW_PASSWORD)

    # The session that changed it carries on, forms included.
    assert "Your password is changed." in laptop.get("/account").text
    assert_signed_in(laptop)
    token = csrf(laptop.get("/account").text)
    made = laptop.post("/account/tokens", data={"label": "Laptop", "csrf_token": token})
    assert made.status_code == 201
    # The other one is signed out, forms included: nothing it posts is done.
    assert_signed_out(phone)
    refused = phone.post("/account/tokens", data={"label": "Phone", "csrf_token": phone_csrf})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/signin")
    assert [t.label for t in queries.credentials(world.db, world.a, "api_token")] == ["Laptop"]
    # And it stays signed out: the stale cookie is emptied, not just refused once.
    assert_signed_out(phone)
    # Other users' sessions are not touched.
    assert_signed_in(coach)

    # The old password no longer signs in; the new one does.
    form = phone.get("/signin")
    old = phone.post(
        "/signin",
        data={"email": "a@example.com", "password": password, "csrf_token": csrf(form.text)},
    )
    assert old.status_code == 401
    signed_in(app, csrf, "a@example.com", NEW_PASSWORD)
    assert_signed_in(laptop)


def test_a_reset_by_an_admin_ends_every_session_but_not_api_tokens(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    _, secret = accounts.create_api_token(world.db, world.a, world.a, "Script")
    first = signed_in(app, csrf, "a@example.com", password)
    second = signed_in(app, csrf, "a@example.com", password)
    admin = signed_in(app, csrf, "admin@example.com", password)

    accounts.set_password_hash(
        world.db, world.admin, world.a, passwords.hash_password(NEW_PASSWORD)
    )

    assert_signed_out(first)
    assert_signed_out(second)
    assert_signed_in(admin)
    me = first.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json is not None and me.json["slug"] == world.a
    signed_in(app, csrf, "a@example.com", NEW_PASSWORD)


def test_a_reset_on_the_command_line_ends_every_session(
    app: Flask,
    world: World,
    db_url: str,
    csrf: Any,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = signed_in(app, csrf, "c@example.com", password)
    second = signed_in(app, csrf, "c@example.com", password)
    other = signed_in(app, csrf, "b@example.com", password)
    monkeypatch.setenv("DATABASE_URL", db_url)

    assert main(["user", "password", "c@example.com", NEW_PASSWORD]) == 0

    assert_signed_out(first)
    assert_signed_out(second)
    assert_signed_in(other)


def test_a_session_without_a_valid_stamp_is_signed_out(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    browser = signed_in(app, csrf, "a@example.com", password)
    with browser.session_transaction() as session:
        stamp = session["stamp"]
        assert isinstance(stamp, str) and len(stamp) == 22
        del session["stamp"]  # a cookie from before sessions were stamped
    assert_signed_out(browser)

    # Another user's stamp does not fit this user, nor does a forged one.
    other = signed_in(app, csrf, "b@example.com", password)
    with other.session_transaction() as session:
        session["user"] = world.a
    assert_signed_out(other)
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["user"] = world.a
        session["stamp"] = stamp[:-1] + ("A" if stamp[-1] != "A" else "B")
    assert_signed_out(forged)
    with forged.session_transaction() as session:
        session["user"] = world.a
        session["stamp"] = stamp
    assert_signed_in(forged)


def test_a_rehash_at_sign_in_keeps_that_session(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)
    accounts.set_password_hash(world.db, None, world.a, weak)
    browser = signed_in(app, csrf, "a@example.com", password)
    found = accounts.login_lookup(world.db, "a@example.com")
    assert found is not None and found[1] != weak
    assert_signed_in(browser)
