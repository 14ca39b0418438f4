"""What every request costs beyond its page: work that need not happen per request does not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from booking_web import timefmt
from officehours import booking
from officehours.db import Database
from tests.core.test_round_trips import CountingProxy
from tests.lib.support import NOW, World
from tests.web.conftest import make_app, sign_in_as


def test_a_signed_in_page_view_does_not_sign_and_send_the_cookie_again(
    client: FlaskClient, password: str, csrf: Any
) -> None:
    page = client.get("/signin")
    signed_in = client.post(
        "/signin",
        data={"email": "a@example.com", "password": password, "csrf_token": csrf(page.text)},
    )
    assert signed_in.status_code == 303
    assert "Expires=" in signed_in.headers["Set-Cookie"]  # a lasting cookie, as before
    # The server ends a session 30 days after it began whatever the cookie says, so moving the
    # cookie's expiry on every view would only cost a serialization, a signature and a header.
    again = client.get("/account")
    assert again.status_code == 200
    assert "Set-Cookie" not in again.headers
    assert client.get("/book").status_code == 200  # still signed in


@pytest.fixture
def counted_client(world: World) -> Iterator[tuple[FlaskClient, CountingProxy]]:
    """The website on a pool whose every message to PostgreSQL goes through a counting proxy,
    signed in as client A."""
    dsn = psycopg2.extensions.parse_dsn(world.db.url)
    proxy = CountingProxy(dsn.get("host", "127.0.0.1"), int(dsn.get("port", 5432)))
    db = Database(proxy.url(world.db.url), max_connections=2)
    try:
        with make_app(world, DATABASE=db).test_client() as client:
            sign_in_as(client, world.a)
            yield client, proxy
    finally:
        db.close()
        proxy.close()


FIRST = "2027-01-05T00:00:00+00:00"  # a free slot of coach X (16:00 Monday in Los Angeles)


def test_a_week_page_costs_two_round_trips(
    counted_client: tuple[FlaskClient, CountingProxy],
) -> None:
    client, proxy = counted_client
    assert client.get("/book?week=2027-01-11").status_code == 200  # the pool is open now
    before = proxy.queries
    page = client.get("/book?week=2027-01-11")
    assert page.status_code == 200 and "free times this week" in page.text
    # The signed-in user, then the coach, its rules and the week's slots in one statement:
    # each a transaction of one message, committed before PostgreSQL answers.
    assert proxy.queries - before == 2


def test_a_booking_post_costs_two_round_trips(
    counted_client: tuple[FlaskClient, CountingProxy], world: World
) -> None:
    client, proxy = counted_client
    assert client.get("/book/confirm", query_string={"start": FIRST}).status_code == 200
    before = proxy.queries
    response = client.post("/book", data={"start": FIRST, "csrf_token": f"csrf-{world.a}"})
    assert response.status_code == 303
    # The signed-in user, then book() with its commit: no read of the coach before booking.
    assert proxy.queries - before == 2


def test_a_move_and_a_cancel_cost_two_round_trips_each(
    counted_client: tuple[FlaskClient, CountingProxy], world: World
) -> None:
    client, proxy = counted_client
    # Outside the change cut-off: Wednesday and Thursday 09:00 in Los Angeles.
    first = datetime.fromisoformat("2027-01-06T17:00:00+00:00")
    call = booking.book(world.db, world.a, world.a, first, now=NOW)
    later = "2027-01-07T17:00:00+00:00"
    assert client.get(f"/appointments/{call.token}").status_code == 200  # the pool is open now
    csrf = f"csrf-{world.a}"
    # The signed-in user, then move() or cancel() with its commit, in one message: the coach's
    # lock, which they take, is held for no round trip.
    for path, form in (("move", {"start": later}), ("cancel", {})):
        before = proxy.queries
        done = client.post(f"/appointments/{call.token}/{path}", data={**form, "csrf_token": csrf})
        assert done.status_code == 303, (path, done.text)
        assert proxy.queries - before == 2, path


def test_the_availability_api_costs_two_round_trips(
    counted_client: tuple[FlaskClient, CountingProxy],
) -> None:
    client, proxy = counted_client
    url = "/api/v1/availability?from=2027-01-11T00:00:00Z&to=2027-01-18T00:00:00Z"
    assert client.get(url).status_code == 200  # the pool is open now
    before = proxy.queries
    answer = client.get(url)
    assert answer.status_code == 200 and answer.json and answer.json["slots"]
    # The signed-in user, then the client's coach and its free slots: the week page's one
    # statement.
    assert proxy.queries - before == 2


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2027, 1, 11, 8, 0, tzinfo=UTC),
        datetime(2027, 1, 11, 8, 0, 0, 250000, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2027, 11, 7, 1, 30, tzinfo=ZoneInfo("America/New_York"), fold=1),
        datetime(2027, 1, 11, 8, 0, tzinfo=ZoneInfo("Asia/Kolkata")),
    ],
)
def test_the_week_pages_encoder_of_an_instant_writes_what_url_for_writes(
    app: Flask, moment: datetime
) -> None:
    # The week page encodes each slot's start= value without quote(), which costs more.
    value = timefmt.instant_query_value(moment)
    assert value == timefmt.query_value(moment.isoformat())
    with app.test_request_context():
        link = url_for("booking.confirm", start=moment.isoformat())
    assert link == f"/book/confirm?start={value}"
