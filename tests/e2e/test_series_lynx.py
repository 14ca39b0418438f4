"""Lynx cancels a whole monthly series from one of its calls: the links, the confirmation page
and its button work in a text browser, and every call of the series is cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from officehours import booking
from tests.e2e.test_web_lynx import ENTER, QUIT, _follow, _keys, _lynx, _sign_in, lynx_site
from tests.lib.support import NOW, World, moved

WEDNESDAY = moved(datetime.fromisoformat("2027-01-06T17:00:00+00:00"))  # 09:00 in Los Angeles


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with lynx_site(world, world.a) as url:
        yield url


def test_lynx_cancels_the_whole_series(server: str, world: World, tmp_path: Path) -> None:
    calls = booking.book_series(world.db, world.a, world.a, WEDNESDAY, 3, now=NOW)
    commands = [
        *_sign_in("a@example.com"),
        # Go to the second call's page, as a person would open it from My calls or a mail.
        "key g", *_keys(f"{server}/appointments/{calls[1].token}"), ENTER,
        *_follow("Cancel the whole series"),
        *_follow("Yes, cancel 3 calls"),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin", commands, tmp_path)
    with world.db.transaction() as cur:
        cur.execute("SELECT status::text, count(*) FROM appointments GROUP BY 1")
        assert cur.fetchall() == [("cancelled", 3)]
