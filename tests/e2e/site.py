"""What the browser tests share: the people of the site, signing in, the steps that reach a page
state, and the crawl that checks every state (axe-core with the page's scripts on and off, reflow
at 320 px, Content Security Policy reports, the Nu HTML checker) and can take screenshots.

Each part of the site lists its own states in its own test module and hands them to ``crawl``.
Screenshots are written only when ``OFFICEHOURS_SCREENSHOTS`` names a folder (``make
screenshots`` sets it to docs/screenshots), so a test run never rewrites the README's images.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from officehours import accounts, passwords
from officehours.db import Database
from tests.lib.support import World, weekdays

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
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
A, B, C, X, Y, ADMIN = (
    "a@example.com",
    "b@example.com",
    "c@example.com",
    "x@example.com",
    "y@example.com",
    "admin@example.com",
)

# A step brings the page to one state: (page, base URL, names) -> the navigation's response.
Step = Callable[[Any, str, dict[str, str]], Any]
# (who signs in or "" for nobody, state name, how to reach it, screenshot name or "")
State = tuple[str, str, Step, str]


def screenshots_folder() -> Path | None:
    """Where screenshots go, or None when this run takes none."""
    folder = os.environ.get("OFFICEHOURS_SCREENSHOTS")
    return Path(folder) if folder else None


def make_world(db: Database) -> World:
    """Two coaches (Los Angeles, London), three clients, an admin; all with PASSWORD."""
    add = accounts.add_user
    hashed = passwords.hash_password(PASSWORD)
    w = World(
        db=db,
        admin=add(db, None, ADMIN, "Ada Admin", "admin", "UTC", hashed),
        x=add(db, None, X, "Xavier Coach", "coach", "America/Los_Angeles", hashed),
        y=add(db, None, Y, "Yara Coach", "coach", "Europe/London", hashed),
        a=add(db, None, A, "Ann Client", "client", "Asia/Kolkata", hashed),
        b=add(db, None, B, "Bo Client", "client", "America/New_York", hashed),
        c=add(db, None, C, "Cy Client", "client", "Europe/London", hashed),
    )
    for client, coach in ((w.a, w.x), (w.b, w.x), (w.c, w.y)):
        accounts.assign_coach(db, None, client, coach)
    for coach in (w.x, w.y):
        accounts.set_office_hours(db, None, coach, weekdays("09:00", "17:00"))
    return w


def sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> Any:
    page.context.clear_cookies()
    page.goto(f"{base}/signin")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation() as nav:
        page.click("button:has-text('Sign in')")
    return nav.value


def goto(path: str) -> Step:
    """Opens path ({names} filled in)."""

    def step(page: Any, base: str, names: dict[str, str]) -> Any:
        return page.goto(base + path.format(**names))

    return step


def submit(path: str, fields: dict[str, str], button: str) -> Step:
    """Opens path, fills the fields and presses the button (a CSS selector)."""

    def step(page: Any, base: str, names: dict[str, str]) -> Any:
        page.goto(base + path.format(**names))
        for selector, value in fields.items():
            page.fill(selector, value)
        with page.expect_navigation() as nav:
            page.click(button)
        return nav.value

    return step


AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({id: v.id, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def _visit(browser: Any, base: str, names: dict[str, str], states: list[State], *,
           scripts: bool, width: int, pages: dict[str, str]) -> list[str]:  # fmt: skip
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
    shots = screenshots_folder() if scripts else None
    signed_in = None
    for who, state, step, shot in states:
        if who != signed_in:
            if who:
                sign_in(page, base, who)
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
        if shots is not None and shot:
            shots.mkdir(parents=True, exist_ok=True)
            # Secrets are random each run: masked, so the images change only when the pages do.
            page.screenshot(
                path=str(shots / f"{shot}.png"),
                full_page=True,
                mask=[page.locator(".secret-value")],
            )
    problems += [f"console: {text}" for text in console if "Content Security Policy" in text]
    context.close()
    return problems


def crawl(browser: Any, base: str, names: dict[str, str], states: list[State]) -> list[str]:
    """Every check of every state: axe-core with scripts on (1024 px, screenshots when asked)
    and off (320 px, no horizontal scrolling), CSP reports, and the Nu HTML checker on the HTML
    as the server sent it. Returns the problems; an empty list is a pass."""
    pages: dict[str, str] = {}
    problems = _visit(browser, base, names, states, scripts=True, width=1024, pages=pages)
    problems += _visit(browser, base, names, states, scripts=False, width=320, pages=pages)
    if len(pages) != len({state for _, state, _, _ in states}):
        problems.append(f"only {len(pages)} of {len(states)} states were reached")
    return problems + vnu(pages)


def vnu(pages: dict[str, str]) -> list[str]:
    """Errors the Nu HTML checker finds in the pages as the server sent them; a checker that
    cannot run is a problem too."""
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
    try:
        messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    except (ValueError, KeyError):
        return [f"vnu did not run (exit {result.returncode}): {result.stderr[:500]}"]
    problems = [
        f"vnu {Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
    ]
    if result.returncode != 0 and not problems:
        problems.append(f"vnu exited {result.returncode}: {result.stderr[:500]}")
    return problems
