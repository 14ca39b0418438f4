"""The website in real Chromium (Playwright): booking, moving and cancelling with JavaScript off;
axe-core on every page and state with the page's scripts on and off; the Nu HTML checker on every
rendered page; reflow at 320 px; and the README's screenshots.

One server (the app on a free loopback port) and one browser serve every test in this module.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from booking_web import create_app
from officehours import accounts, booking, passwords
from officehours.db import Database
from officehours.services import WsgiService
from tests.lib.support import NOW, World, fresh_database, weekdays

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _world(db: Database) -> World:
    add = accounts.add_user
    hashed = passwords.hash_password(PASSWORD)
    w = World(
        db=db,
        admin=add(db, None, "admin@example.com", "Ada Admin", "admin", "UTC", hashed),
        x=add(db, None, "x@example.com", "Xavier Coach", "coach", "America/Los_Angeles", hashed),
        y=add(db, None, "y@example.com", "Yara Coach", "coach", "Europe/London", hashed),
        a=add(db, None, "a@example.com", "Ann Client", "client", "Asia/Kolkata", hashed),
        b=add(db, None, "b@example.com", "Bo Client", "client", "America/New_York", hashed),
        c=add(db, None, "c@example.com", "Cy Client", "client", "Europe/London", hashed),
    )
    for client, coach in ((w.a, w.x), (w.b, w.x), (w.c, w.y)):
        accounts.assign_coach(db, None, client, coach)
    for coach in (w.x, w.y):
        accounts.set_office_hours(db, None, coach, weekdays("09:00", "17:00"))
    return w


@pytest.fixture(scope="module")
def site(pg_admin_url: str, template_url: str) -> Iterator[tuple[str, World]]:
    """The website on its own database, served on a free loopback port, for the module."""
    with fresh_database(pg_admin_url, template_url) as url:
        db = Database(url, max_connections=20)
        world = _world(db)
        config = {"DATABASE": db, "SECRET_KEY": "e2e", "NOW": NOW, "BASE_URL": "http://127.0.0.1"}
        server = WsgiService("web", create_app(config), ("127.0.0.1", 0), "Booking website")
        server.start()
        try:
            yield server.url, world
        finally:
            server.stop()
            db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (scripts/debian-packages.txt lists it)")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> Any:
    page.context.clear_cookies()
    page.goto(f"{base}/signin")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation() as nav:
        page.click("button:has-text('Sign in')")
    return nav.value


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
    _sign_in(page, base, "c@example.com")
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
    moved = _booked(world)
    assert moved[0][2:] == ("booked", 2) and moved[0][1] != first[0][1]
    page.click("text=Cancel this call")
    page.click("button:has-text('Yes, cancel the call')")
    assert "Your call is cancelled" in page.inner_text("main")
    assert _booked(world)[0][2:] == ("cancelled", 3)
    context.close()


Step = Callable[[Any, str, dict[str, str]], Any]


def _goto(path: str) -> Step:
    def step(page: Any, base: str, names: dict[str, str]) -> Any:
        return page.goto(base + path.format(**names))

    return step


def _submit(path: str, fields: dict[str, str], button: str) -> Step:
    """Opens path, fills the fields and presses the button (a CSS selector)."""

    def step(page: Any, base: str, names: dict[str, str]) -> Any:
        page.goto(base + path.format(**names))
        for selector, value in fields.items():
            page.fill(selector, value)
        with page.expect_navigation() as nav:
            page.click(button)
        return nav.value

    return step


A, X, ADMIN = "a@example.com", "x@example.com", "admin@example.com"
START = "2027-01-05T17:00:00Z"  # A's call: Tuesday 09:00 in Los Angeles
TAKEN = "2027-01-06T18:00:00Z"  # B's call
FREE = "2027-01-07T18:00:00Z"
SIGN_IN_ERROR = _submit("/signin", {"#email": "a@example.com", "#password": "wrong"}, "main button")
BAD_PASSWORDS = {"#current_password": "nope", "#new_password": "x", "#confirm": "y"}
# (who signs in, state name, how to reach it, screenshot name or "")
STATES: list[tuple[str, str, Step, str]] = [
    ("", "sign-in", _goto("/signin"), "sign-in"),
    ("", "sign-in-error", SIGN_IN_ERROR, ""),
    (A, "home", _goto("/"), "home"),
    (A, "week", _goto("/book"), "week"),
    (A, "week-next", _goto("/book?week=2027-01-11"), ""),
    (A, "confirm", _goto(f"/book/confirm?start={FREE}"), "confirm"),
    (
        A,
        "confirm-error",
        _submit(f"/book/confirm?start={TAKEN}", {}, "main form button"),
        "booking-refused",
    ),
    (A, "calls", _goto("/appointments"), "my-calls"),
    (A, "call", _goto("/appointments/{token}"), "booked"),
    (A, "move", _goto("/appointments/{token}/move"), ""),
    (A, "move-confirm", _goto(f"/appointments/{{token}}/move/confirm?start={FREE}"), ""),
    (
        A,
        "move-error",
        _submit(f"/appointments/{{token}}/move/confirm?start={TAKEN}", {}, "main form button"),
        "",
    ),
    (A, "cancel", _goto("/appointments/{token}/cancel"), "cancel"),
    (A, "calendar", _goto("/calendar"), ""),
    (A, "calendar-feed", _submit("/calendar", {}, "main form.inline button"), ""),
    (A, "account", _goto("/account"), ""),
    (A, "account-error", _submit("/account", BAD_PASSWORDS, "text=Change password"), ""),
    (A, "not-found", _goto("/appointments/nonexistent"), ""),
    (X, "coach-schedule", _goto("/coach/schedule"), "coach-schedule"),
    (X, "coach-hours", _goto("/coach/hours"), "coach-hours"),
    (
        X,
        "coach-hours-error",
        _submit("/coach/hours", {"#day-6-0-start": "10:00"}, "text=Save weekly hours"),
        "",
    ),
    (X, "coach-clients", _goto("/coach/clients"), ""),
    (
        X,
        "coach-app-password",
        _submit("/calendar", {"#label": "Phone"}, "text=Make an app password"),
        "",
    ),
    (ADMIN, "admin-users", _goto("/admin/users"), "admin-users"),
    (
        ADMIN,
        "admin-users-error",
        _submit("/admin/users", {"#name": "N", "#email": "bad"}, "text=Add the account"),
        "",
    ),
    (ADMIN, "admin-coaching", _goto("/admin/assignments"), ""),
    (ADMIN, "admin-rules", _goto("/admin/rules"), "admin-rules"),
    (ADMIN, "admin-rules-coach", _goto("/admin/rules?coach={x}"), ""),
    (
        ADMIN,
        "admin-rules-error",
        _submit(
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
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source) SELECT id, "
            "tstzrange(%s, %s::timestamptz + interval '30 minutes'), 'manual' FROM users "
            "WHERE slug = %s",
            (when(START), when(START), world.x),
        )
    return {"token": call.token, "x": world.x}


AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({id: v.id, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def _crawl(browser: Any, base: str, names: dict[str, str], *, scripts: bool, width: int,
           pages: dict[str, str], shots: bool) -> list[str]:  # fmt: skip
    """Visits every state; returns the problems found (axe violations, overflow, CSP reports)."""
    # axe itself needs JavaScript, so "scripts off" blocks the page's own scripts instead.
    context = browser.new_context(viewport={"width": width, "height": 900})
    if not scripts:
        context.route("**/*.js", lambda route: route.abort())
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    axe = AXE.read_text()
    problems: list[str] = []
    signed_in = None
    for who, state, step, shot in STATES:
        if who != signed_in:
            if who:
                _sign_in(page, base, who)
            else:
                context.clear_cookies()
            signed_in = who
        response = step(page, base, names)
        label = f"{state} (scripts {'on' if scripts else 'off'}, {width}px)"
        if response is None or response.status >= 500:
            problems.append(f"{label}: no page or a server error")
            continue
        pages.setdefault(state, response.text())
        page.evaluate(axe)
        for violation in page.evaluate(AXE_RUN, WCAG):
            problems.append(f"{label}: {violation['id']} {violation['help']} {violation['nodes']}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{label}: {overflow}px wider than the {width}px window")
        if shots and shot:
            SHOTS.mkdir(parents=True, exist_ok=True)
            # Secrets are random each run: masked, so the images change only when the pages do.
            page.screenshot(
                path=str(SHOTS / f"{shot}{'' if width > 400 else '-320px'}.png"),
                full_page=True,
                mask=[page.locator(".secret-value")],
            )
    problems += [f"console: {text}" for text in console if "Content Security Policy" in text]
    context.close()
    return problems


def test_accessibility_validity_and_reflow(site: tuple[str, World], browser: Any) -> None:
    base, world = site
    names = _prepare(world)
    pages: dict[str, str] = {}
    problems = _crawl(browser, base, names, scripts=True, width=1024, pages=pages, shots=True)
    problems += _crawl(browser, base, names, scripts=False, width=320, pages=pages, shots=False)
    assert len(pages) == len(STATES)
    problems += _vnu(pages)
    assert not problems, "\n".join(problems)


def _vnu(pages: dict[str, str]) -> list[str]:
    """Errors the Nu HTML checker finds in the pages as the server sent them."""
    with tempfile.TemporaryDirectory() as folder:
        for state, html in pages.items():
            (Path(folder) / f"{state}.html").write_text(html)
        result = subprocess.run(
            ["java", "-jar", str(VNU), "--errors-only", "--format", "json", folder],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [
        f"vnu {Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
    ]
