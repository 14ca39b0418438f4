"""Coach and admin actions in Lynx: a coach cancels a client's call with a reason and the client's
mail, at a real SMTP server, says who and why and links to book again; a coach books a call for
a client; an admin filters the bookings by coach and cancels one with a reason. Each checks what
the database holds afterwards.

The keystrokes are what a person types: follow links by searching for their text (a search for a
field's label makes the field after it current), type into fields, press Enter on the buttons.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from officehours import booking
from tests.e2e.test_actions_browser import cancel_mail
from tests.e2e.test_web_lynx import DOWN, ENTER, QUIT, _follow, _keys, _lynx, _sign_in, lynx_site
from tests.lib.support import NOW, World, moved
from tests.mailer.sink import SmtpSink

THURSDAY = moved(datetime.fromisoformat("2027-01-07T17:00:00+00:00"))  # 09:00 in Los Angeles
REASON = "I am at a course that day"


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with lynx_site(world, world.x, world.admin) as url:
        yield url


def _cancel_with(reason: str) -> list[str]:
    """On the cancel page: type the reason into its field, then press the button after it."""
    return ["key /", *_keys("Reason (optional)"), ENTER, *_keys(reason), DOWN, ENTER]


def _calls(world: World) -> list[Any]:
    """Every call: coach, client, start, status, and the reason and actor of its last change."""
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT c.slug, u.slug, lower(a.during), a.status::text, h.reason, who.slug"
            " FROM appointments a JOIN users u ON u.id = a.client_id"
            " JOIN users c ON c.id = a.coach_id"
            " JOIN LATERAL (SELECT * FROM appointment_history h WHERE h.appointment_id = a.id"
            "   ORDER BY h.revision DESC LIMIT 1) h ON true"
            " LEFT JOIN users who ON who.id = h.actor_id"
            " ORDER BY lower(a.during), u.slug"
        )
        return list(cur.fetchall())


def test_lynx_coach_cancels_with_a_reason_and_the_client_is_told(
    server: str, world: World, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    booking.book(world.db, world.a, world.a, THURSDAY, now=NOW)
    commands = [
        *_sign_in("x@example.com"),
        *_follow("Cancel the call on"),
        *_cancel_with(REASON),
        *QUIT,
    ]
    _lynx(f"{server}/signin?next=/coach/schedule", commands, tmp_path)
    assert _calls(world) == [(world.x, world.a, THURSDAY, "cancelled", REASON, world.x)]

    text = cancel_mail(world, server, smtp_sink, "a@example.com")
    assert "Cancelled by: Xavier Coach, your coach" in text
    assert f"Reason: {REASON}" in text
    assert f"Book another call: {server}/book" in text


def test_lynx_coach_books_a_call_for_a_client(server: str, world: World, tmp_path: Path) -> None:
    commands = [
        *_sign_in("x@example.com"),
        *_follow("Book a call for Bo Client"),
        # 16:00 on Monday in Los Angeles: the week's first free slot.
        *_follow("16:00"),
        *_follow("Book this call for Bo Client"),
        *QUIT,
    ]
    _lynx(f"{server}/signin?next=/coach/clients", commands, tmp_path)
    assert _calls(world) == [
        (world.x, world.b, datetime(2027, 1, 5, 0, 0, tzinfo=UTC), "booked", None, world.x)
    ]


def test_lynx_admin_filters_by_coach_and_cancels(server: str, world: World, tmp_path: Path) -> None:
    # Yara's call comes first; filtered by Xavier, the first Cancel link is Ann's call.
    booking.book(world.db, world.c, world.c, THURSDAY - timedelta(hours=8), now=NOW)
    booking.book(world.db, world.a, world.a, THURSDAY, now=NOW)
    booking.book(world.db, world.b, world.b, THURSDAY + timedelta(hours=2), now=NOW)
    commands = [
        *_sign_in("admin@example.com"),
        # The filter form: Coach, Client, From, To, then the button.
        "key /", *_keys("Coach (email or slug)"), ENTER, *_keys("x@example.com"),
        DOWN, DOWN, DOWN, DOWN, ENTER,
        *_follow("Cancel the call of"),
        *_cancel_with(REASON),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin?next=/admin/bookings", commands, tmp_path)
    assert _calls(world) == [
        (world.y, world.c, THURSDAY - timedelta(hours=8), "booked", None, world.c),
        (world.x, world.a, THURSDAY, "cancelled", REASON, world.admin),
        (world.x, world.b, THURSDAY + timedelta(hours=2), "booked", None, world.b),
    ]
