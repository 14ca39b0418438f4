"""No stored value can take a generated calendar, or the principal that lists it, offline.

A row that ``ics`` cannot build an item from (an address or a zone it refuses) once made the
coach's ``appointments/`` answer 500 to PROPFIND, REPORT and GET, and the principal's PROPFIND
too, so a calendar app's account discovery failed. Now the item is left out and logged with
its appointment's token, and everything else is served.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg2 import sql

from caldav_plugin.service import make_app
from officehours import booking
from officehours.db import Database
from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login
from tests.lib.support import NOW, World

# Tuesday 5 January 2027, 09:00 in Los Angeles: coach X's first slot after the minimum notice.
SLOT = datetime(2027, 1, 5, 17, 0, tzinfo=UTC)


def poison(db: Database, slug: str, column: str, value: str) -> None:
    """Stores in ``users`` a value its CHECK constraints refuse, as a row stored before a
    stricter rule would be.

    The database refuses such a value (that is the point of the shared address rule), so the
    test goes around it as the owner, reproducibly and in the test's own database: every CHECK
    of ``users`` (and the zone rule, a foreign key to ``time_zones``) is dropped for one
    UPDATE and added back NOT VALID, so the rules hold again
    for every other row and change while the poisoned row stays. Triggers still fire (unlike
    ``session_replication_role = replica``), so the generated calendars are marked stale as
    they are by any real change. A value that ``ics`` refuses whatever its address rule is:
    no "@" at all, or a zone that does not exist.
    """
    with db.transaction() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'users'::regclass "
            "AND (contype = 'c' OR conname = 'user_time_zone_valid')"
        )
        checks = cur.fetchall()
        for name, _ in checks:
            cur.execute(
                sql.SQL("ALTER TABLE users DROP CONSTRAINT {}").format(sql.Identifier(name))
            )
        cur.execute(
            sql.SQL("UPDATE users SET {} = %s WHERE slug = %s").format(sql.Identifier(column)),
            (value, slug),
        )
        for name, definition in checks:
            cur.execute(
                sql.SQL("ALTER TABLE users ADD CONSTRAINT {} {} NOT VALID").format(
                    sql.Identifier(name), sql.SQL(definition)
                )
            )


def _two_calls(world: World) -> tuple[str, str]:
    """Books a call for client A and one for client B, both with coach X; their tokens."""
    a = booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    b = booking.book(world.db, world.b, world.b, SLOT + timedelta(hours=1), now=NOW)
    return a.token, b.token


def test_an_address_ics_refuses_leaves_out_one_call_and_serves_the_rest(
    dav: Dav, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    poisoned, fine = _two_calls(world)
    poison(world.db, world.a, "email", "ann at example")
    me, cal = world.x, f"/{world.x}/appointments/"

    principal = dav("PROPFIND", f"/{me}/", h.propfind("D:displayname"), Depth="1")
    assert principal.status_code == 207
    assert f"/{me}/appointments/" in h.hrefs(principal.data)
    report = dav("REPORT", cal, h.time_range_query("20270101T000000Z", "20270201T000000Z"))
    assert report.status_code == 207
    assert h.hrefs(report.data) == [f"{cal}{fine}.ics"]
    listing = dav("PROPFIND", cal, h.propfind("D:getetag"), Depth="1")
    assert listing.status_code == 207 and h.hrefs(listing.data) == [cal, f"{cal}{fine}.ics"]
    whole = dav("GET", cal)
    assert whole.status_code == 200
    text = whole.get_data(as_text=True)
    assert "Bo Client" in text and "Ann Client" not in text
    assert poisoned in caplog.text and "left out" in caplog.text

    # Once the address is mended, the call is back at the next request.
    with world.db.transaction() as cur:
        cur.execute("UPDATE users SET email = 'a@example.com' WHERE slug = %s", (world.a,))
    back = dav("REPORT", cal, h.time_range_query("20270101T000000Z", "20270201T000000Z"))
    assert h.hrefs(back.data) == sorted([f"{cal}{poisoned}.ics", f"{cal}{fine}.ics"])


def test_a_call_that_was_built_before_keeps_its_last_version(
    dav: Dav, app: Any, client_a: Login, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    poisoned, _ = _two_calls(world)
    cal = f"/{world.x}/appointments/"
    before = dav("GET", f"{cal}{poisoned}.ics")
    assert before.status_code == 200
    poison(world.db, world.a, "display_name", "Ann\x01Client")
    after = dav("GET", f"{cal}{poisoned}.ics")
    assert after.status_code == 200 and after.data == before.data
    assert poisoned in caplog.text

    # The client's own principal and calendar answer too, in XML a calendar app can read
    # (a control character has no place in XML 1.0).
    client = Dav(app, client_a)
    me = world.a
    principal = client("PROPFIND", f"/{me}/", h.propfind("D:displayname"), Depth="1")
    assert principal.status_code == 207
    assert h.hrefs(principal.data) == [f"/{me}/", f"/{me}/appointments/"]
    assert h.prop(principal.data, "D:displayname").startswith("Ann")
    assert client("GET", f"/{me}/appointments/").status_code == 200


def test_a_zone_nothing_knows_serves_office_hours_as_last_built(
    dav: Dav, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    _two_calls(world)
    me = world.x
    hours = dav("GET", f"/{me}/office-hours/")
    assert hours.status_code == 200
    poison(world.db, me, "time_zone", "Nowhere/Atlantis")

    principal = dav("PROPFIND", f"/{me}/", h.propfind("D:displayname", "CS:getctag"), Depth="1")
    assert principal.status_code == 207
    assert len(h.hrefs(principal.data)) == 4
    again = dav("GET", f"/{me}/office-hours/")
    assert again.status_code == 200 and again.data == hours.data
    assert dav("GET", f"/{me}/appointments/").status_code == 200
    assert "not rebuilt" in caplog.text


def test_recurring_busy_time_that_cannot_be_extended_does_not_stop_the_coachs_requests(
    db_url: str, dav: Dav, coach: Login, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    ref = h.put_weekly(dav, world.x)
    before = h.busy_until(world.db, ref)
    poison(world.db, world.x, "time_zone", "Nowhere/Atlantis")
    # Ten weeks on, every request of the coach first extends their recurring busy time.
    later = Dav(make_app(db_url, {"storage": {"clock": h.LATER.isoformat()}}), coach)
    principal = later("PROPFIND", f"/{world.x}/", h.propfind("D:displayname"), Depth="1")
    assert principal.status_code == 207
    assert later("GET", ref).status_code == 200
    assert h.busy_until(world.db, ref) == before
    assert "not extended" in caplog.text
