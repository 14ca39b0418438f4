"""Every route against every kind of visitor, with the status each must get.

Actors: anonymous, client A, client B (same coach X), client C (coach Y), coach X, coach Y, an
admin. A owns the call under test. No one but A, X and an admin may see or change it, and no
response carries a serial id.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from officehours import accounts, booking
from tests.lib.support import NOW, World
from tests.web.helpers import forget_cookies

ACTORS = ("anon", "a", "b", "c", "x", "y", "admin")
START = "2027-01-05T17:00:00Z"
LATER = "2027-01-06T18:00:00Z"


def _row(*statuses: int) -> dict[str, int]:
    return dict(zip(ACTORS, statuses, strict=True))


CLIENTS_ONLY = _row(302, 200, 200, 200, 403, 403, 403)
EVERYONE = _row(302, 200, 200, 200, 200, 200, 200)
HOME = _row(302, 200, 200, 200, 302, 302, 302)
COACHES = _row(302, 403, 403, 403, 200, 200, 403)
ADMINS = _row(302, 403, 403, 403, 403, 403, 200)
OWNERS = _row(302, 200, 404, 404, 200, 404, 200)

PAGES: list[tuple[str, dict[str, int]]] = [
    ("/", HOME),
    ("/book", CLIENTS_ONLY),
    ("/book?week=2027-01-11", CLIENTS_ONLY),
    (f"/book/confirm?start={START}", CLIENTS_ONLY),
    ("/appointments", EVERYONE),
    ("/appointments/{token}", OWNERS),
    ("/appointments/{token}.ics", OWNERS),
    ("/appointments/{token}/move", OWNERS),
    (f"/appointments/{{token}}/move/confirm?start={LATER}", OWNERS),
    ("/appointments/{token}/cancel", OWNERS),
    ("/calendar", EVERYONE),
    ("/account", EVERYONE),
    ("/coach/schedule", COACHES),
    ("/coach/hours", COACHES),
    ("/coach/clients", COACHES),
    ("/admin/users", ADMINS),
    ("/admin/assignments", ADMINS),
    ("/admin/rules", ADMINS),
    ("/signin", _row(*[200] * 7)),
]
API: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/me", _row(401, 200, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/availability", _row(401, 200, 200, 200, 200, 200, 409)),
    (
        "GET",
        f"/api/v1/availability?coach={{x}}&from={START}&to={LATER}",
        _row(401, 200, 200, 403, 200, 403, 200),
    ),
    ("GET", "/api/v1/appointments", _row(401, 200, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/appointments/{token}", _row(401, 200, 404, 404, 200, 404, 200)),
    ("GET", "/api/v1/appointments/{token}.ics", _row(401, 200, 404, 404, 200, 404, 200)),
    ("GET", "/api/v1/openapi.json", _row(*[200] * 7)),
]
# Writes that must be refused, changing nothing (0: allowed, not tried here). Anonymous form posts
# have no session, so no CSRF token: 400 before anything else.
WRITES_REFUSED: list[tuple[str, str, dict[str, int]]] = [
    ("POST", "/appointments/{token}/cancel", _row(400, 0, 404, 404, 0, 404, 0)),
    ("POST", "/appointments/{token}/move", _row(400, 0, 404, 404, 0, 404, 0)),
    ("PATCH", "/api/v1/appointments/{token}", _row(401, 0, 403, 403, 0, 403, 0)),
    ("DELETE", "/api/v1/appointments/{token}", _row(401, 0, 403, 403, 0, 403, 0)),
    ("POST", "/book", _row(400, 0, 0, 0, 403, 403, 403)),
    ("POST", "/api/v1/appointments", _row(401, 0, 0, 0, 409, 409, 409)),
    ("POST", "/coach/hours", _row(400, 403, 403, 403, 0, 0, 403)),
    ("POST", "/coach/exceptions", _row(400, 403, 403, 403, 0, 0, 403)),
    ("POST", "/admin/users", _row(400, 403, 403, 403, 403, 403, 0)),
    ("POST", "/admin/rules", _row(400, 403, 403, 403, 403, 403, 0)),
    ("POST", "/admin/assignments", _row(400, 403, 403, 403, 403, 403, 0)),
    ("POST", "/admin/users/{a}/active", _row(400, 403, 403, 403, 403, 403, 0)),
]
FORM = {
    "start": LATER,
    "months": "1",
    "day-1-0-start": "10:00",
    "day-1-0-end": "11:00",
    "on_date": "2027-02-01",
    "name": "monthly_limit",
    "value": "5",
    "email": "new@example.com",
    "role": "client",
    "time_zone": "UTC",
    "client": "{a}",
    "coach": "{y}",
    "active": "0",
}


def _snapshot(world: World) -> str:
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT (SELECT json_agg(a ORDER BY id) FROM appointments a),"
            " (SELECT json_agg(o ORDER BY id) FROM office_hours o),"
            " (SELECT json_agg(e ORDER BY id) FROM office_hours_exceptions e),"
            " (SELECT json_agg(r ORDER BY id) FROM business_rules r),"
            " (SELECT json_agg(c ORDER BY id) FROM coaching c),"
            " (SELECT json_agg(u.active ORDER BY id) FROM users u), (SELECT count(*) FROM users)"
        )
        return json.dumps(cur.fetchone(), default=str)


def _no_serial_ids(text: str, where: str) -> None:
    for link in re.findall(r'(?:href|action)="([^"]*)"', text):
        assert not re.search(r"/\d+(?:[/?.]|$)", link), (where, link)
    assert '"id":' not in text, where


def _client_for(app_client: FlaskClient, world: World, who: str, login: Any) -> dict[str, Any]:
    forget_cookies(app_client)
    headers: dict[str, str] = {}
    token = ""
    if who != "anon":
        slug = getattr(world, who)
        token = login(app_client, slug)
    return {"headers": headers, "csrf": token}


def test_authorization_matrix(client: FlaskClient, world: World, login: Any) -> None:
    call = booking.book(world.db, world.a, world.a, datetime.fromisoformat(START), now=NOW)
    names = {"token": call.token, "a": world.a, "x": world.x, "y": world.y}
    wrong: list[str] = []
    for who in ACTORS:
        state = _client_for(client, world, who, login)
        for path, expected in PAGES:
            url = path.format(**names)
            response = client.get(url)
            if response.status_code != expected[who]:
                wrong.append(f"{who} GET {url}: {response.status_code} != {expected[who]}")
            _no_serial_ids(response.text, url)
        for method, path, expected in API:
            url = path.format(**names)
            response = client.open(url, method=method)
            if response.status_code != expected[who]:
                wrong.append(f"{who} {method} {url}: {response.status_code} != {expected[who]}")
            if response.is_json:
                _no_serial_ids(response.text, url)
        before = _snapshot(world)
        for method, path, expected in WRITES_REFUSED:
            if expected[who] == 0:
                continue
            url = path.format(**names)
            form = {k: v.format(**names) for k, v in FORM.items()} | {"csrf_token": state["csrf"]}
            if url.startswith("/api/"):
                response = client.open(url, method=method, json={"start": LATER})
            else:
                response = client.open(url, method=method, data=form)
            if response.status_code != expected[who]:
                wrong.append(f"{who} {method} {url}: {response.status_code} != {expected[who]}")
        if _snapshot(world) != before:
            wrong.append(f"{who}: a refused write changed data")
    assert not wrong, "\n".join(wrong)
    assert accounts.get_user(world.db, None, world.a).active
