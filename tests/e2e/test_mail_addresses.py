"""A legal address never takes a calendar offline (issue 8, finding 2).

o'brien@example.com (the apostrophe is allowed by RFC 5322, and the database always took it)
books a call: the .ics downloads, the coach's webcal feed, the CalDAV principal and both
appointments collections (PROPFIND, REPORT, GET), and both mails through a real SMTP server
work. A display name with U+2028, which broke every mail naming it, is refused by the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from booking_web import create_app
from caldav_plugin.service import make_app as make_caldav_app
from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import accounts, booking, errors, passwords
from officehours.db import Database
from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login
from tests.lib.support import NOW, World
from tests.mailer.helpers import BASE_URL, MAIL_FROM, local
from tests.mailer.sink import SmtpSink

PASSWORD = "correct horse battery"
EMAIL = "o'brien@example.com"
NAME = "Siobhán O'Brien"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def obrien(world: World) -> str:
    """A client of coach X with an apostrophe in her address, and a website password."""
    hashed = passwords.hash_password(PASSWORD)
    slug = accounts.add_user(world.db, None, EMAIL, NAME, "client", "Europe/Dublin", hashed)
    accounts.assign_coach(world.db, None, slug, world.x)
    accounts.set_password_hash(world.db, None, world.x, hashed)
    return slug


def csrf(html: str) -> str:
    """The CSRF token of a rendered form."""
    found = CSRF.search(html)
    assert found is not None, html
    return found.group(1)


def signed_in(world: World, email: str) -> FlaskClient:
    """The website, signed in through its own form."""
    app = create_app(
        {
            "DATABASE": world.db,
            "SECRET_KEY": "test secret",
            "NOW": NOW,
            "BASE_URL": "http://officehours.test",
            "CALDAV_URL": "http://dav.officehours.test",
            "TESTING": True,
        }
    )
    client = app.test_client()
    done = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client.get("/signin").text)},
    )
    assert done.status_code == 303, done.text
    return client


def test_an_apostrophe_in_an_address_books_and_every_calendar_and_mail_works(
    db_url: str, db: Database, world: World, obrien: str, smtp_sink: SmtpSink
) -> None:
    call = booking.book(db, obrien, obrien, local(2, "09:00", "America/Los_Angeles"), now=NOW)

    # The website: her .ics, her coach's .ics and his webcal feed.
    her = signed_in(world, EMAIL)
    mine = her.get(f"/appointments/{call.token}.ics")
    assert mine.status_code == 200, mine.text
    assert NAME in mine.text.replace("\r\n ", "")
    coach = signed_in(world, "x@example.com")
    assert coach.get(f"/appointments/{call.token}.ics").status_code == 200
    made = coach.post("/calendar/feed", data={"csrf_token": csrf(coach.get("/calendar").text)})
    feed_path = re.search(r"http://officehours\.test(/feed/[A-Za-z0-9_-]+\.ics)", made.text)
    assert feed_path is not None, made.text
    feed = coach.get(feed_path.group(1))
    assert feed.status_code == 200 and NAME in feed.text.replace("\r\n ", "")

    # CalDAV: what a calendar app does when it finds the accounts, for the coach and for her.
    dav_app = make_caldav_app(db_url, {"storage": {"clock": NOW.isoformat()}})
    for slug, email in ((world.x, "x@example.com"), (obrien, EMAIL)):
        _, secret = accounts.create_app_password(db, None, slug, "tests")
        dav = Dav(dav_app, Login(slug, email, secret))
        assert (
            dav("PROPFIND", f"/{slug}/", h.propfind("D:displayname"), Depth="0").status_code == 207
        )
        listing = dav("PROPFIND", f"/{slug}/appointments/", h.propfind("D:getetag"), Depth="1")
        assert listing.status_code == 207, listing.data
        report = dav("REPORT", f"/{slug}/appointments/", h.sync_collection(), Depth="1")
        assert report.status_code == 207, report.data
        items = [href for href in h.hrefs(listing.data) if href.endswith(".ics")]
        assert len(items) == 1
        item = dav("GET", items[0])
        assert item.status_code == 200 and b"o'brien@example.com" in item.data.replace(
            b"\r\n ", b""
        )

    # Both mails, through a real SMTP server.
    mailer = Mailer(
        db,
        SmtpTransport(SmtpUrl.parse(smtp_sink.url), timeout=10),
        Composer(BASE_URL, MAIL_FROM),
        clock=lambda: NOW,
    )
    assert [o.state for o in mailer.deliver_due()] == ["sent", "sent"]
    got = {r.rcpt_tos[0]: r.message for r in smtp_sink.wait_for(2)}
    assert set(got) == {EMAIL, "x@example.com"}
    assert got[EMAIL]["To"].addresses[0].addr_spec == EMAIL
    assert got["x@example.com"]["Reply-To"].addresses[0].addr_spec == EMAIL


def test_a_line_separator_in_a_name_is_refused_by_the_database(db: Database) -> None:
    with pytest.raises(errors.InvalidName):
        accounts.add_user(db, None, "ls@example.com", "Ann\u2028Client", "client", "UTC")
    # The same refusal for a write that skips every Python check.
    with pytest.raises(errors.InvalidName), db.transaction() as cur:
        cur.execute(
            "INSERT INTO users (email, display_name, time_zone, role)"
            " VALUES ('ls@example.com', 'Ann' || chr(8232) || 'Client', 'UTC', 'client')"
        )
