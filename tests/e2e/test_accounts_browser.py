"""Accounts in real Chromium: forgot password end to end with the mail at a real SMTP server (with
JavaScript off and on), the profile's time zone, the admin's page of a user and the confirmed
deactivation, and every new page and error state through the shared crawl (axe-core with
scripts on and off, reflow at 320 px, the Nu HTML checker; tests/e2e/site.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from officehours import accounts, password_links, passwords
from officehours.db import Database
from tests.e2e.site import ADMIN, A, State, crawl, goto, sign_in, submit
from tests.lib.account_mail import deliver, link_in
from tests.lib.support import NOW, World
from tests.mailer.sink import SmtpSink

NEW_PASSWORD = "lantern orchard velvet comet"
SEND = "main button"
SAVE_PROFILE = "button:has-text('Save the profile')"
MAIL_BASE = "http://127.0.0.1"  # the BASE_URL of the site fixture, which the mail's links use


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def pending_link(db: Database, base: str, email: str) -> str:
    """The link of the pending account mail of ``email``, as the mailer would write it."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT m.link_secret FROM account_mail m JOIN users u ON u.id = m.user_id"
            " WHERE u.email = %s AND m.state = 'pending' ORDER BY m.id DESC LIMIT 1",
            (email,),
        )
        (secret,) = cur.fetchone() or (None,)
    assert secret, f"no pending account mail for {email}"
    return f"{base}/password/{secret}"


def new_link(db: Database, email: str) -> Any:
    """A step: an admin sends ``email`` a reset link, and the page opens it."""

    def step(page: Any, base: str, names: dict[str, str]) -> Any:
        password_links.send_link(db, None, email, "password_reset", NOW)
        return page.goto(pending_link(db, base, email))

    return step


def weak_password(db: Database, email: str) -> Any:
    def step(page: Any, base: str, names: dict[str, str]) -> Any:
        new_link(db, email)(page, base, names)
        page.fill("#new_password", "password1234")
        page.fill("#confirm", "password1234")
        with page.expect_navigation() as nav:
            page.click("main button")
        return nav.value

    return step


def refused_role(page: Any, base: str, names: dict[str, str]) -> Any:
    page.goto(f"{base}/admin/users/{names['x']}")
    page.select_option("#role", "client")
    with page.expect_navigation() as nav:
        page.click("button:has-text('Save the account')")
    return nav.value


def test_accessibility_validity_and_reflow(site: tuple[str, World], browser: Any) -> None:
    base, world = site
    names = {"x": world.x, "a": world.a}
    states: list[State] = [
        ("", "forgot-password", goto("/password/forgot"), "forgot-password"),
        ("", "forgot-password-refused", submit("/password/forgot", {"#email": "no"}, SEND), ""),
        ("", "forgot-password-sent",
         submit("/password/forgot", {"#email": "nobody@example.com"}, SEND),
         "forgot-password-sent"),
        ("", "set-password", new_link(world.db, "y@example.com"), "set-password"),
        ("", "set-password-refused", weak_password(world.db, "y@example.com"), ""),
        ("", "link-unknown", goto("/password/" + "A" * 43), "link-refused"),
        (A, "profile", goto("/account"), "profile"),
        (A, "profile-refused", submit("/account", {"#name": " "}, SAVE_PROFILE), ""),
        (ADMIN, "admin-user", goto("/admin/users/{x}"), "admin-user"),
        (ADMIN, "admin-user-refused", refused_role, ""),
        (ADMIN, "admin-deactivate", goto("/admin/users/{x}/deactivate"), "admin-deactivate"),
    ]  # fmt: skip
    problems = crawl(browser, base, names, states)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scripts", [False, True], ids=["javascript-off", "javascript-on"])
def test_forgot_password_end_to_end(
    site: tuple[str, World], browser: Any, smtp_sink: SmtpSink, scripts: bool
) -> None:
    base, world = site
    email = "b@example.com" if scripts else "c@example.com"
    other = browser.new_context(java_script_enabled=scripts)
    elsewhere = other.new_page()
    sign_in(elsewhere, base, email)  # a session on another device, which the new password ends
    context = browser.new_context(java_script_enabled=scripts)
    page = context.new_page()
    page.goto(f"{base}/signin")
    page.click("text=Forgot your password?")
    page.fill("#email", email)
    page.click("button:has-text('Send me a link')")
    assert "If an account has this address, we have sent a link" in page.inner_text("main")

    before = len(smtp_sink.received)
    sent = deliver(world.db, smtp_sink, MAIL_BASE, NOW)  # with any mail an earlier test queued
    assert sent and set(sent) == {"sent"}
    mine = [m for m in smtp_sink.wait_for(before + len(sent))[before:] if m.rcpt_tos == [email]]
    assert len(mine) == 1
    message = mine[0]
    link = link_in(message).replace(MAIL_BASE, base)

    page.goto(link)
    assert page.inner_text("h1") == "Choose a password"
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("button:has-text('Set the password')")
    assert "Your password is set" in page.inner_text("main")
    assert "Signed in as" in page.inner_text("footer")
    found = accounts.login_lookup(world.db, email)
    assert found is not None and passwords.verify_password(found[1], NEW_PASSWORD)
    elsewhere.goto(f"{base}/")
    assert "/signin" in elsewhere.url  # the other session has ended

    again = page.goto(link)
    assert again is not None and again.status == 410
    assert "used already" in page.inner_text("main")
    page.click("text=Ask for a new link")
    assert page.inner_text("h1") == "Forgot your password?"
    context.close()
    other.close()


