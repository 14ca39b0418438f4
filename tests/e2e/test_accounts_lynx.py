"""Lynx asks for a new password on the sign-in page, and sets it with the link of the mail that a
real SMTP server received: forgot password works in a text browser, end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from booking_web import create_app
from officehours import accounts, passwords
from officehours.services import WsgiService
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


def _keys(text: str) -> list[str]:
    return [f"key {'<space>' if ch == ' ' else ch}" for ch in text]


def _lynx(url: str, commands: list[str], tmp: Path) -> None:
    script = tmp / "keys.txt"
    script.write_text("\n".join(commands) + "\n")
    env = {**os.environ, "TERM": "vt100", "HOME": str(tmp), "LYNX_CFG": "/etc/lynx/lynx.cfg"}
    result = subprocess.run(
        ["lynx", "-nopause", "-accept_all_cookies", "-noreferer", f"-cmd_script={script}",
         "-cookie_file=/dev/null", "-nolog", url],
        env=env, capture_output=True, text=True, timeout=60, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_lynx_resets_a_forgotten_password(
    server: str, world: World, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    if shutil.which("lynx") is None:
        pytest.fail("lynx is not installed (scripts/debian-packages.txt lists it)")
    down, enter, right = "key Down Arrow", "key ^J", "key Right Arrow"
    ask = [
        "key /", *_keys("Forgot your password"), enter, right,
        # The form: skip link, home link, then the email field and the button.
        down, down, *_keys("a@example.com"), down, enter,
        "key q", "key y",
    ]  # fmt: skip
    _lynx(f"{server}/signin", ask, tmp_path)
    assert deliver(world.db, smtp_sink, "http://x", NOW) == ["sent"]
    (message,) = smtp_sink.wait_for(1)
    link = link_in(message).replace("http://x", server)

    choose = [
        down, down, *_keys(NEW_PASSWORD), down, *_keys(NEW_PASSWORD), down, enter,
        "key q", "key y",
    ]  # fmt: skip
    _lynx(link, choose, tmp_path)
    found = accounts.login_lookup(world.db, "a@example.com")
    assert found is not None and passwords.verify_password(found[1], NEW_PASSWORD)
    with world.db.transaction() as cur:
        cur.execute("SELECT used_at IS NOT NULL FROM account_links")
        assert cur.fetchall() == [(True,)]
