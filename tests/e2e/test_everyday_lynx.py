"""Everyday account and call features in Lynx, as the Chromium walks do them: the welcome mail of
an account made without a password (sent through a real SMTP server), a client's change of time
zone on the profile, and a client's note for the coach on the confirm page. Each checks what the
database holds, and what Lynx showed: each page is saved with Lynx's own Print command.

The keystrokes are what a person types: follow links by searching for their text (a search makes
the first link or field at or after the text current, when it is on the screen), type into
fields, open a <select> with Enter and search its list, press Enter on the buttons.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from officehours import accounts, booking, passwords
from tests.e2e.test_web_lynx import (
    DOWN,
    ENTER,
    QUIT,
    RIGHT,
    _follow,
    _keys,
    _lynx,
    _sign_in,
    lynx_site,
)
from tests.lib.account_mail import deliver, link_in
from tests.lib.support import NOW, World, moved
from tests.mailer.sink import SmtpSink

NEW_PASSWORD = "lantern orchard velvet comet"
NOTE = "I'd like to talk about sleep"
MAIL_BASE = "http://127.0.0.1"  # the BASE_URL of lynx_site, which the mail's links use
THURSDAY = moved(datetime.fromisoformat("2027-01-07T17:00:00+00:00"))  # 09:00 in Los Angeles
TUESDAY = moved(datetime.fromisoformat("2027-01-05T00:00:00+00:00"))  # 16:00 Monday there


@pytest.fixture(autouse=True)
def lynx(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lynx, in a UTF-8 locale: it saves pages in the locale's character set, and the pages'
    dashes and quotes need UTF-8 to be read back as the site wrote them."""
    monkeypatch.setenv("LC_ALL", "C.UTF-8")


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with lynx_site(world, world.admin, world.a, world.c, world.x) as url:
        yield url


def _save(page: Path) -> list[str]:
    """Lynx's Print page, its first choice (Save to a local file), and the file's name: the page
    on the screen, as Lynx shows it, is written to ``page``."""
    return ["key p", RIGHT, "key ^U", *_keys(str(page)), ENTER]


def _screen(page: Path) -> str:
    """The saved page, its lines joined by spaces (Lynx wraps long lines)."""
    return " ".join(page.read_text(encoding="utf-8").split())


