"""Forgot password: the same answer for every address, a mail through a real SMTP server with a
link that works once for an hour, rate limits, and every refusal of a link (unknown, expired,
replaced, used, bad input, no CSRF token) with our message and no change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from officehours import accounts, passwords
from officehours.db import Database
from tests.lib.account_mail import deliver, link_in, text_of
from tests.lib.support import NOW, World
from tests.mailer.sink import SmtpSink
from tests.web.helpers import forget_cookies

BASE_URL = "http://officehours.test"
NEW_PASSWORD = "lantern orchard velvet comet"
SENT = "If an account has this address, we have sent a link"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def ask(client: FlaskClient, csrf: Any, email: str) -> Any:
    """Asks for a link on the forgot-password form; the response."""
    form = client.get("/password/forgot")
    assert form.status_code == 200
    return client.post("/password/forgot", data={"email": email, "csrf_token": csrf(form.text)})


def account_mail_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT u.email, m.kind::text, m.state::text, m.link_secret IS NOT NULL"
            " FROM account_mail m JOIN users u ON u.id = m.user_id ORDER BY m.id"
        )
        return cur.fetchall()


def path_of(link: str) -> str:
    return urlsplit(link).path


def set_password(client: FlaskClient, csrf: Any, path: str, new: str, confirm: str = "") -> Any:
    form = client.get(path)
    token = csrf(form.text) if form.status_code == 200 else csrf(client.get("/signin").text)
    return client.post(
        path, data={"new_password": new, "confirm": confirm or new, "csrf_token": token}
    )


def mailed_link(client: FlaskClient, csrf: Any, world: World, sink: SmtpSink, email: str) -> str:
    """Asks for a link for ``email`` and returns the path of the one mailed."""
    assert ask(client, csrf, email).status_code == 200
    before = len(sink.received)
    assert deliver(world.db, sink, BASE_URL, NOW) == ["sent"]
    return path_of(link_in(sink.wait_for(before + 1)[-1]))


def test_the_link_arrives_works_once_and_ends_other_sessions(
    client: FlaskClient, app: Any, world: World, csrf: Any, login: Any, smtp_sink: SmtpSink
) -> None:
    other = app.test_client()
    login(other, world.a)
    assert other.get("/").status_code == 200
    response = ask(client, csrf, "A@Example.com")
    assert response.status_code == 200 and SENT in response.text
    assert account_mail_rows(world.db) == [("a@example.com", "password_reset", "pending", True)]

    assert deliver(world.db, smtp_sink, BASE_URL, NOW) == ["sent"]
    (message,) = smtp_sink.wait_for(1)
    assert message.rcpt_tos == ["a@example.com"]
    assert message.message["Subject"] == "Set a new officehours password"
    # The expiry in the recipient's own zone (18:30 in Kolkata for the default NOW).
    until = (NOW + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"until {until:%A} {until.day} {until:%B %Y} at {until:%H:%M} (Asia/Kolkata)" in (
        text_of(message)
    )
    # Sent: the secret in clear is gone from the outbox.
    assert account_mail_rows(world.db) == [("a@example.com", "password_reset", "sent", False)]
    path = path_of(link_in(message))

    form = client.get(path)
    assert form.status_code == 200 and "Ann Client" in form.text
    done = set_password(client, csrf, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert "Hello, Ann Client" in client.get("/").text  # this browser is signed in
    assert other.get("/").status_code == 302  # the other session has ended
    assert accounts.login_lookup(world.db, "a@example.com") is not None
    _, stored = accounts.login_lookup(world.db, "a@example.com") or ("", None)
    assert passwords.verify_password(stored, NEW_PASSWORD)

    forget_cookies(client)
    again = client.get(path)
    assert again.status_code == 410 and "used already" in again.text
    assert "/password/forgot" in again.text
    reuse = set_password(client, csrf, path, "another fine phrase of words")
    assert reuse.status_code == 410 and "used already" in reuse.text
    _, still = accounts.login_lookup(world.db, "a@example.com") or ("", None)
    assert still == stored


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    client: FlaskClient, world: World, csrf: Any, smtp_sink: SmtpSink
) -> None:
    known = ask(client, csrf, "b@example.com")
    unknown = ask(client, csrf, "nobody@example.com")
    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text  # the page holds no form, so no token differs
    assert [row[0] for row in account_mail_rows(world.db)] == ["b@example.com"]
    assert deliver(world.db, smtp_sink, BASE_URL, NOW) == ["sent"]
    assert [m.rcpt_tos for m in smtp_sink.wait_for(1)] == [["b@example.com"]]


def test_an_inactive_account_gets_no_mail(client: FlaskClient, world: World, csrf: Any) -> None:
    accounts.set_active(world.db, None, world.c, False, now=NOW)
    assert SENT in ask(client, csrf, "c@example.com").text
    assert account_mail_rows(world.db) == []


def test_asking_too_often_is_refused_with_429(app: Any, world: World, csrf: Any) -> None:
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for _ in range(3):
        assert ask(browser, csrf, "a@example.com").status_code == 200
    refused = ask(browser, csrf, "a@example.com")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "asked for too often" in refused.text
    assert len(account_mail_rows(world.db)) == 3  # nothing done for the refused one
    # The same answer for an address no account has: the limit says nothing about accounts.
    for _ in range(3):
        assert ask(browser, csrf, "ghost@example.com").status_code == 200
    assert ask(browser, csrf, "ghost@example.com").status_code == 429
    # Per place: 20 requests an hour from one IP, whatever the addresses.
    crowd = app.test_client()
    crowd.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for n in range(20):
        assert ask(crowd, csrf, f"someone{n}@example.com").status_code == 200
    assert ask(crowd, csrf, "someone-else@example.com").status_code == 429


def test_bad_addresses_are_refused_with_our_message(
    client: FlaskClient, world: World, csrf: Any
) -> None:
    for bad in ("", "not an address", "a@" + "x" * 400):
        response = ask(client, csrf, bad)
        assert response.status_code == 422, bad
        assert "email address" in response.text
    assert account_mail_rows(world.db) == []


def test_an_expired_link_is_refused(
    client: FlaskClient, app_with: Any, world: World, csrf: Any, smtp_sink: SmtpSink
) -> None:
    path = mailed_link(client, csrf, world, smtp_sink, "a@example.com")
    later = app_with(NOW=NOW + timedelta(minutes=61)).test_client()
    page = later.get(path)
    assert page.status_code == 410 and "expired" in page.text
    assert "/password/forgot" in page.text
    assert set_password(later, csrf, path, NEW_PASSWORD).status_code == 410
    # Still good a minute before the hour is out.
    sooner = app_with(NOW=NOW + timedelta(minutes=59)).test_client()
    assert sooner.get(path).status_code == 200


def test_a_newer_link_replaces_the_older(
    client: FlaskClient, world: World, csrf: Any, smtp_sink: SmtpSink
) -> None:
    first = mailed_link(client, csrf, world, smtp_sink, "a@example.com")
    second = mailed_link(client, csrf, world, smtp_sink, "a@example.com")
    refused = client.get(first)
    assert refused.status_code == 410 and "newer link" in refused.text
    assert client.get(second).status_code == 200


def test_an_unsent_older_mail_is_not_sent(client: FlaskClient, world: World, csrf: Any) -> None:
    ask(client, csrf, "a@example.com")
    ask(client, csrf, "a@example.com")
    assert [row[2:] for row in account_mail_rows(world.db)] == [
        ("superseded", False),
        ("pending", True),
    ]


def test_unknown_and_malformed_links_are_refused(client: FlaskClient, world: World) -> None:
    unknown = client.get("/password/" + "A" * 43)
    assert unknown.status_code == 404 and "not valid" in unknown.text
    assert "/password/forgot" in unknown.text
    assert client.get("/password/" + "A" * 101).status_code == 404
    assert client.get("/password/has%20space").status_code == 404


def test_a_weak_or_mismatched_password_changes_nothing(
    client: FlaskClient, world: World, csrf: Any, smtp_sink: SmtpSink
) -> None:
    path = mailed_link(client, csrf, world, smtp_sink, "a@example.com")
    before = accounts.login_lookup(world.db, "a@example.com")
    weak = set_password(client, csrf, path, "password1234")
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    # Strong but for the name of the account: the policy gets the link user's name and email.
    mine = set_password(client, csrf, path, "AnnClient12345")
    assert mine.status_code == 422
    mismatch = set_password(client, csrf, path, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert mismatch.status_code == 422 and "not the same" in mismatch.text
    too_long = set_password(client, csrf, path, "x" * 300)
    assert too_long.status_code == 422
    assert accounts.login_lookup(world.db, "a@example.com") == before
    assert client.get(path).status_code == 200  # the link still works


def test_posts_without_the_csrf_token_are_refused(
    client: FlaskClient, world: World, csrf: Any, smtp_sink: SmtpSink
) -> None:
    path = mailed_link(client, csrf, world, smtp_sink, "a@example.com")
    forged = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert forged.status_code == 400
    assert client.post("/password/forgot", data={"email": "b@example.com"}).status_code == 400
    assert [row[0] for row in account_mail_rows(world.db)] == ["a@example.com"]
    assert client.get(path).status_code == 200


def test_a_deactivated_users_link_stops_working(
    client: FlaskClient, world: World, csrf: Any, smtp_sink: SmtpSink
) -> None:
    path = mailed_link(client, csrf, world, smtp_sink, "a@example.com")
    accounts.set_active(world.db, None, world.a, False, now=NOW)
    assert client.get(path).status_code == 404


def test_the_sign_in_page_links_to_forgot_password(client: FlaskClient) -> None:
    assert 'href="/password/forgot"' in client.get("/signin").text
