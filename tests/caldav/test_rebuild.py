"""Rebuilding a generated appointments calendar renders only the calls that changed: a call
whose source key (revision, times, names, addresses, zones) is the stored one keeps its item,
text and ETag, without being built again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from caldav_plugin import generated
from officehours import booking
from tests.caldav import helpers as h
from tests.caldav.dav import Dav
from tests.caldav.test_bookings import SLOT
from tests.lib.support import NOW, World


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The tokens of the calls whose item text is built, as they are built."""
    seen: list[str] = []
    original = generated._appointment_text

    def counting(row: tuple[Any, ...], uid_domain: str) -> str:
        seen.append(row[0])
        return original(row, uid_domain)

    monkeypatch.setattr(generated, "_appointment_text", counting)
    yield seen


def etags(dav: Dav, cal: str) -> dict[str, str]:
    """href -> ETag of every item of a calendar, by a depth-1 PROPFIND."""
    found = h.etags(dav("PROPFIND", cal, h.propfind("D:getetag"), Depth="1").data)
    return {href: etag for href, etag in found.items() if href != cal}


def test_only_changed_calls_are_rendered_again(dav: Dav, world: World, rendered: list[str]) -> None:
    cal = f"/{world.x}/appointments/"
    first = booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    second = booking.book(world.db, world.b, world.b, SLOT + timedelta(hours=1), now=NOW)
    third = booking.book(world.db, world.a, world.a, SLOT + timedelta(weeks=4), now=NOW)
    before = etags(dav, cal)
    assert sorted(rendered) == sorted([first.token, second.token, third.token])

    rendered.clear()
    booking.cancel(world.db, world.b, second.token, now=NOW)
    after_cancel = etags(dav, cal)
    assert rendered == [], "a cancellation renders nothing again"
    assert after_cancel == {k: v for k, v in before.items() if second.token not in k}

    booking.move(world.db, world.a, third.token, SLOT + timedelta(weeks=4, hours=1), now=NOW)
    after_move = etags(dav, cal)
    assert rendered == [third.token]
    changed = {k for k in after_move if after_move[k] != after_cancel[k]}
    assert changed == {f"{cal}{third.token}.ics"}


def test_a_rebuild_with_nothing_changed_renders_nothing(
    dav: Dav, world: World, rendered: list[str]
) -> None:
    cal = f"/{world.x}/appointments/"
    booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    before = etags(dav, cal)
    rendered.clear()
    with world.db.transaction() as cur:
        # What a change of the coach's name does to the collection, without the change.
        cur.execute(
            "SELECT caldav_mark_stale(ARRAY[(SELECT id FROM users WHERE slug = %s)],"
            " 'appointments')",
            (world.x,),
        )
    assert etags(dav, cal) == before
    assert rendered == []
