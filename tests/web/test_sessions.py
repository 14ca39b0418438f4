"""Sessions live in PostgreSQL, so they end for every copy of the cookie at once: on signing out,
on a new password (on the account page, by an admin, or by the command line), on deactivation,
on "sign out everywhere", and after their idle and absolute lifetimes. The session cookie is
Secure, and HSTS is sent, when the site's base URL is https://."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from booking_web import queries
from officehours import accounts, errors, passwords, signin
from officehours.cli import main
from tests.lib.support import NOW, World

NEW_PASSWORD = "a brand new passphrase"
COOKIE = "officehours_session"


def signed_in(
    app: Flask, csrf: Any, email: str, password: str, base_url: str = "http://localhost"
) -> FlaskClient:
    """A new browser, signed in through the sign-in form."""
    browser = app.test_client()
    form = browser.get("/signin", base_url=base_url)
    response = browser.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": csrf(form.text)},
        base_url=base_url,
    )
    assert response.status_code == 303, response.text
    assert_signed_in(browser, base_url)
    return browser


def assert_signed_in(browser: FlaskClient, base_url: str = "http://localhost") -> None:
    assert browser.get("/account", base_url=base_url).status_code == 200
    assert browser.get("/api/v1/me", base_url=base_url).status_code == 200


def assert_signed_out(browser: FlaskClient) -> None:
    page = browser.get("/appointments")
    assert page.status_code == 302
    assert page.headers["Location"] == "/signin?next=/appointments"
    api = browser.get("/api/v1/me")
    assert api.status_code == 401
    assert api.mimetype == "application/problem+json"
    assert api.json is not None and api.json["code"] == "not_signed_in"


def copy_of(app: Flask, browser: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie (a stolen cookie)."""
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


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


def live_sessions(world: World, slug: str) -> int:
    """How many sessions of this user the database holds."""
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM web_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.slug = %s",
            (slug,),
        )
        row = cur.fetchone()
        assert row is not None
        return int(row[0])


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    browser = signed_in(app, csrf, "a@example.com", password)
    thief = copy_of(app, browser)
    assert_signed_in(thief)
    other = signed_in(app, csrf, "a@example.com", password)  # the same user on a phone

    out = browser.post("/signout", data={"csrf_token": csrf(browser.get("/account").text)})
    assert out.status_code == 303

    assert_signed_out(browser)
    assert_signed_out(thief)
    # Signing out ends this session only: the phone stays signed in.
    assert_signed_in(other)
    assert live_sessions(world, world.a) == 1


