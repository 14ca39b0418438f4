"""While the database cannot serve, CalDAV answers 503 with Retry-After, never 500 or 403.

The storage used to report every database error as "403 Permission denied" when it came while
making a calendar, and as a 500 anywhere else, an outage included; a calendar app then gives up
on the account instead of trying again. The outage here is real: a PostgreSQL server of the
test's own (not the session's shared one) stopped with ``pg_ctl stop -m fast`` and started
again; the timeouts are PostgreSQL's own ``lock_timeout`` and ``statement_timeout``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import pytest
from psycopg2 import sql

from caldav_plugin import session
from caldav_plugin.service import make_app
from officehours import accounts, errors
from officehours.db import Database
from officehours.migrations import migrate
from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login
from tests.lib.restartable import RestartablePostgres
from tests.lib.support import NOW, admin_execute


@pytest.fixture
def own_server() -> Iterator[RestartablePostgres]:
    """A PostgreSQL server for this test alone, in a folder under /tmp, deleted afterwards."""
    server = RestartablePostgres()
    try:
        yield server
    finally:
        server.remove()


def _answers(dav: Dav, me: str) -> dict[str, Any]:
    """One request of each kind a calendar app makes, with what it answered."""
    cal = f"/{me}/busy/"
    event = h.event("outage", "20270106T170000Z", "20270106T180000Z")
    return {
        "PROPFIND principal": dav("PROPFIND", f"/{me}/", h.propfind("D:displayname"), Depth="1"),
        "PROPFIND calendar": dav("PROPFIND", cal, h.propfind("D:getetag"), Depth="1"),
        "REPORT sync": dav("REPORT", cal, h.sync_collection(), Depth="1"),
        "REPORT time-range": dav(
            "REPORT", cal, h.time_range_query("20270101T000000Z", "20270201T000000Z")
        ),
        "GET calendar": dav("GET", cal),
        "GET item": dav("GET", cal + "a.ics"),
        "PUT": dav("PUT", cal + "outage.ics", event),
        "DELETE": dav("DELETE", cal + "a.ics"),
        "PROPPATCH": dav("PROPPATCH", cal, h.set_blocking("false")),
        "MKCALENDAR": dav("MKCALENDAR", f"/{me}/new/", h.mkcalendar("New")),
        "OPTIONS": dav("OPTIONS", cal),
    }


def test_postgresql_stopped_answers_503_and_service_comes_back(
    own_server: RestartablePostgres,
) -> None:
    url = own_server.url
    migrate(url)
    db = Database(url, max_connections=2)
    try:
        slug = accounts.add_user(db, None, "x@example.com", "Xavier Coach", "coach", "UTC")
        _, secret = accounts.create_app_password(db, None, slug, "tests")
    finally:
        db.close()
    dav = Dav(
        make_app(url, {"storage": {"clock": NOW.isoformat()}}), Login(slug, "x@example.com", secret)
    )
    cal = f"/{slug}/busy/"
    assert (
        dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z")).status_code
        == 201
    )

    own_server.stop()
    during = _answers(dav, slug)
    assert {name: r.status_code for name, r in during.items()} == dict.fromkeys(during, 503)
    # The website's answer for the same fault: one message and one wait, whichever layer saw it.
    unavailable = errors.DatabaseUnavailable()
    for r in during.values():
        assert r.headers["Retry-After"] == str(unavailable.retry_after)
        assert r.get_data(as_text=True) == unavailable.message + "\n"

    own_server.start()
    back = dav("PROPFIND", f"/{slug}/", h.propfind("D:displayname"), Depth="1")
    assert back.status_code == 207
    assert h.hrefs(dav("PROPFIND", cal, h.propfind("D:getetag"), Depth="1").data) == [
        cal,
        cal + "a.ics",
    ]


def _set(db_url: str, setting: str, value: str) -> None:
    """Sets a PostgreSQL setting for every new session of the test's database."""
    name = urlsplit(db_url).path.lstrip("/")
    admin_execute(
        db_url,
        sql.SQL("ALTER DATABASE {} SET {} = {}").format(
            sql.Identifier(name), sql.Identifier(setting), sql.Literal(value)
        ),
    )


@pytest.fixture
def holder(db_url: str) -> Iterator[Any]:
    """A connection of another process, whose transaction holds locks until the test ends."""
    conn = psycopg2.connect(db_url)
    try:
        yield conn
    finally:
        conn.close()


@pytest.mark.parametrize("setting", ["lock_timeout", "statement_timeout"])
def test_a_wait_for_the_owners_lock_that_runs_out_answers_503(
    db_url: str, coach: Login, holder: Any, setting: str
) -> None:
    _set(db_url, setting, "300ms")
    dav = Dav(make_app(db_url, {"storage": {"clock": NOW.isoformat()}}), coach)
    cal = f"/{coach.slug}/busy/"
    event = h.event("wait", "20270105T170000Z", "20270105T180000Z")
    session.lock_owner(holder.cursor(), coach.slug)

    r = dav("PUT", cal + "wait.ics", event)
    assert r.status_code == 503 and r.headers["Retry-After"] == str(errors.Busy.retry_after)
    assert r.get_data(as_text=True) == errors.Busy().message + "\n"

    holder.rollback()
    assert dav("PUT", cal + "wait.ics", event).status_code == 201


def test_a_lock_wait_while_making_a_calendar_is_503_not_403(
    db_url: str, coach: Login, holder: Any
) -> None:
    _set(db_url, "lock_timeout", "300ms")
    dav = Dav(make_app(db_url, {"storage": {"clock": NOW.isoformat()}}), coach)
    assert dav("PROPFIND", f"/{coach.slug}/", Depth="0").status_code == 207
    # Another process is making the same calendar and has not committed yet.
    with holder.cursor() as cur:
        cur.execute(
            "INSERT INTO caldav_collections (owner_id, name, props) "
            "SELECT id, 'team', '{}' FROM users WHERE slug = %s",
            (coach.slug,),
        )

    r = dav("MKCALENDAR", f"/{coach.slug}/team/", h.mkcalendar("Team"))
    assert r.status_code == 503 and r.headers["Retry-After"] == str(errors.Busy.retry_after)
    assert r.get_data(as_text=True) == errors.Busy().message + "\n"

    holder.rollback()
    assert dav("MKCALENDAR", f"/{coach.slug}/team/", h.mkcalendar("Team")).status_code == 201
