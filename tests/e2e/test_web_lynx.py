"""Lynx signs in and books a slot: the site works in a text browser, and the booking is stored.

"If it doesn't work in Lynx, it doesn't work." The keystrokes are what a person types: follow
links by searching for their text, fill the form fields, press Enter on the buttons.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from booking_web import create_app
from officehours import accounts, passwords
from officehours.services import WsgiService
from tests.lib.support import NOW, World

PASSWORD = "correct horse battery"
# Keystrokes of Lynx's command scripts, shared by every Lynx test.
DOWN = "key Down Arrow"
ENTER = "key ^J"
RIGHT = "key Right Arrow"
QUIT = ["key q", "key y"]


@contextmanager
def lynx_site(world: World, *people: str) -> Iterator[str]:
    """The website on a free loopback port, its clock at NOW; ``people`` (slugs) get PASSWORD."""
    hashed = passwords.hash_password(PASSWORD)
    for person in people:
        accounts.set_password_hash(world.db, None, person, hashed)
    config = {
        "DATABASE": world.db,
        "SECRET_KEY": "lynx",
        "NOW": NOW,
        "BASE_URL": "http://127.0.0.1",
    }
    service = WsgiService("web", create_app(config), ("127.0.0.1", 0), "Booking website")
    service.start()
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with lynx_site(world, world.a) as url:
        yield url


def _keys(text: str) -> list[str]:
    return [f"key {'<space>' if ch == ' ' else ch}" for ch in text]


def _sign_in(email: str, password: str = PASSWORD) -> list[str]:
    """The sign-in page: skip link, home link, then the email and password fields."""
    return [DOWN, DOWN, *_keys(email), DOWN, *_keys(password), DOWN, ENTER]


def _follow(text: str) -> list[str]:
    """Search for a link's text (it becomes the current link) and follow it."""
    return ["key /", *_keys(text), ENTER, RIGHT]


def _lynx(url: str, commands: list[str], tmp: Path) -> None:
    if shutil.which("lynx") is None:
        pytest.fail("lynx is not installed (scripts/debian-packages.txt lists it)")
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


def test_lynx_signs_in_and_books(server: str, world: World, tmp_path: Path) -> None:
    commands = [
        *_sign_in("a@example.com"),
        *_follow("Book a call"),
        *_follow("05:30"),
        *_follow("Book this call"),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin", commands, tmp_path)
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT u.slug, lower(a.during), a.status::text FROM appointments a "
            "JOIN users u ON u.id = a.client_id"
        )
        rows: list[Any] = cur.fetchall()
    # 05:30 on Tuesday in Kolkata: the first free slot, 16:00 Monday in Los Angeles.
    assert rows == [(world.a, datetime(2027, 1, 5, 0, 0, tzinfo=UTC), "booked")]


def test_lynx_jumps_to_a_date_and_books(server: str, world: World, tmp_path: Path) -> None:
    commands = [
        *_sign_in("a@example.com"),
        *_follow("Book a call"),
        # The week page: skip link, home link, four menu links, Sign out, then the jump box.
        *([DOWN] * 7), *_keys("2027-01-11"), DOWN, ENTER,
        # Monday 11 January 22:30 in Kolkata: 09:00 in Los Angeles, the week's first slot.
        *_follow("22:30"),
        *_follow("Book this call"),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin", commands, tmp_path)
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT u.slug, lower(a.during), a.status::text FROM appointments a "
            "JOIN users u ON u.id = a.client_id"
        )
        rows: list[Any] = cur.fetchall()
    assert rows == [(world.a, datetime(2027, 1, 11, 17, 0, tzinfo=UTC), "booked")]