def test_sign_out_everywhere_ends_every_session_of_the_user(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    laptop = signed_in(app, csrf, "a@example.com", password)
    phone = signed_in(app, csrf, "a@example.com", password)
    thief = copy_of(app, phone)
    coach = signed_in(app, csrf, "x@example.com", password)

    # Without the form's token nothing happens.
    refused = laptop.post("/account/sessions/end", data={})
    assert refused.status_code == 400
    assert_signed_in(phone)

    token = csrf(laptop.get("/account").text)
    out = laptop.post("/account/sessions/end", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["Location"] == "/signin"

    for browser in (laptop, phone, thief):
        assert_signed_out(browser)
    assert_signed_in(coach)
    assert live_sessions(world, world.a) == 0


def test_an_admin_signs_a_user_out_everywhere_from_the_users_page(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    laptop = signed_in(app, csrf, "a@example.com", password)
    thief = copy_of(app, laptop)
    other = signed_in(app, csrf, "b@example.com", password)
    admin = signed_in(app, csrf, "admin@example.com", password)

    page = admin.get("/admin/users")
    assert f'action="/admin/users/{world.a}/sessions/end"' in page.text
    out = admin.post(f"/admin/users/{world.a}/sessions/end", data={"csrf_token": csrf(page.text)})
    assert out.status_code == 303 and out.headers["Location"] == "/admin/users"
    assert "1 session ended" in admin.get("/admin/users").text

    for browser in (laptop, thief):
        assert_signed_out(browser)
    assert_signed_in(other)
    assert_signed_in(admin)
    assert live_sessions(world, world.a) == 0
    # Only an admin may do it for someone else.
    token = csrf(other.get("/account").text)
    refused = other.post(f"/admin/users/{world.b}/sessions/end", data={"csrf_token": token})
    assert refused.status_code == 403
    assert_signed_in(other)


def test_deactivation_ends_every_session_and_reactivation_brings_none_back(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    browser = signed_in(app, csrf, "b@example.com", password)
    thief = copy_of(app, browser)

    accounts.set_active(world.db, None, world.b, False)
    assert live_sessions(world, world.b) == 0
    accounts.set_active(world.db, None, world.b, True)

    assert_signed_out(browser)
    assert_signed_out(thief)
    signed_in(app, csrf, "b@example.com", password)


def test_changing_the_password_ends_the_other_sessions(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    laptop = signed_in(app, csrf, "a@example.com", password)
    phone = signed_in(app, csrf, "a@example.com", password)
    laptop_copy = copy_of(app, laptop)
    coach = signed_in(app, csrf, "x@example.com", password)
    phone_csrf = csrf(phone.get("/account").text)

    change_password(laptop, csrf, password, NEW_PASSWORD)

    # The browser that changed it carries on (in a new session), forms included.
    assert "Your password is changed." in laptop.get("/account").text
    assert_signed_in(laptop)
    token = csrf(laptop.get("/account").text)
    made = laptop.post("/account/tokens", data={"label": "Laptop", "csrf_token": token})
    assert made.status_code == 201
    # A copy of its cookie taken before the change does not.
    assert_signed_out(laptop_copy)
    # The other one is signed out, forms included: nothing it posts is done.
    assert_signed_out(phone)
    refused = phone.post("/account/tokens", data={"label": "Phone", "csrf_token": phone_csrf})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/signin")
    assert [t.label for t in queries.credentials(world.db, world.a, "api_token")] == ["Laptop"]
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


def test_a_session_id_that_the_database_does_not_hold_signs_no_one_in(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    browser = signed_in(app, csrf, "a@example.com", password)
    with browser.session_transaction() as session:
        sid = session["sid"]
        assert isinstance(sid, str) and len(sid) >= 43
        # The cookie names no user: only the database knows whose session it is.
        assert "user" not in session and world.a not in str(dict(session))
        session["sid"] = sid[:-1] + ("A" if sid[-1] != "A" else "B")
    assert_signed_out(browser)
    # A cookie of the old kind (a slug and no session id) signs no one in either.
    old = app.test_client()
    with old.session_transaction() as session:
        session["user"] = world.a
        session["stamp"] = "x" * 22
    assert_signed_out(old)
    # The database keeps only a hash of the id.
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM web_sessions WHERE secret_hash = sha256(%s::bytea)",
            (sid.encode(),),
        )
        row = cur.fetchone()
        assert row is not None and row[0] == 1


def test_sessions_end_after_a_week_idle_and_after_thirty_days_in_any_case(
    app_with: Any, world: World, csrf: Any, password: str
) -> None:
    app = app_with()
    idle = signed_in(app, csrf, "a@example.com", password)
    busy = signed_in(app, csrf, "b@example.com", password)
    cookies = {"idle": idle.get_cookie(COOKIE), "busy": busy.get_cookie(COOKIE)}

    def later(days: float, who: str) -> FlaskClient:
        browser = app_with(NOW=NOW + timedelta(days=days)).test_client()
        cookie = cookies[who]
        assert cookie is not None
        browser.set_cookie(COOKIE, cookie.value)
        return browser

    # Used every six days, a session lives on; left alone for seven, it ends.
    for day in (6, 12, 18, 24, 29.9):
        assert_signed_in(later(day, "busy"))
    assert_signed_out(later(30.1, "busy"))
    assert_signed_in(later(6.9, "idle"))
    assert_signed_out(later(6.9 + 7.1, "idle"))


def test_a_rehash_at_sign_in_keeps_that_session(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)
    accounts.set_password_hash(world.db, None, world.a, weak)
    browser = signed_in(app, csrf, "a@example.com", password)
    found = accounts.login_lookup(world.db, "a@example.com")
    assert found is not None and found[1] != weak
    assert_signed_in(browser)


def test_the_session_cookie_is_secure_and_hsts_is_sent_under_https(
    app_with: Any, world: World, csrf: Any, password: str
) -> None:
    app = app_with(BASE_URL="https://officehours.test")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    browser = app.test_client()
    page = browser.get("/signin", base_url="https://officehours.test")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = browser.post(
        "/signin",
        data={"email": "a@example.com", "password": password, "csrf_token": csrf(page.text)},
        base_url="https://officehours.test",
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    api = browser.get("/api/v1/me", base_url="https://officehours.test")
    assert api.status_code == 200
    assert api.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_no_secure_cookie_and_no_hsts_under_http(app: Flask, csrf: Any, password: str) -> None:
    assert app.config["BASE_URL"].startswith("http://")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    browser = app.test_client()
    page = browser.get("/signin")
    assert "Strict-Transport-Security" not in page.headers
    response = browser.post(
        "/signin",
        data={"email": "a@example.com", "password": password, "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 303
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_only_the_user_or_an_admin_may_sign_a_user_out_everywhere(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    victim = signed_in(app, csrf, "a@example.com", password)
    with pytest.raises(errors.Forbidden):
        signin.end_sessions(world.db, world.b, world.a, NOW)
    with pytest.raises(errors.Forbidden):
        signin.end_sessions(world.db, world.x, "nobody@example.com", NOW)
    assert_signed_in(victim)
    with pytest.raises(errors.UnknownUser):
        signin.end_sessions(world.db, world.admin, "nobody@example.com", NOW)
    assert signin.end_sessions(world.db, world.admin, "a@example.com", NOW) == 1
    assert_signed_out(victim)


def test_an_address_with_an_international_domain_signs_in_as_typed_either_way(
    app: Flask, csrf: Any, world: World, password: str
) -> None:
    # The address is stored with its domain as A-labels (xn--); its owner types the letters of
    # their own language, on the website and in a calendar app alike.
    slug = accounts.add_user(world.db, None, "Joerg@Bücher.example", "Jörg Client", "client", "UTC")
    accounts.set_password_hash(world.db, None, slug, passwords.hash_password(password))
    _, secret = accounts.create_app_password(world.db, None, slug, "tests")
    for typed in ("joerg@bücher.example", "Joerg@BÜCHER.example", "joerg@xn--bcher-kva.example"):
        signed_in(app, csrf, typed, password)
        assert signin.app_password_user(world.db, typed, secret, "192.0.2.7", NOW) == slug
    with pytest.raises(errors.WrongCredentials):
        signin.password_sign_in(world.db, "joerg@bucher.example", password, "192.0.2.7", NOW)
    # An apostrophe in the local part, a domain in its own letters; and hostile text is refused
    # as a wrong sign-in, never an error of ours.
    other = accounts.add_user(world.db, None, "o'brien@bücher.example", "Ona", "client", "UTC")
    accounts.set_password_hash(world.db, None, other, passwords.hash_password(password))
    signed_in(app, csrf, "O'Brien@bücher.example", password)
    for hostile in ("o'brien@bücher.example\x00", "o'brien@bücher.example\r\nX: y", "'@'"):
        with pytest.raises(errors.WrongCredentials):
            signin.password_sign_in(world.db, hostile, password, "192.0.2.7", NOW)
