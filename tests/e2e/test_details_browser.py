"""How calls happen and the note for the coach, walked in Chromium with JavaScript off and on:
the coach sets a video link, the client books with a note and sees the link on the call's page;
the .ics has CONFERENCE, LOCATION and URL; the coach's CalDAV item (Radicale's real WSGI app)
has the note; the mail at a real SMTP server (aiosmtpd) has the link. Then every new page and
state through the shared crawl (axe-core, reflow at 320 px, CSP, the Nu HTML checker)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from caldav_plugin.service import make_app as make_caldav
from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import accounts, call_details
from tests.caldav.dav import Dav, Login
from tests.e2e.site import A, State, Step, X, crawl, goto, sign_in, submit
from tests.lib.support import NOW, World, moved
from tests.mailer.sink import SmtpSink

LA = ZoneInfo("America/Los_Angeles")
NOTE = "I'd like to talk about sleep"


def meet(js: bool) -> str:
    return f"https://meet.example.org/xavier-{'js' if js else 'nojs'}"


def slot(js: bool) -> datetime:
    """A free slot of coach X, a different one for each walk (Tuesday, 09:00 or 10:00 LA)."""
    return moved(datetime(2027, 1, 5, 10 if js else 9, tzinfo=LA))


def showing(step: Step, words: str) -> Step:
    """``step``, then a check that the page reached is the one meant (it shows ``words``), so a
    state that lands elsewhere (say, the sign-in page) fails instead of passing the crawl."""

    def checked(page: Any, base: str, names: dict[str, str]) -> Any:
        response = step(page, base, names)
        assert words in page.inner_text("main"), (page.url, words)
        return response

    return checked


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.mark.parametrize("js", [False, True], ids=["scripts-off", "scripts-on"])
def test_video_link_and_note_from_form_to_page_ics_caldav_and_mail(
    site: tuple[str, World], browser: Any, smtp_sink: SmtpSink, js: bool
) -> None:
    base, world = site
    context = browser.new_context(java_script_enabled=js)
    page = context.new_page()

    # The coach sets a video link on their own page.
    sign_in(page, base, X)
    page.goto(f"{base}/coach/schedule")
    with page.expect_navigation():
        page.click("text=How your calls happen")
    page.check("#kind-video")
    page.fill("#value", meet(js))
    page.fill("#details", "Camera optional.")
    with page.expect_navigation():
        page.click("button:has-text('Save how calls happen')")
    assert page.locator(".flash").inner_text().startswith("Saved.")
    assert page.input_value("#value") == meet(js)

    # The client books with a note and sees the link on the call's page.
    sign_in(page, base, A)
    page.goto(f"{base}/book/confirm?start={slot(js).isoformat().replace('+', '%2B')}")
    page.fill("#note", NOTE)
    with page.expect_navigation():
        page.click("button:has-text('Book this call')")
    token = page.url.rsplit("/", 1)[1]
    link = page.get_by_role("link", name=meet(js))
    assert link.get_attribute("href") == meet(js)
    assert "Camera optional." in page.inner_text("main")
    assert NOTE in page.inner_text("main")

    # The .ics download the client gets.
    ics = page.request.get(f"{base}/appointments/{token}.ics")
    assert ics.status == 200
    event = Calendar.from_ical(ics.body()).events[0]
    assert str(event["CONFERENCE"]) == meet(js)
    assert event["CONFERENCE"].params["VALUE"] == "URI"
    assert event["CONFERENCE"].params["FEATURE"] == "VIDEO"
    assert str(event["LOCATION"]) == meet(js)
    assert str(event["URL"]).endswith(f"/appointments/{token}")
    context.close()

    # The coach's CalDAV item has the note.
    _, secret = accounts.create_app_password(world.db, None, world.x, "e2e")
    dav = Dav(make_caldav(world.db.url, {"storage": {"clock": NOW.isoformat()}}),
              Login(world.x, X, secret))  # fmt: skip
    item = dav("GET", f"/{world.x}/appointments/{token}.ics")
    assert item.status_code == 200
    caldav_event = Calendar.from_ical(item.get_data()).events[0]
    assert f"Note from Ann Client:\n{NOTE}" in str(caldav_event["DESCRIPTION"])
    assert str(caldav_event["CONFERENCE"]) == meet(js)

    # The client's mail, at a real SMTP server, has the link.
    mailer = Mailer(
        world.db,
        SmtpTransport(SmtpUrl.parse(smtp_sink.url)),
        Composer(base, "hello@example.org"),
        clock=lambda: NOW + timedelta(minutes=1),
    )
    sent = [o for o in mailer.deliver_due() if o.state == "sent"]
    mine = [
        r.message
        for r in smtp_sink.wait_for(len(sent))
        if r.rcpt_tos == ["a@example.com"] and r.message["X-Officehours-Kind"] == "booked"
    ]
    assert mine, "no booking mail for the client"
    body = mine[-1].get_body(("plain",))
    assert body is not None and meet(js) in str(body.get_content())


def test_every_new_page_and_state_passes_the_crawl(site: tuple[str, World], browser: Any) -> None:
    base, world = site
    call_details.set_for_coach(
        world.db, world.x, world.x, "video", meet(True), "Camera optional.\nJoin early.", now=NOW
    )
    booked = call_details.book_with_note(
        world.db, world.b, world.b, moved(datetime(2027, 1, 6, 9, tzinfo=LA)), NOTE, now=NOW
    )
    names = {"call": booked[0].token, "x": world.x}
    b = "b@example.com"
    start = moved(datetime(2027, 1, 7, 9, tzinfo=LA)).isoformat().replace("+", "%2B")
    states: list[State] = [
        (X, "coach-details", showing(goto("/coach/details"), "How your calls happen"),
         "coach-details"),
        (X, "coach-details-refused",
         showing(submit("/coach/details", {"#value": "http://meet.example.org/"},
                        "button:has-text('Save how calls happen')"), "There is a problem"),
         "coach-details-refused"),
        (X, "coach-call-page", showing(goto("/appointments/{call}"), "Note from Bo Client"),
         "call-details-coach"),
        (X, "coach-call-details",
         showing(goto("/appointments/{call}/details"), "How this call happens"),
         "call-details-own"),
        (X, "coach-schedule-notes", showing(goto("/coach/schedule"), "Notes from your clients"),
         ""),
        (b, "client-call-page", showing(goto("/appointments/{call}"), "Your note for Xavier"),
         "call-details-client"),
        (b, "client-note", showing(goto("/appointments/{call}/note"), "Save the note"),
         "call-note"),
        (b, "confirm-with-note",
         showing(goto(f"/book/confirm?start={start}"), "Note for your coach"),
         "confirm-with-note"),
        ("admin@example.com", "admin-coach-details",
         showing(goto("/admin/coaches/{x}/details"), "How calls with Xavier Coach happen"), ""),
    ]  # fmt: skip
    assert crawl(browser, base, names, states) == []
