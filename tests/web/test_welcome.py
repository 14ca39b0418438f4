"""Welcome mail: an account an admin makes without a password (the Users page, or `officehours
user add` without --password) is mailed a link to choose one, valid for the welcome_link_valid
rule (7 days by default); the admin sends it again from the user's page, and the older link stops
working. No account needs the command line to sign in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from officehours import accounts, errors
from officehours.cli import main
from officehours.db import Database
from tests.lib.account_mail import deliver, link_in
from tests.lib.support import NOW, World
from tests.mailer.sink import SmtpSink

BASE_URL = "http://officehours.test"
NEW_PASSWORD = "lantern orchard velvet comet"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def welcome_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT u.email, m.kind::text, m.state::text, l.expires_at - l.created_at"
            " FROM account_mail m JOIN users u ON u.id = m.user_id"
            " JOIN account_links l ON l.id = m.link_id ORDER BY m.id"
        )
        return cur.fetchall()


def add_account(client: FlaskClient, csrf: Any, email: str, password: str = "") -> Any:
    page = client.get("/admin/users")
    return client.post(
        "/admin/users",
        data={
            "name": "Nia New",
            "email": email,
            "role": "client",
            "time_zone": "Europe/Paris",
            "password": password,
            "csrf_token": csrf(page.text),
        },
    )


def choose(client: FlaskClient, csrf: Any, path: str) -> Any:
    form = client.get(path)
    assert form.status_code == 200, form.text
    return client.post(
        path,
        data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf(form.text)},
    )


def test_an_account_made_without_a_password_is_welcomed(
    app: Any, client: FlaskClient, world: World, csrf: Any, login: Any, smtp_sink: SmtpSink
) -> None:
    login(client, world.admin)
    assert add_account(client, csrf, "nia@example.com").status_code == 303
    assert welcome_rows(world.db) == [("nia@example.com", "welcome", "pending", timedelta(days=7))]
    assert deliver(world.db, smtp_sink, BASE_URL, NOW) == ["sent"]
    (message,) = smtp_sink.wait_for(1)
    assert message.rcpt_tos == ["nia@example.com"]
    path = urlsplit(link_in(message)).path

    newcomer = app.test_client()
    done = choose(newcomer, csrf, path)
    assert done.status_code == 303
    assert "Hello, Nia New" in newcomer.get("/").text
    assert newcomer.get(path).status_code == 410


def test_an_account_made_with_a_password_gets_no_welcome(
    client: FlaskClient, world: World, csrf: Any, login: Any
) -> None:
    login(client, world.admin)
    assert add_account(client, csrf, "pat@example.com", NEW_PASSWORD).status_code == 303
    assert welcome_rows(world.db) == []


def test_a_refused_account_is_not_welcomed(
    client: FlaskClient, world: World, csrf: Any, login: Any
) -> None:
    login(client, world.admin)
    assert add_account(client, csrf, "a@example.com").status_code == 409  # email_taken
    assert welcome_rows(world.db) == []


def test_the_welcome_link_is_valid_for_the_rule(
    app_with: Any, client: FlaskClient, world: World, csrf: Any, login: Any
) -> None:
    accounts.set_rule(world.db, None, "welcome_link_valid", "2 days")
    login(client, world.admin)
    add_account(client, csrf, "nia@example.com")
    assert welcome_rows(world.db)[0][3] == timedelta(days=2)
    with world.db.transaction() as cur:
        cur.execute("SELECT link_secret FROM account_mail")
        (secret,) = cur.fetchone() or ("",)
    path = f"/password/{secret}"
    assert (
        app_with(NOW=NOW + timedelta(days=2, minutes=-1)).test_client().get(path).status_code == 200
    )
    late = app_with(NOW=NOW + timedelta(days=2)).test_client().get(path)
    assert late.status_code == 410 and "expired" in late.text


@pytest.mark.parametrize("value", ["0", "30 minutes", "31 days"])
def test_the_rule_has_sane_bounds(world: World, value: str) -> None:
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, "welcome_link_valid", value)


def test_the_rule_is_global_only(world: World) -> None:
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, "welcome_link_valid", "3 days", world.x)


def test_the_admin_sends_the_welcome_again_and_the_old_link_stops(
    app: Any, client: FlaskClient, world: World, csrf: Any, login: Any, smtp_sink: SmtpSink
) -> None:
    login(client, world.admin)
    add_account(client, csrf, "nia@example.com")
    deliver(world.db, smtp_sink, BASE_URL, NOW)
    slug = accounts.get_user(world.db, None, "nia@example.com").slug
    page = client.get(f"/admin/users/{slug}")
    assert "valid until" in page.text and "mail sent" in page.text
    again = client.post(
        f"/admin/users/{slug}/password-link",
        data={"kind": "welcome", "csrf_token": csrf(page.text)},
    )
    assert again.status_code == 303
    assert deliver(world.db, smtp_sink, BASE_URL, NOW) == ["sent"]
    first, second = (urlsplit(link_in(m)).path for m in smtp_sink.wait_for(2))
    newcomer = app.test_client()
    stale = newcomer.get(first)
    assert stale.status_code == 410 and "newer link" in stale.text
    assert choose(newcomer, csrf, second).status_code == 303


def test_sending_a_link_is_refused_for_bad_input_and_others(
    client: FlaskClient, world: World, csrf: Any, login: Any
) -> None:
    token = login(client, world.admin)
    bad = client.post(
        f"/admin/users/{world.a}/password-link", data={"kind": "x", "csrf_token": token}
    )
    assert bad.status_code == 400
    no_csrf = client.post(f"/admin/users/{world.a}/password-link", data={"kind": "welcome"})
    assert no_csrf.status_code == 400
    unknown = client.post(
        "/admin/users/nobody-1234/password-link", data={"kind": "welcome", "csrf_token": token}
    )
    assert unknown.status_code == 404
    accounts.set_active(world.db, None, world.c, False, now=NOW)
    inactive = client.post(
        f"/admin/users/{world.c}/password-link", data={"kind": "welcome", "csrf_token": token}
    )
    assert inactive.status_code == 409
    coach = login(client, world.x)
    assert (
        client.post(
            f"/admin/users/{world.a}/password-link", data={"kind": "welcome", "csrf_token": coach}
        ).status_code
        == 403
    )
    assert welcome_rows(world.db) == []


def test_user_add_without_a_password_mails_a_welcome(
    db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    common = ["--name", "Kim Coach", "--role", "coach", "--tz", "Europe/Oslo"]
    assert main(["user", "add", "kim@example.com", *common]) == 0
    assert main(["user", "add", "lee@example.com", *common, "--password", NEW_PASSWORD]) == 0
    capsys.readouterr()
    assert [row[:3] for row in welcome_rows(db)] == [("kim@example.com", "welcome", "pending")]
