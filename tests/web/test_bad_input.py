"""Bad input on the pages and the JSON API: a clear 4xx with our own message, never a 500, and
nothing changed (issue 8, finding 3). Each case is one that answered 500 before."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from officehours import booking
from officehours.errors import OfficeHoursError
from tests.lib.support import NOW, World
from tests.web.helpers import json_of

SLOT = "2027-01-05T17:00:00Z"  # 09:00 Tuesday in Los Angeles: a free slot of coach X
LATER = "2027-01-06T18:00:00Z"
FAR_YEARS = ("9999-12-31T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-23:59")
PG_WORDS = ("displacement", "out of range", "syntax for type", "psycopg2", "NUL", "Traceback")


def snapshot(world: World) -> str:
    """Every row a refused request could have changed, as the owner sees it."""
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT (SELECT json_agg(a ORDER BY id) FROM appointments a),"
            " (SELECT json_agg(u ORDER BY id) FROM users u),"
            " (SELECT json_agg(c ORDER BY id) FROM credentials c),"
            " (SELECT json_agg(r ORDER BY id) FROM business_rules r),"
            " (SELECT json_agg(o ORDER BY id) FROM office_hours o),"
            " (SELECT json_agg(e ORDER BY id) FROM office_hours_exceptions e),"
            " (SELECT json_agg(c ORDER BY id) FROM coaching c)"
        )
        return json.dumps(cur.fetchone(), default=str)


def ours(text: str) -> None:
    """The answer carries no text of PostgreSQL, psycopg2 or Python."""
    for word in PG_WORDS:
        assert word not in text, (word, text[:2000])


@pytest.fixture
def call(world: World) -> str:
    """A booked call of client A."""
    return booking.book(world.db, world.a, world.a, datetime.fromisoformat(SLOT), now=NOW).token


@pytest.mark.parametrize("start", FAR_YEARS)
def test_availability_with_a_year_out_of_range(
    client: FlaskClient, world: World, login: Any, start: str
) -> None:
    login(client, world.a)
    for name in ("from", "to"):
        response = client.get("/api/v1/availability", query_string={name: start})
        assert response.status_code == 400, (name, start)
        assert response.mimetype == "application/problem+json"
        body = json_of(response)
        assert body["code"] == "invalid_input" and body["field"] == name
        assert "1900" in body["detail"] and "2999" in body["detail"]


def test_week_pages_with_a_year_out_of_range(
    client: FlaskClient, world: World, login: Any, call: str
) -> None:
    login(client, world.a)
    for url in ("/book", f"/appointments/{call}/move"):
        for week in ("9999-12-31", "0001-01-01", "10000-01-01", "2027-W02-1", "20270111"):
            response = client.get(url, query_string={"week": week})
            assert response.status_code == 400, (url, week)
            assert "The week must be a date like 2027-01-11" in response.text


@pytest.mark.parametrize("start", FAR_YEARS)
def test_confirm_pages_and_posts_with_a_year_out_of_range(
    client: FlaskClient, world: World, login: Any, call: str, start: str
) -> None:
    token = login(client, world.a)
    before = snapshot(world)
    for method, url in (
        ("GET", "/book/confirm"),
        ("GET", f"/appointments/{call}/move/confirm"),
        ("POST", "/book"),
        ("POST", f"/appointments/{call}/move"),
    ):
        if method == "GET":
            response = client.get(url, query_string={"start": start})
        else:
            response = client.post(url, data={"start": start, "csrf_token": token})
        assert response.status_code == 400, (method, url, response.status_code)
        assert "years 1900 to 2999" in response.text, (method, url)
        ours(response.text)
    assert snapshot(world) == before


NOT_MONTHS = ["\u00b2", "\u0663", "\uff13", "+3", "3.0", "03x", "0", "13", "1" * 40]


def test_months_are_ascii_digits_only(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.a)
    before = snapshot(world)
    for months in NOT_MONTHS:
        form = {"start": SLOT, "months": months, "csrf_token": token}
        response = client.post("/book", data=form)
        assert response.status_code == 400, repr(months)
        assert "Choose how many months, from 1 to 12" in response.text
    assert snapshot(world) == before


def test_an_offset_the_database_refuses_gets_our_message_in_the_api(
    client: FlaskClient, world: World, login: Any, call: str
) -> None:
    login(client, world.a)
    before = snapshot(world)
    for method, url in (
        ("POST", "/api/v1/appointments"),
        ("PATCH", f"/api/v1/appointments/{call}"),
    ):
        for start in (*FAR_YEARS, "2027-01-05T17:00:00+15:00", "2027-01-05T17:00:00+05:30:15"):
            response = client.open(url, method=method, json={"start": start})
            assert response.status_code == 400, (method, start, response.text)
            body = json_of(response)
            assert body["code"] == "invalid_input" and body["field"] == "start"
            ours(response.text)
    assert snapshot(world) == before


NUL = "a\x00b"


def test_nul_bytes_in_the_api_and_the_admin_forms(
    client: FlaskClient, world: World, login: Any
) -> None:
    login(client, world.a)
    response = client.get("/api/v1/availability", query_string={"coach": NUL})
    assert response.status_code == 400 and json_of(response)["field"] == "coach"
    token = login(client, world.admin)
    before = snapshot(world)
    user_form = {
        "email": "d@example.com",
        "name": "Dee",
        "role": "client",
        "time_zone": "UTC",
        "password": "a good long one",
    }
    posts: list[tuple[str, dict[str, str]]] = [
        ("/admin/users", user_form),
        ("/admin/assignments", {"client": world.a, "coach": world.y}),
        ("/admin/rules", {"name": "monthly_limit", "value": "3"}),
        ("/admin/rules", {"name": "monthly_limit", "value": "3", "coach": world.x}),
        ("/admin/rules/unset", {"name": "monthly_limit", "coach": world.x}),
        (f"/admin/users/{world.c}/active", {"active": "0"}),
    ]
    for url, form in posts:
        for field in form:
            data = {**form, field: form[field] + "\x00", "csrf_token": token}
            response = client.post(url, data=data)
            assert response.status_code == 400, (url, field, response.status_code)
            assert "NUL" not in response.text and "control character" in response.text
    for url in ("/admin/rules", "/admin/users"):
        response = client.get(url, query_string={"coach": NUL})
        assert response.status_code == 400, url
    assert snapshot(world) == before


def test_nul_bytes_in_labels(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.a)
    before = snapshot(world)
    for url in ("/account/tokens", "/calendar/app-passwords"):
        response = client.post(url, data={"label": "phone\x00", "csrf_token": token})
        assert response.status_code == 400, url
        assert "label: remove the control character (a zero byte)" in response.text
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "target",
    [
        "/\r\nX-Injected: yes",
        "/\nX-Injected: yes",
        "/\t/evil.example",
        "/%0d%0aX-Injected:%20yes",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/é",
        "/" + "a" * 3000,
    ],
)
def test_the_next_url_is_a_safe_local_path(
    client: FlaskClient, world: World, csrf: Any, password: str, target: str
) -> None:
    page = client.get("/signin", query_string={"next": target})
    assert page.status_code == 200
    assert "X-Injected" not in page.text and "evil.example" not in page.text
    response = client.post(
        "/signin",
        data={
            "email": "a@example.com",
            "password": password,
            "next": target,
            "csrf_token": csrf(page.text),
        },
    )
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"] == "/"
    assert "X-Injected" not in response.headers


def test_a_zero_byte_in_the_next_url_is_refused(client: FlaskClient) -> None:
    page = client.get("/signin", query_string={"next": "/a\x00b"})
    assert page.status_code == 400
    assert "next: remove the control character (a zero byte)" in page.text


def test_a_safe_next_url_is_kept(
    client: FlaskClient, world: World, csrf: Any, password: str
) -> None:
    target = "/book?week=2027-01-11&x=%C3%A9"
    page = client.get("/signin", query_string={"next": target})
    response = client.post(
        "/signin",
        data={
            "email": "a@example.com",
            "password": password,
            "next": target,
            "csrf_token": csrf(page.text),
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == target


def test_raw_database_text_never_reaches_a_user(world: World) -> None:
    """A data exception of PostgreSQL becomes our invalid_input, with our words; the database's
    own text stays on the exception's cause for the logs."""
    with pytest.raises(OfficeHoursError) as caught:
        with world.db.transaction() as cur:
            cur.execute("SELECT '2027-01-05 17:00:00-23:59'::timestamptz")
    error = caught.value
    assert error.code == "invalid_input"
    assert "displacement" not in error.message
    assert "displacement" in str(error.__cause__)


def test_http_errors_carry_our_words(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.a)
    cases = [
        ("GET", "/no/such/page", None, 404, "There is nothing at this address."),
        ("GET", "/api/v1/no/such", None, 404, "There is nothing at this address."),
        ("PATCH", "/api/v1/me", None, 405, "This address does not take that method."),
        ("POST", "/account/tokens", {"label": "y" * 70_000}, 413, "The request is too large."),
    ]
    for method, url, data, status, words in cases:
        if data is not None:
            data = {**data, "csrf_token": token}
        response = client.open(url, method=method, data=data)
        assert response.status_code == status, url
        assert words in response.text, (url, response.text[:500])
        for werkzeug_words in ("requested URL", "capacity limit", "not allowed for the"):
            assert werkzeug_words not in response.text, url
