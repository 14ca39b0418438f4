"""Lynx asks for a new password on the sign-in page, and sets it with the link of the mail that a
real SMTP server received: forgot password works in a text browser, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from booking_web import create_app
from officehours import accounts, passwords
from officehours.services import WsgiService
from tests.e2e.test_web_lynx import DOWN, ENTER, QUIT, _follow, _keys, _lynx
from tests.lib.account_mail import deliver, link_in
from tests.lib.support import NOW, World
from tests.mailer.sink import SmtpSink

NEW_PASSWORD = "lantern orchard velvet comet"


@pytest.fixture
def server(world: World) -> Iterator[str]:
    config = {"DATABASE": world.db, "SECRET_KEY": "lynx", "NOW": NOW, "BASE_URL": "http://x"}
    service = WsgiService("web", create_app(config), ("127.0.0.1", 0), "Booking website")
    service.start()
    try:
        yield service.url
    finally:
        service.stop()


def test_lynx_resets_a_forgotten_password(
    server: str, world: World, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    ask = [
        *_follow("Forgot your password"),
        # The form: skip link, home link, then the email field and the button.
        DOWN, DOWN, *_keys("a@example.com"), DOWN, ENTER,
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin", ask, tmp_path)
    assert deliver(world.db, smtp_sink, "http://x", NOW) == ["sent"]
    (message,) = smtp_sink.wait_for(1)
    link = link_in(message).replace("http://x", server)

    choose = [
        DOWN, DOWN, *_keys(NEW_PASSWORD), DOWN, *_keys(NEW_PASSWORD), DOWN, ENTER,
        *QUIT,
    ]  # fmt: skip
    _lynx(link, choose, tmp_path)
    found = accounts.login_lookup(world.db, "a@example.com")
    assert found is not None and passwords.verify_password(found[1], NEW_PASSWORD)
    with world.db.transaction() as cur:
        cur.execute("SELECT used_at IS NOT NULL FROM account_links")
        assert cur.fetchall() == [(True,)]
