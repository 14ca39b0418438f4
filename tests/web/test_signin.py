"""Signing in and out, the session cookie, sign-in limits, changing the password.

The limits are checked and recorded in one transaction, keyed by address-and-IP (a hard stop
for guessing from one place) and, with a short growing delay only, by address alone and by IP
alone: an attacker elsewhere cannot keep an owner out, nor one guesser a whole NAT.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from officehours import accounts, passwords
from tests.lib.support import NOW, World

ATTACKER = "198.51.100.7"
OWNER = "203.0.113.20"


def _form(client: FlaskClient, csrf: Any) -> str:
    page = client.get("/signin")
    assert page.status_code == 200
    return str(csrf(page.text))


def browser_at(app: Flask, remote: str) -> FlaskClient:
    """A browser whose requests come from this IP address."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = remote
    return browser


def attempt(browser: FlaskClient, csrf: Any, email: str, password: str) -> Any:
    """One sign-in through the form; the response."""
    return browser.post(
        "/signin", data={"email": email, "password": password, "csrf_token": _form(browser, csrf)}
    )


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
    response = attempt(client, csrf, "a@example.com", "nope")
    assert response.status_code == 401
    assert 'id="password-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "do not match an account" in response.text
    assert client.get("/book").status_code == 302


def test_guessing_from_one_place_is_stopped_with_retry_after(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    attacker = browser_at(app, ATTACKER)
    for _ in range(5):
        assert attempt(attacker, csrf, "b@example.com", "wrong guess").status_code == 401
    refused = attempt(attacker, csrf, "b@example.com", password)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "Too many failed sign-ins" in refused.text and "1 minute" in refused.text
    # Other accounts from the same place are not stopped by it.
    assert attempt(attacker, csrf, "a@example.com", password).status_code == 303


def test_the_delay_grows_with_each_failure_after_the_limit(
    app_with: Any, world: World, csrf: Any
) -> None:
    waits = []
    at = NOW
    for number in range(9):
        browser = browser_at(app_with(NOW=at), ATTACKER)
        response = attempt(browser, csrf, "b@example.com", "wrong guess")
        if number < 5:
            assert response.status_code == 401
            continue
        # Just before the wait is over: still refused, not checked, and the wait not longer.
        assert response.status_code == 429, number
        waits.append(int(response.headers["Retry-After"]))
        at += timedelta(seconds=waits[-1])
        again = attempt(browser_at(app_with(NOW=at), ATTACKER), csrf, "b@example.com", "x" * 13)
        assert again.status_code == 401
    assert waits == [60, 120, 240, 480]


def test_an_attacker_elsewhere_cannot_keep_the_owner_out(
    app: Flask, world: World, csrf: Any, password: str
) -> None:
    attacker = browser_at(app, ATTACKER)
    for _ in range(5):
        assert attempt(attacker, csrf, "b@example.com", "wrong guess").status_code == 401
    assert attempt(attacker, csrf, "b@example.com", "wrong guess").status_code == 429
    owner = browser_at(app, OWNER)
    assert attempt(owner, csrf, "b@example.com", password).status_code == 303


def test_guesses_from_many_places_only_slow_the_owner_down(
    app_with: Any, world: World, csrf: Any, password: str
) -> None:
    app = app_with()
    for number in range(20):
        bot = browser_at(app, f"192.0.2.{number + 1}")
        assert attempt(bot, csrf, "b@example.com", "wrong guess").status_code == 401
    owner = browser_at(app, OWNER)
    slowed = attempt(owner, csrf, "b@example.com", password)
    assert slowed.status_code == 429
    wait = int(slowed.headers["Retry-After"])
    assert 0 < wait <= 60
    later = browser_at(app_with(NOW=NOW + timedelta(seconds=wait)), OWNER)
    assert attempt(later, csrf, "b@example.com", password).status_code == 303


def test_one_guesser_behind_a_nat_only_slows_the_others_down(
    app_with: Any, world: World, csrf: Any, password: str
) -> None:
    app = app_with()
    office = browser_at(app, ATTACKER)
    for number in range(50):
        email = f"nobody{number}@example.com"
        assert attempt(office, csrf, email, "wrong guess").status_code == 401
    slowed = attempt(office, csrf, "a@example.com", password)
    assert slowed.status_code == 429
    wait = int(slowed.headers["Retry-After"])
    assert 0 < wait <= 60
    later = browser_at(app_with(NOW=NOW + timedelta(seconds=wait)), ATTACKER)
    assert attempt(later, csrf, "a@example.com", password).status_code == 303


def test_concurrent_guesses_are_checked_no_more_than_the_limit(
    app: Flask, world: World, csrf: Any
) -> None:
    browsers = [browser_at(app, ATTACKER) for _ in range(10)]
    tokens = [_form(b, csrf) for b in browsers]
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(browser: FlaskClient, token: str) -> None:
        start.wait()
        response = browser.post(
            "/signin",
            data={"email": "b@example.com", "password": "wrong guess", "csrf_token": token},
        )
        with lock:
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(browsers, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [401] * 5 + [429] * 5


def test_a_good_sign_in_forgets_the_failures_of_that_place(
    client: FlaskClient, world: World, csrf: Any, password: str
) -> None:
    for _ in range(4):
        assert attempt(client, csrf, "b@example.com", "wrong guess").status_code == 401
    assert attempt(client, csrf, "b@example.com", password).status_code == 303
    client.post("/signout", data={"csrf_token": csrf(client.get("/").text)})
    for _ in range(5):
        assert attempt(client, csrf, "b@example.com", "wrong guess").status_code == 401
    assert attempt(client, csrf, "b@example.com", password).status_code == 429


def test_odd_input_at_sign_in_is_refused_with_our_message(
    client: FlaskClient, world: World, csrf: Any, password: str
) -> None:
    # A zero byte anywhere in a form is refused before any view runs (booking_web.forms).
    for email, typed in [("a@example.com\x00", password), ("\x00", password)]:
        response = attempt(client, csrf, email, typed)
        assert response.status_code == 400, (email[:20], len(typed))
        assert "zero byte" in response.text
    cases = [
        ("a@example.com", "\x00"),
        ("a" * 400 + "@example.com", password),
        ("a@example.com", "p" * 60_000),
    ]
    for email, typed in cases:
        response = attempt(client, csrf, email, typed)
        assert response.status_code in (400, 401), (email[:20], len(typed))
        assert "do not match an account" in response.text or "zero byte" in response.text
    assert client.get("/book").status_code == 302


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
            "Your current password is not right.",
        ),
        (
            {"current_password": password, "new_password": "short", "confirm": "short"},
            422,
            "new_password-error",
            "at least 12 characters",
        ),
        (
            {"current_password": password, "new_password": " " * 14, "confirm": " " * 14},
            422,
            "new_password-error",
            "only spaces",
        ),
        (
            {
                "current_password": password,
                "new_password": "password1234",
                "confirm": "password1234",
            },
            422,
            "new_password-error",
            "too easy to guess",
        ),
        (
            {"current_password": password, "new_password": "y" * 12, "confirm": "z" * 12},
            422,
            "confirm-error",
            "not the same",
        ),
    ]
    for form, status, marker, message in cases:
        response = as_a.post("/account/password", data={**form, "csrf_token": token})
        assert response.status_code == status
        assert marker in response.text and message in response.text
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


def test_the_current_password_on_the_account_page_is_checked_under_the_same_limits(
    as_a: FlaskClient, world: World, csrf: Any, password: str
) -> None:
    token = csrf(as_a.get("/account").text)
    new = {"new_password": "a new secret!", "confirm": "a new secret!", "csrf_token": token}
    for _ in range(5):
        wrong = as_a.post("/account/password", data={**new, "current_password": "guess again"})
        assert wrong.status_code == 401
    limited = as_a.post("/account/password", data={**new, "current_password": password})
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.text
    found = accounts.login_lookup(world.db, "a@example.com")
    assert found is not None and passwords.verify_password(found[1], password)
