"""Lynx sets how a coach's calls happen: the coach's form works in a text browser (radio
buttons, a text field, a text area), and a refused link changes nothing.

The keystrokes are what a person types: search for the form's legend (its first radio button
becomes the current field), choose with Enter, move with the arrow keys, type, press Enter on
the button.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ics.calls import CallDetails
from officehours import call_details
from tests.e2e.test_web_lynx import DOWN, ENTER, QUIT, _keys, _lynx, _sign_in, lynx_site
from tests.lib.support import NOW, World

MEET = "https://meet.example.org/xavier"


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with lynx_site(world, world.x) as url:
        yield url


SIGN_IN = _sign_in("x@example.com")


def _fill_details(value: str, details: str) -> list[str]:
    """On the coach's form: choose "By video call", put ``value`` in the field (erasing what
    it held) and type ``details`` into the text area, and press Save."""
    return [
        # The radio buttons follow the legend: Not said yet, By video call, By phone, At a place.
        "key /", *_keys("How calls happen"), ENTER, DOWN, ENTER,
        DOWN, DOWN, DOWN, "key ^U", *_keys(value),
        DOWN, *_keys(details),
        # Out of the four lines of the text area, onto the button.
        DOWN, DOWN, DOWN, DOWN, ENTER,
    ]  # fmt: skip


def test_lynx_sets_a_video_link(server: str, world: World, tmp_path: Path) -> None:
    commands = [*SIGN_IN, *_fill_details(MEET, "Camera optional."), *QUIT]
    _lynx(f"{server}/signin?next=/coach/details", commands, tmp_path)
    assert call_details.for_coach(world.db, world.x, world.x) == CallDetails(
        kind="video", value=MEET, details="Camera optional."
    )


def test_lynx_is_refused_a_plain_http_link_then_corrects_it(
    server: str, world: World, tmp_path: Path
) -> None:
    call_details.set_for_coach(world.db, world.x, world.x, "phone", "+1 555 0100", None, now=NOW)
    refused = [*SIGN_IN, *_fill_details("http://meet.example.org/", "Camera optional."), *QUIT]
    _lynx(f"{server}/signin?next=/coach/details", refused, tmp_path)
    assert call_details.for_coach(world.db, world.x, world.x) == CallDetails(
        kind="phone", value="+1 555 0100"
    )
    # The refusal page keeps what was typed, with the error above the form: correct the link.
    corrected = [
        *SIGN_IN,
        *_fill_details("http://meet.example.org/", "Camera optional."),
        *_fill_details(MEET, ""),
        *QUIT,
    ]
    _lynx(f"{server}/signin?next=/coach/details", corrected, tmp_path)
    assert call_details.for_coach(world.db, world.x, world.x) == CallDetails(
        kind="video", value=MEET, details="Camera optional."
    )
