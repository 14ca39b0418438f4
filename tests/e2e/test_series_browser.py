"""Cancelling a monthly series in real Chromium, JavaScript off and on: a client opens a call of
their series, cancels "this and the following", the database holds the rows the page promised,
and the client's one mail (at a real SMTP server) carries a CANCEL per call. The confirmation
pages go through the shared crawl (axe-core, reflow at 320 px, the Nu HTML checker;
tests/e2e/site.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import booking
from tests.e2e.site import A, B, State, X, crawl, goto, sign_in
from tests.lib.support import NOW, World, moved
from tests.mailer.sink import SmtpSink

WEDNESDAY = moved(datetime.fromisoformat("2027-01-06T17:00:00+00:00"))  # 09:00 in Los Angeles


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def statuses(world: World, tokens: list[str]) -> list[str]:
    with world.db.transaction() as cur:
        cur.execute("SELECT token, status::text FROM appointments WHERE token = ANY(%s)", (tokens,))
        found = dict(cur.fetchall())
    return [found[token] for token in tokens]


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_a_client_cancels_this_and_the_following_calls(
    site: tuple[str, World], browser: Any, smtp_sink: SmtpSink, javascript: bool
) -> None:
    base, world = site
    client, email = (world.b, B) if javascript else (world.a, A)
    first = WEDNESDAY + timedelta(hours=2 if javascript else 0)
    calls = booking.book_series(world.db, client, client, first, 3, now=NOW)
    tokens = [call.token for call in calls]
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, base, email)
    page.goto(f"{base}/appointments/{tokens[1]}")
    assert page.is_visible("a:has-text('Cancel the whole series')")
    page.click("a:has-text('Cancel this and the following calls')")
    assert page.inner_text("h1") == "Cancel this call and the following ones?"
    assert page.locator("#series-calls li").count() == 2
    page.click("button:has-text('Yes, cancel 2 calls')")
    assert page.inner_text("h1") == "My calls"
    assert "2 calls of your series are cancelled." in page.inner_text("main")
    assert statuses(world, tokens) == ["booked", "cancelled", "cancelled"]
    # The call left has its series links still; its series now holds only itself.
    page.goto(f"{base}/appointments/{tokens[0]}")
    page.click("a:has-text('Cancel the whole series')")
    assert page.locator("#series-calls li").count() == 1
    context.close()

    # The client gets one mail for the two calls, a CANCEL for each attached.
    mailer = Mailer(
        world.db,
        SmtpTransport(SmtpUrl.parse(smtp_sink.url)),
        Composer(base, "hello@example.org"),
        clock=lambda: NOW,
    )
    got = smtp_sink.wait_for(len(mailer.deliver_due()))
    (cancelled,) = [
        r.message
        for r in got
        if r.rcpt_tos == [email] and str(r.message["Subject"]).strip().startswith("Cancelled: 2 ")
    ]
    methods = [
        part.get_param("method")
        for part in cancelled.walk()
        if part.get_content_type() == "text/calendar"
    ]
    assert methods == ["CANCEL", "CANCEL"]


STATES: list[State] = [
    (A, "series-call", goto("/appointments/{later}"), ""),
    (A, "series-cancel-following", goto("/appointments/{later}/series/cancel?from=this"), ""),
    (A, "series-cancel-all", goto("/appointments/{later}/series/cancel?from=all"), "series-cancel"),
    (X, "series-cancel-coach", goto("/appointments/{first}/series/cancel?from=all"), ""),
    (A, "series-cancel-bad-from", goto("/appointments/{later}/series/cancel?from=every"), ""),
    (A, "series-cancel-single", goto("/appointments/{single}/series/cancel?from=all"), ""),
]


def test_accessibility_validity_and_reflow(site: tuple[str, World], browser: Any) -> None:
    base, world = site
    first = WEDNESDAY + timedelta(hours=4)
    calls = booking.book_series(world.db, world.a, world.a, first, 2, now=NOW)
    single = booking.book(world.db, world.b, world.b, first + timedelta(days=1), now=NOW)
    names = {"first": calls[0].token, "later": calls[1].token, "single": single.token}
    problems = crawl(browser, base, names, STATES)
    assert not problems, "\n".join(problems)
