"""The admin's mail page: how many mails are in each state, and the last errors (issue 8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from officehours import booking
from officehours.db import one
from tests.lib.support import NOW, World
from tests.mailer.account_failures import fail_link_mail
from tests.mailer.helpers import local


def fail_next_mail(world: World, error: str, give_up: bool) -> str:
    """Claims the next due mail and records a failed attempt, as the mailer does; its id."""
    with world.db.transaction(now=NOW) as cur:
        cur.execute("SELECT public_id FROM mail_claim()")
        (public_id,) = one(cur)
        cur.execute(
            "SELECT mail_attempt_failed(%s, %s, %s, %s)",
            (public_id, error, timedelta(minutes=5), give_up),
        )
    return str(public_id)


def test_the_mail_page_shows_counts_and_the_last_errors_to_admins_only(
    client: FlaskClient, world: World, login: Any
) -> None:
    booking.book(world.db, world.a, world.a, local(2, "09:00", "America/Los_Angeles"), now=NOW)
    failed = fail_next_mail(
        world, "ValueError: email must be a plain address: 'dot@example.com.'", True
    )
    retried = fail_next_mail(world, "SMTPDataError: (451, b'<try> again')", False)

    login(client, world.admin)
    page = client.get("/admin/mail")
    assert page.status_code == 200
    text = page.text
    # The retried mail waits for its next try and the two reminders for their time: none is due.
    assert "<tr><td>pending, due and not yet sent</td><td>0</td></tr>" in text
    assert "<tr><td>failed in the last 24 hours</td><td>1</td></tr>" in text
    assert "<tr><td>sent in the last 24 hours</td><td>0</td></tr>" in text
    assert failed in text and retried in text
    assert "email must be a plain address: &#39;dot@example.com.&#39;" in text
    assert "b&#39;&lt;try&gt; again&#39;" in text  # escaped, like every stored text
    assert text.index(retried) < text.index(failed)  # newest first: its next try is later
    assert 'href="/admin/mail"' in client.get("/admin/users").text

    for who in (world.x, world.a):
        login(client, who)
        assert client.get("/admin/mail").status_code == 403


def test_the_mail_page_shows_password_link_mail_but_never_a_secret(
    client: FlaskClient, world: World, login: Any
) -> None:
    failed, retried, secrets = fail_link_mail(world)
    login(client, world.a)
    assert client.get("/admin/mail").status_code == 403
    login(client, world.admin)
    page = client.get("/admin/mail")
    assert page.status_code == 200
    text = page.text
    assert "Password-link mail" in text
    # The welcome mail never tried is due; the retried one waits for its next try.
    assert "<tr><td>pending, due and not yet sent</td><td>1</td></tr>" in text
    assert "<tr><td>failed in the last 24 hours</td><td>1</td></tr>" in text
    assert failed in text and retried in text
    assert "SMTPRecipientsRefused: 550 no such user" in text
    for secret in secrets:
        assert secret not in text
