"""The website in real Chromium (Playwright): booking, moving and cancelling with JavaScript off,
and every page and state of the booking, coach and admin pages through the shared crawl
(axe-core with scripts on and off, reflow at 320 px, the Nu HTML checker; tests/e2e/site.py).

One server (the app on a free loopback port) and one browser serve every test in this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from officehours import booking
from tests.e2e.site import ADMIN, A, B, C, State, X, crawl, goto, sign_in, submit
from tests.lib.support import NOW, World


def _booked(world: World) -> list[tuple[Any, ...]]:
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT u.slug, lower(a.during), a.status::text, a.revision FROM appointments a "
            "JOIN users u ON u.id = a.client_id ORDER BY a.created_at, a.id"
        )
        return [tuple(r) for r in cur.fetchall()]


def test_book_move_and_cancel_without_javascript(site: tuple[str, World], browser: Any) -> None:
    base, world = site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, base, "c@example.com")
    page.click("nav >> text=Book a call")
    assert "Times are in your time zone, Europe/London" in page.inner_text("main")
    page.click("text=Next week")  # beyond the 24-hour change cut-off, so it can be moved
    page.click("ul.slots a >> nth=0")
    assert page.inner_text("h1") == "Confirm your call"
    page.click("button:has-text('Book this call')")
    assert page.inner_text("h1") == "Your call is booked"
    first = _booked(world)
    assert [(r[0], r[2], r[3]) for r in first] == [(world.c, "booked", 1)]
    page.click("text=Move this call")
    page.click("ul.slots a >> nth=3")
    page.click("button:has-text('Move my call')")
    assert "Your call is moved" in page.inner_text("main")
    assert page.inner_text("h1") == "Your call is moved"
    moved = _booked(world)
    assert moved[0][2:] == ("booked", 2) and moved[0][1] != first[0][1]
    page.click("text=Cancel this call")
    page.click("button:has-text('Yes, cancel the call')")
    assert "Your call is cancelled" in page.inner_text("main")
    assert _booked(world)[0][2:] == ("cancelled", 3)
    context.close()


MARK = "can\u2019t be moved or cancelled once booked"


def test_jump_and_the_cut_off_with_javascript_off_and_on(
    site: tuple[str, World], browser: Any
) -> None:
    base, _ = site
    for scripts in (False, True):
        context = browser.new_context(java_script_enabled=scripts)
        page = context.new_page()
        sign_in(page, base, A)
        page.click("nav >> text=Book a call")
        page.fill("#go", "2027-02")
        page.click("main form.jump button")
        assert page.inner_text("#week-heading") == "Week of 1 February 2027"
        page.fill("#go", "2027-03-17")
        page.click("main form.jump button")
        assert page.inner_text("#week-heading") == "Week of 15 March 2027"
        page.fill("#go", "2027-13")
        page.click("main form.jump button")
        assert "or a month like 2027-03" in page.inner_text("#error-summary")
        assert page.inner_text("#week-heading") == "Week of 4 January 2027"
        # This week's first slot is inside the change cut-off: marked, and warned on confirm.
        late = page.locator("ul.slots li.late a").first
        assert MARK in late.inner_text()
        late.click()
        assert page.inner_text("h1") == "Confirm your call"
        assert MARK in page.inner_text("#cutoff-warning")
        assert "60 minutes" in page.inner_text("dl.facts")
        context.close()


START = "2027-01-05T17:00:00Z"  # A's call: Tuesday 09:00 in Los Angeles
TAKEN = "2027-01-06T18:00:00Z"  # B's call
FREE = "2027-01-07T18:00:00Z"
EARLY = "2027-01-05T00:00:00Z"  # A's first slot, inside the 24-hour change cut-off
B_SECOND = "2027-01-08T17:00:00Z"  # B's second call: B's January is full
C_LATE = "2027-01-05T09:00:00Z"  # C's call with Y in London, inside the change cut-off
SIGN_IN_ERROR = submit("/signin", {"#email": "a@example.com", "#password": "wrong"}, "main button")
BAD_PASSWORDS = {"#current_password": "nope", "#new_password": "x", "#confirm": "y"}
STATES: list[State] = [
    ("", "sign-in", goto("/signin"), "sign-in"),
    ("", "sign-in-error", SIGN_IN_ERROR, ""),
    (A, "home", goto("/"), "home"),
    (A, "week", goto("/book"), "week"),
    (A, "week-next", goto("/book?week=2027-01-11"), ""),
    (A, "confirm", goto(f"/book/confirm?start={FREE}"), "confirm"),
    (
        A,
        "confirm-error",
        submit(f"/book/confirm?start={TAKEN}", {}, "main form button"),
        "booking-refused",
    ),
    (A, "calls", goto("/appointments"), "my-calls"),
    (A, "call", goto("/appointments/{token}"), "booked"),
    (A, "move", goto("/appointments/{token}/move"), ""),
    (A, "move-confirm", goto(f"/appointments/{{token}}/move/confirm?start={FREE}"), ""),
    (
        A,
        "move-error",
        submit(f"/appointments/{{token}}/move/confirm?start={TAKEN}", {}, "main form button"),
        "",
    ),
    (A, "cancel", goto("/appointments/{token}/cancel"), "cancel"),
    (A, "calendar", goto("/calendar"), ""),
    (A, "calendar-feed", submit("/calendar", {}, "main form.inline button"), ""),
    (A, "account", goto("/account"), ""),
    (A, "account-error", submit("/account", BAD_PASSWORDS, "text=Change password"), ""),
    (A, "not-found", goto("/appointments/nonexistent"), ""),
    (A, "week-jump-error", goto("/book?go=2027-13"), ""),
    (A, "confirm-cutoff", goto(f"/book/confirm?start={EARLY}"), "confirm-cutoff"),
    (A, "forbidden", goto("/coach/hours"), "forbidden"),
    (B, "week-month-full", goto("/book?week=2027-01-11"), "week-month-full"),
    (C, "week-cutoff", goto("/book"), "week-cutoff"),
    (C, "call-inside-cutoff", goto("/appointments/{late}"), "call-inside-cutoff"),
    (X, "coach-schedule", goto("/coach/schedule"), "coach-schedule"),
    (X, "coach-call", goto("/appointments/{token}"), "coach-call"),
    (X, "coach-hours", goto("/coach/hours"), "coach-hours"),
    (
        X,
        "coach-hours-error",
        submit("/coach/hours", {"#day-6-0-start": "10:00"}, "text=Save weekly hours"),
        "",
    ),
    (X, "coach-clients", goto("/coach/clients"), ""),
    (
        X,
        "coach-app-password",
        submit("/calendar", {"#label": "Phone"}, "text=Make an app password"),
        "",
    ),
    (ADMIN, "admin-users", goto("/admin/users"), "admin-users"),
    (
        ADMIN,
        "admin-users-error",
        submit("/admin/users", {"#name": "N", "#email": "bad"}, "text=Add the account"),
        "",
    ),
    (ADMIN, "admin-coaching", goto("/admin/assignments"), ""),
    (ADMIN, "admin-rules", goto("/admin/rules"), "admin-rules"),
    (ADMIN, "admin-rules-coach", goto("/admin/rules?coach={x}"), ""),
    (
        ADMIN,
        "admin-rules-error",
        submit(
            "/admin/rules",
            {"#value-slot_length": "7 minutes"},
            "section:has(#rule-slot_length) form button",
        ),
        "",
    ),
]


def _prepare(world: World) -> dict[str, str]:
    when = datetime.fromisoformat
    call = booking.book(world.db, world.a, world.a, when(START), now=NOW)
    booking.book(world.db, world.b, world.b, when(TAKEN), now=NOW)
    booking.book(world.db, world.b, world.b, when(B_SECOND), now=NOW)
    late = booking.book(world.db, world.c, world.c, when(C_LATE), now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source) SELECT id, "
            "tstzrange(%s, %s::timestamptz + interval '30 minutes'), 'manual' FROM users "
            "WHERE slug = %s",
            (when(START), when(START), world.x),
        )
    return {"token": call.token, "x": world.x, "late": late.token}


def test_accessibility_validity_and_reflow(site: tuple[str, World], browser: Any) -> None:
    base, world = site
    problems = crawl(browser, base, _prepare(world), STATES)
    assert not problems, "\n".join(problems)
