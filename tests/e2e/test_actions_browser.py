"""Coach and admin actions in real Chromium: a coach cancels a call with a reason (JavaScript
off and on) and the client's mail, at a real SMTP server, says who and why and links to book
again; both sides' history lists show it. Every new page and state goes through the shared
crawl (axe-core, reflow at 320 px, the Nu HTML checker; tests/e2e/site.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import booking
from tests.e2e.site import ADMIN, A, B, State, X, crawl, goto, sign_in, submit
from tests.lib.support import NOW, World, moved
from tests.mailer.sink import SmtpSink

TUESDAY = moved(datetime.fromisoformat("2027-01-05T17:00:00+00:00"))  # 09:00 in Los Angeles
THURSDAY = TUESDAY + timedelta(days=2)
REASON = "I am at a course that day <sorry>"


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def cancel_mail(world: World, base: str, sink: SmtpSink, email: str) -> str:
    """Delivers the outbox to ``sink`` and returns the text of the cancellation mail to
    ``email`` (exactly one, among the two mails a cancellation sends)."""
    mailer = Mailer(
        world.db,
        SmtpTransport(SmtpUrl.parse(sink.url)),
        Composer(base, "hello@example.org"),
        clock=lambda: NOW,
    )
    mailer.deliver_due()
    got = sink.wait_for(2)
    (to_client,) = [
        r.message
        for r in got
        if r.rcpt_tos == [email] and r.message["X-Officehours-Kind"] == "cancelled"
    ]
    return text_of(to_client)


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_a_coach_cancels_with_a_reason_and_the_client_is_told(
    site: tuple[str, World], browser: Any, smtp_sink: SmtpSink, javascript: bool
) -> None:
    base, world = site
    client, email = (world.b, B) if javascript else (world.a, A)
    start = TUESDAY + timedelta(hours=1 if javascript else 0)
    call = booking.book(world.db, client, client, start, now=NOW)
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, base, X)
    page.goto(f"{base}/coach/schedule")
    page.click(f"a[href$='/appointments/{call.token}/cancel']")
    assert page.inner_text("h1") == "Cancel this call?"
    page.fill("#reason", "two\u202elines")
    page.click("button:has-text('Yes, cancel the call')")
    assert "A reason is one line" in page.inner_text("main")
    page.fill("#reason", REASON)
    page.click("button:has-text('Yes, cancel the call')")
    assert page.inner_text("h1") == "My schedule"
    assert "The call is cancelled" in page.inner_text("main")
    history = page.inner_text("main").split("Past and cancelled calls")[1]
    assert "by you." in history and f"Reason: {REASON}" in history

    sign_in(page, base, email)
    page.goto(f"{base}/appointments")
    mine = page.inner_text("main").split("Past and cancelled")[1]
    assert "by Xavier Coach." in mine and f"Reason: {REASON}" in mine
    context.close()

    text = cancel_mail(world, base, smtp_sink, email)
    assert "Cancelled by: Xavier Coach, your coach" in text
    assert f"Reason: {REASON}" in text
    assert f"Book another call: {base}/book" in text


BAD_REASON = {"#reason": "a\u202eb"}
STATES: list[State] = [
    (A, "actions-calls-history", goto("/appointments"), "call-history"),
    (X, "actions-coach-schedule-history", goto("/coach/schedule"), ""),
    (X, "actions-coach-cancel", goto("/appointments/{token}/cancel"), "coach-cancel-reason"),
    (
        X,
        "actions-coach-cancel-error",
        submit("/appointments/{token}/cancel", BAD_REASON, "main form button"),
        "",
    ),
    (X, "actions-coach-move-confirm", goto("/appointments/{token}/move/confirm?start={free}"), ""),
    (X, "actions-coach-clients", goto("/coach/clients"), ""),
    (X, "actions-coach-book-week", goto("/coach/clients/{a}/book?week={week}"), ""),
    (
        X,
        "actions-coach-book-confirm",
        goto("/coach/clients/{a}/book/confirm?start={free}"),
        "coach-book-for-client",
    ),
    (
        X,
        "actions-coach-book-error",
        submit("/coach/clients/{a}/book/confirm?start={taken}", {}, "main form button"),
        "",
    ),
    (ADMIN, "actions-admin-bookings", goto("/admin/bookings"), "admin-bookings"),
    (
        ADMIN,
        "actions-admin-bookings-filtered",
        goto("/admin/bookings?coach={x}&client=a%40example.com"),
        "",
    ),
    (ADMIN, "actions-admin-bookings-error", goto("/admin/bookings?from=tomorrow"), ""),
    (ADMIN, "actions-admin-cancel", goto("/appointments/{token}/cancel"), ""),
]


def _prepare(world: World) -> dict[str, str]:
    call = booking.book(world.db, world.a, world.a, THURSDAY, now=NOW)
    gone = booking.book(world.db, world.b, world.b, THURSDAY + timedelta(hours=2), now=NOW)
    booking.cancel(world.db, world.x, gone.token, now=NOW, reason="Away")
    return {
        "token": call.token,
        "a": world.a,
        "x": world.x,
        "free": (THURSDAY + timedelta(hours=4)).isoformat().replace("+00:00", "Z"),
        "taken": THURSDAY.isoformat().replace("+00:00", "Z"),
        "week": THURSDAY.date().isoformat(),
    }


def test_accessibility_validity_and_reflow(site: tuple[str, World], browser: Any) -> None:
    base, world = site
    problems = crawl(browser, base, _prepare(world), STATES)
    assert not problems, "\n".join(problems)