@pytest.mark.parametrize("scripts", [False, True], ids=["javascript-off", "javascript-on"])
def test_welcome_mail_end_to_end(
    site: tuple[str, World], browser: Any, smtp_sink: SmtpSink, scripts: bool
) -> None:
    base, world = site
    email = f"new-{'on' if scripts else 'off'}@example.com"
    context = browser.new_context(java_script_enabled=scripts)
    page = context.new_page()
    sign_in(page, base, ADMIN)
    page.goto(f"{base}/admin/users")
    page.fill("#name", "Nia New")
    page.fill("#email", email)
    page.select_option("#time_zone", "Europe/Paris")
    page.click("button:has-text('Add the account')")
    assert "The account of Nia New is made" in page.inner_text("main")

    before = len(smtp_sink.received)
    sent = deliver(world.db, smtp_sink, MAIL_BASE, NOW)
    assert sent and set(sent) == {"sent"}
    mine = [m for m in smtp_sink.wait_for(before + len(sent))[before:] if m.rcpt_tos == [email]]
    assert [m.message["X-Officehours-Kind"] for m in mine] == ["welcome"]

    newcomer = browser.new_context(java_script_enabled=scripts)
    visit = newcomer.new_page()
    visit.goto(link_in(mine[0]).replace(MAIL_BASE, base))
    assert visit.inner_text("h1") == "Choose a password"
    visit.fill("#new_password", NEW_PASSWORD)
    visit.fill("#confirm", NEW_PASSWORD)
    visit.click("button:has-text('Set the password')")
    assert "Signed in as Nia New" in visit.inner_text("footer")
    newcomer.close()
    context.close()


@pytest.mark.parametrize(
    ("scripts", "zone"),
    [(False, "Europe/Berlin"), (True, "America/Chicago")],
    ids=["javascript-off", "javascript-on"],
)
def test_profile_zone_change(
    site: tuple[str, World], browser: Any, scripts: bool, zone: str
) -> None:
    base, world = site
    context = browser.new_context(java_script_enabled=scripts)
    page = context.new_page()
    sign_in(page, base, A)
    page.click("nav >> text=Account")
    assert "a@example.com" in page.inner_text("main")
    page.select_option("#time_zone", zone)
    page.click("button:has-text('Save the profile')")
    assert "Your profile is saved" in page.inner_text("main")
    assert f"Times are shown in {zone}" in page.inner_text("footer")
    page.click("nav >> text=Book a call")
    assert f"Times are in your time zone, {zone}" in page.inner_text("main")
    assert accounts.get_user(world.db, None, world.a).time_zone == zone
    context.close()


@pytest.mark.parametrize(
    ("scripts", "coach"), [(False, "y"), (True, "x")], ids=["javascript-off", "javascript-on"]
)
def test_admin_edits_a_user_and_deactivates_after_confirming(
    site: tuple[str, World], browser: Any, scripts: bool, coach: str
) -> None:
    base, world = site
    slug = getattr(world, coach)
    who = accounts.get_user(world.db, None, slug)
    context = browser.new_context(java_script_enabled=scripts)
    page = context.new_page()
    sign_in(page, base, ADMIN)
    page.goto(f"{base}/admin/users")
    page.click(f"main a:has-text('{who.name}')")
    assert page.inner_text("h1") == who.name

    page.select_option("#role", "client")
    page.click("button:has-text('Save the account')")
    assert "coaches" in page.inner_text(".error-summary")  # refused by the database
    assert accounts.get_user(world.db, None, slug).role == "coach"

    page.fill("#name", f"{who.name} Senior")
    page.select_option("#role", "coach")
    page.select_option("#time_zone", "Europe/Madrid")
    page.click("button:has-text('Save the account')")
    assert "is saved" in page.inner_text("main")
    edited = accounts.get_user(world.db, None, slug)
    assert (edited.name, edited.time_zone) == (f"{who.name} Senior", "Europe/Madrid")

    page.click(f"main a:has-text('Deactivate {edited.name}')")
    assert page.inner_text("h1") == f"Deactivate {edited.name}?"
    assert "ends coaching of" in page.inner_text("main")
    assert accounts.get_user(world.db, None, slug).active  # nothing done yet
    page.click(f"button:has-text('Deactivate {edited.name}')")
    assert "is deactivated" in page.inner_text("main")
    assert not accounts.get_user(world.db, None, slug).active
    context.close()