def _day(moment: datetime) -> str:
    """The date as the pages write it, in Berlin and Kolkata alike: 'Tuesday 5 January 2027'."""
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def test_lynx_welcome_mail_sets_the_first_password(
    server: str, world: World, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    added, chosen, again = tmp_path / "added.txt", tmp_path / "chosen.txt", tmp_path / "again.txt"
    commands = [
        *_sign_in("admin@example.com"),
        # The search makes the form's first field current: name, email, role, time zone, first
        # password (left empty), button. Enter opens the zones' list, a search picks one in it.
        "key /", *_keys("Add an account"), ENTER,
        *_keys("Nia New"), DOWN, *_keys("nia@example.com"),
        DOWN, DOWN, ENTER, "key /", *_keys("Europe/Paris"), ENTER, ENTER,
        DOWN, DOWN, ENTER,
        *_save(added),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin?next=/admin/users", commands, tmp_path)
    assert "The account of Nia New is made" in _screen(added)
    nia = accounts.get_user(world.db, None, "nia@example.com")
    assert (nia.name, nia.role, nia.time_zone) == ("Nia New", "client", "Europe/Paris")
    assert accounts.login_lookup(world.db, "nia@example.com") == (nia.slug, None)
    assert _links(world, nia.slug) == [("welcome", False)]

    before = len(smtp_sink.received)
    assert deliver(world.db, smtp_sink, MAIL_BASE, NOW) == ["sent"]
    (message,) = smtp_sink.wait_for(before + 1)[before:]
    assert message.rcpt_tos == ["nia@example.com"]
    assert message.message["X-Officehours-Kind"] == "welcome"
    link = link_in(message).replace(MAIL_BASE, server)

    choose = [
        # The form: skip link, home link, then the two password fields and the button.
        DOWN, DOWN, *_keys(NEW_PASSWORD), DOWN, *_keys(NEW_PASSWORD), DOWN, ENTER,
        *_save(chosen),
        *QUIT,
    ]  # fmt: skip
    _lynx(link, choose, tmp_path)
    signed_in = "Signed in as Nia New (nia@example.com). Times are shown in Europe/Paris."
    assert "Your password is set" in _screen(chosen) and signed_in in _screen(chosen)
    found = accounts.login_lookup(world.db, "nia@example.com")
    assert found is not None and passwords.verify_password(found[1], NEW_PASSWORD)
    assert _links(world, nia.slug) == [("welcome", True)]

    # A new Lynx, with no session: the password signs in.
    _lynx(f"{server}/signin", [*_sign_in("nia@example.com", NEW_PASSWORD), *_save(again), *QUIT],
          tmp_path)  # fmt: skip
    assert signed_in in _screen(again)


def test_lynx_profile_zone_change_moves_the_times_shown(
    server: str, world: World, tmp_path: Path
) -> None:
    call = booking.book(world.db, world.a, world.a, THURSDAY, now=NOW)
    before = _appointments(world)
    pages = {name: tmp_path / f"{name}.txt" for name in
             ("call-before", "week-before", "saved", "week-after", "call-after")}  # fmt: skip
    call_page = ["key g", *_keys(f"{server}/appointments/{call.token}"), ENTER]
    commands = [
        *_sign_in("a@example.com"),
        *call_page, *_save(pages["call-before"]),
        *_follow("Book a call"), *_save(pages["week-before"]),
        *_follow("Account"),
        # The zones' <select> is just above the button: Enter opens its list, a search picks one.
        "key /", *_keys("Save the profile"), ENTER, "key Up Arrow",
        ENTER, "key /", *_keys("Europe/Berlin"), ENTER, ENTER,
        DOWN, ENTER, *_save(pages["saved"]),
        # Back to the pages seen before, as a person would: by their links, not by reloading.
        *_follow("Book a call"), *_save(pages["week-after"]),
        *call_page, *_save(pages["call-after"]),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin", commands, tmp_path)
    assert accounts.get_user(world.db, None, world.a).time_zone == "Europe/Berlin"
    assert _appointments(world) == before  # the call is at the same moment

    tuesday, thursday = _day(TUESDAY), _day(THURSDAY)
    # The week's first free slot (16:00 on Monday in Los Angeles), and the booked call.
    assert "Times are in your time zone, Asia/Kolkata." in _screen(pages["week-before"])
    assert f"{tuesday}, 05:30\u201306:30" in _screen(pages["week-before"])
    assert f"When {thursday}, 22:30\u201323:30 (Asia/Kolkata, IST)" in _screen(pages["call-before"])
    assert "Your profile is saved." in _screen(pages["saved"])
    assert "Times are shown in Europe/Berlin." in _screen(pages["saved"])
    week = _screen(pages["week-after"])
    assert "Times are in your time zone, Europe/Berlin." in week
    assert f"{tuesday}, 01:00\u201302:00" in week and "05:30" not in week
    assert f"When {thursday}, 18:00\u201319:00 (Europe/Berlin, CET)" in _screen(pages["call-after"])


def test_lynx_note_for_the_coach_reaches_the_coach_only(
    server: str, world: World, tmp_path: Path
) -> None:
    pages = {name: tmp_path / f"{name}.txt" for name in
             ("booked", "schedule", "coach-call", "other-client")}  # fmt: skip
    booking_walk = [
        *_sign_in("a@example.com"),
        *_follow("Book a call"),
        # 22:30 on Thursday in Kolkata: 09:00 in Los Angeles.
        *_follow(f"{_day(THURSDAY)}, 22:30"),
        # The search makes the note's text area current; four lines down is the next field.
        "key /", *_keys("Note for your coach"), ENTER, *_keys(NOTE),
        DOWN, DOWN, DOWN, DOWN,
        *_follow("Book this call"), *_save(pages["booked"]),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin", booking_walk, tmp_path)
    assert _notes(world) == [(world.a, THURSDAY, "booked", NOTE)]
    booked = _screen(pages["booked"])
    assert "Your call is booked" in booked
    assert f"Your note for Xavier Coach {NOTE}" in booked
    token = _token(world)

    coach_walk = [
        *_sign_in("x@example.com"), *_save(pages["schedule"]),
        *_follow("Open the call"), *_save(pages["coach-call"]),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin?next=/coach/schedule", coach_walk, tmp_path)
    schedule = _screen(pages["schedule"])
    thursday = f"{_day(THURSDAY)}, 09:00\u201310:00 (America/Los_Angeles, PST)"
    assert f"Notes from your clients * Ann Client, {thursday}: {NOTE}" in schedule
    assert f"Note from Ann Client {NOTE}" in _screen(pages["coach-call"])

    # Cy, a client of Yara, opens the link to the call: there is no such call for him. Lynx's
    # recent status messages (LYNXMESSAGES:, newest first) hold the response's status line.
    messages = tmp_path / "messages.txt"
    other_walk = [
        *_sign_in("c@example.com"),
        "key g", *_keys(f"{server}/appointments/{token}"), ENTER, *_save(pages["other-client"]),
        "key g", *_keys("LYNXMESSAGES:"), ENTER, *_save(messages),
        *QUIT,
    ]  # fmt: skip
    _lynx(f"{server}/signin", other_walk, tmp_path)
    refused = _screen(pages["other-client"])
    assert "There is no such call, or it is not yours." in refused
    assert "Error code: unknown_appointment" in refused
    assert NOTE not in refused and "Ann Client" not in refused
    assert re.findall(r"HTTP/1\.[01] (\d{3})", messages.read_text())[0] == "404"
    assert _notes(world) == [(world.a, THURSDAY, "booked", NOTE)]


def _appointments(world: World) -> list[Any]:
    """Every stored appointment row, as it is, with its history."""
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT to_jsonb(a), (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.revision)"
            " FROM appointment_history h WHERE h.appointment_id = a.id)"
            " FROM appointments a ORDER BY a.id"
        )
        return list(cur.fetchall())


def _notes(world: World) -> list[Any]:
    """Every call's client, start, status and note (None without one)."""
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT u.slug, lower(a.during), a.status::text, n.note FROM appointments a"
            " JOIN users u ON u.id = a.client_id"
            " LEFT JOIN appointment_notes n ON n.appointment_id = a.id ORDER BY lower(a.during)"
        )
        return list(cur.fetchall())


def _token(world: World) -> str:
    """The public token of the one call."""
    with world.db.transaction() as cur:
        cur.execute("SELECT token FROM appointments")
        ((token,),) = cur.fetchall()
        return str(token)


def _links(world: World, slug: str) -> list[tuple[str, bool]]:
    """The password links of a user, oldest first: their kind and whether they were used."""
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT l.kind::text, l.used_at IS NOT NULL FROM account_links l"
            " JOIN users u ON u.id = l.user_id WHERE u.slug = %s ORDER BY l.id",
            (slug,),
        )
        return list(cur.fetchall())
