"""The profile on the account page: every user changes their name and time zone (one select of
the database's zones, an optgroup per region) and sees their email. A new zone changes how the
week page, mail and invites show times from then on; nothing stored about calls changes. Every
refusal is a 4xx with our message and changes no row."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from mailer.compose import Composer
from mailer.outbox import Mailer
from mailer.transport import SmtpTransport, SmtpUrl
from officehours import accounts, booking, errors
from officehours.db import Database
from tests.lib.account_mail import text_of
from tests.lib.support import NOW, World
from tests.mailer.sink import SmtpSink

LA, KOLKATA, NEW_YORK = (
    ZoneInfo(z) for z in ("America/Los_Angeles", "Asia/Kolkata", "America/New_York")
)
# Wednesday 09:00 in Los Angeles, in the week of NOW: a free slot of A's coach X.
WEDNESDAY = datetime.combine(NOW.date() + timedelta(days=2), time(9), LA)
THURSDAY = WEDNESDAY + timedelta(days=1)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def slot_text(start: datetime, zone: ZoneInfo) -> str:
    s, e = start.astimezone(zone), (start + timedelta(hours=1)).astimezone(zone)
    return f"{s:%H:%M}\u2013{e:%H:%M}"  # an en dash, as the week page writes it


def save(client: FlaskClient, csrf: Any, **fields: str) -> Any:
    page = client.get("/account")
    return client.post("/account/profile", data={**fields, "csrf_token": csrf(page.text)})


def snapshot(db: Database) -> list[tuple[Any, ...]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT slug, email, display_name, time_zone, role::text FROM users ORDER BY slug"
        )
        return cur.fetchall()


def test_the_profile_shows_the_email_and_every_zone_of_the_database(
    as_a: FlaskClient, world: World
) -> None:
    page = as_a.get("/account").text
    assert "a@example.com" in page
    options = re.findall(r'<option value="([^"]+)"', page)
    known = accounts.time_zones(world.db)
    assert set(options) <= set(known) and len(options) > 300
    assert {"Asia/Kolkata", "Europe/London", "America/New_York", "UTC"} <= set(options)
    assert '<option value="Asia/Kolkata" selected>' in page
    assert '<optgroup label="Europe">' in page and '<optgroup label="America">' in page


def test_a_new_zone_changes_the_week_page_and_mail_not_the_calls(
    as_a: FlaskClient, world: World, csrf: Any, smtp_sink: SmtpSink
) -> None:
    week = as_a.get("/book").text
    assert "Times are in your time zone, Asia/Kolkata" in week
    assert slot_text(WEDNESDAY, KOLKATA) in week
    booked = booking.book(world.db, world.a, world.a, THURSDAY, now=NOW)
    with world.db.transaction() as cur:
        cur.execute("SELECT during, revision FROM appointments ORDER BY id")
        before = cur.fetchall()

    done = save(as_a, csrf, name="Ann Client", time_zone="America/New_York")
    assert done.status_code == 303
    assert "Your profile is saved" in as_a.get("/account").text
    week = as_a.get("/book").text
    assert "Times are in your time zone, America/New_York" in week
    assert slot_text(WEDNESDAY, NEW_YORK) in week and slot_text(WEDNESDAY, KOLKATA) not in week
    with world.db.transaction() as cur:
        cur.execute("SELECT during, revision FROM appointments ORDER BY id")
        assert cur.fetchall() == before  # the call is where it was
    call_page = as_a.get(f"/appointments/{booked.token}").text
    assert f"{THURSDAY.astimezone(NEW_YORK):%H:%M}" in call_page

    # The booking mail, sent now, is in the zone A has now, and so is its invite.
    mailer = Mailer(
        world.db,
        SmtpTransport(SmtpUrl.parse(smtp_sink.url), timeout=10),
        Composer("http://officehours.test", "officehours <noreply@officehours.test>"),
        clock=lambda: NOW,
    )
    mailer.deliver_due()
    mine = [m for m in smtp_sink.wait_for(2) if m.rcpt_tos == ["a@example.com"]]
    assert len(mine) == 1
    text = text_of(mine[0])
    assert "America/New_York" in text and "Asia/Kolkata" not in text
    assert f"{THURSDAY.astimezone(NEW_YORK):%H:%M}" in text
    invite = next(p for p in mine[0].message.walk() if p.get_content_type() == "text/calendar")
    assert "TZID=America/New_York" in invite.get_content()


def test_the_name_changes_everywhere(as_a: FlaskClient, world: World, csrf: Any) -> None:
    assert save(as_a, csrf, name="Ann Q. Client", time_zone="Asia/Kolkata").status_code == 303
    assert "Hello, Ann Q. Client" in as_a.get("/").text
    assert accounts.get_user(world.db, None, world.a).name == "Ann Q. Client"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"name": "Ann", "time_zone": "Mars/Olympus"}, 422, "Unknown time zone"),
        ({"name": "Ann", "time_zone": ""}, 422, "Unknown time zone"),
        ({"name": "Ann", "time_zone": "posix/Europe/London"}, 422, "Unknown time zone"),
        ({"name": "", "time_zone": "Asia/Kolkata"}, 422, "name"),
        ({"name": "x" * 201, "time_zone": "Asia/Kolkata"}, 422, "200"),
        ({"name": "Ann\u0007", "time_zone": "Asia/Kolkata"}, 422, "control"),
    ],
)
def test_bad_input_is_refused_next_to_the_field(
    as_a: FlaskClient, world: World, csrf: Any, fields: dict[str, str], status: int, message: str
) -> None:
    before = snapshot(world.db)
    response = save(as_a, csrf, **fields)
    assert response.status_code == status
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert snapshot(world.db) == before


def test_without_csrf_or_signed_out_nothing_changes(
    client: FlaskClient, world: World, login: Any
) -> None:
    before = snapshot(world.db)
    anonymous = client.post("/account/profile", data={"name": "Z", "time_zone": "UTC"})
    assert anonymous.status_code in (302, 400)
    login(client, world.a)
    forged = client.post("/account/profile", data={"name": "Z", "time_zone": "UTC"})
    assert forged.status_code == 400
    assert snapshot(world.db) == before


def test_the_database_lets_users_change_only_their_own_name_and_zone(world: World) -> None:
    before = snapshot(world.db)
    with pytest.raises(errors.Forbidden):
        accounts.update_user(world.db, world.a, world.b, "Bo", "UTC")
    with pytest.raises(errors.Forbidden):
        accounts.update_user(world.db, world.a, world.a, "Ann", "UTC", email="ann@example.com")
    with pytest.raises(errors.Forbidden):
        accounts.update_user(world.db, world.a, world.a, "Ann", "UTC", role="admin")
    with pytest.raises(errors.Forbidden):
        accounts.update_user(world.db, world.x, world.a, "Ann", "UTC")
    assert snapshot(world.db) == before
