"""Escaping of user-supplied text, CSRF tokens on forms, and the security headers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from officehours import accounts, booking
from tests.lib.support import NOW, World
from tests.web.helpers import json_of

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
START = datetime.fromisoformat("2027-01-05T17:00:00+00:00")


def _rename_everyone(world: World) -> None:
    with world.db.transaction() as cur:
        cur.execute("UPDATE users SET display_name = %s || ' ' || display_name", (EVIL,))


def test_names_are_plain_text_everywhere(client: FlaskClient, world: World, login: Any) -> None:
    _rename_everyone(world)
    call = booking.book(world.db, world.a, world.a, START, now=NOW)
    accounts.create_api_token(world.db, None, world.a, EVIL)
    accounts.create_app_password(world.db, None, world.x, EVIL)
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source, source_ref) SELECT id, "
            "tstzrange(%s, %s + interval '1 hour'), 'caldav', %s FROM users WHERE slug = %s",
            (START, START, EVIL, world.x),
        )
    pages = {
        world.a: [
            "/",
            "/book",
            "/appointments",
            f"/appointments/{call.token}",
            "/account",
            f"/appointments/{call.token}/cancel",
            f"/appointments/{call.token}/move",
            "/calendar",
        ],
        world.x: ["/coach/schedule", "/coach/clients", "/calendar", "/appointments"],
        world.admin: ["/admin/users", "/admin/assignments", "/admin/rules"],
    }
    for slug, urls in pages.items():
        login(client, slug)
        for url in urls:
            page = client.get(url)
            assert page.status_code == 200, url
            assert EVIL not in page.text, url
            assert "<script>" not in page.text.replace(
                '<script src="/static/week.js" defer></script>', ""
            ), url
            assert ESCAPED in page.text, url
        api = client.get("/api/v1/appointments")
        assert EVIL not in api.text or api.json is not None
        for item in json_of(api)["appointments"]:
            assert item["coach"]["name"].startswith(EVIL)
        assert json_of(client.get("/api/v1/me"))["name"].startswith(EVIL)
    login(client, world.a)
    ics = client.get(f"/appointments/{call.token}.ics").data.decode()
    assert "SUMMARY:Coaching call: <script>alert(1)</script> Ann Client with" in ics


def test_forms_without_csrf_token_change_nothing(
    client: FlaskClient, world: World, login: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, START, now=NOW)
    posts = {
        world.a: [
            (f"/appointments/{call.token}/cancel", {}),
            (f"/appointments/{call.token}/move", {"start": "2027-01-06T18:00:00+00:00"}),
            ("/book", {"start": "2027-01-07T18:00:00+00:00"}),
            ("/account/password", {"current_password": "x", "new_password": "y" * 12}),
            ("/account/tokens", {"label": "t"}),
            ("/calendar/feed", {}),
            ("/signout", {}),
        ],
        world.x: [("/coach/hours", {}), ("/coach/exceptions", {"on_date": "2027-02-01"})],
        world.admin: [
            ("/admin/rules", {"name": "monthly_limit", "value": "9"}),
            ("/admin/users", {"name": "N", "email": "n@example.com", "role": "client"}),
            (f"/admin/users/{world.a}/active", {"active": "0"}),
        ],
    }

    def snapshot() -> Any:
        with world.db.transaction() as cur:
            cur.execute(
                "SELECT (SELECT json_agg(a) FROM appointments a), (SELECT count(*) FROM users),"
                " (SELECT json_agg(r) FROM business_rules r), (SELECT count(*) FROM credentials),"
                " (SELECT count(*) FROM feed_tokens), (SELECT json_agg(o) FROM office_hours o),"
                " (SELECT bool_and(active) FROM users)"
            )
            return cur.fetchone()

    before = snapshot()
    for slug, forms in posts.items():
        token = login(client, slug)
        for url, form in forms:
            for bad in ({}, {"csrf_token": "wrong"}, {"csrf_token": token + "x"}):
                response = client.post(url, data={**form, **bad})
                assert response.status_code == 400, url
                assert "csrf_failed" in response.text
        assert client.get("/calendar").status_code == 200  # still signed in
    assert snapshot() == before


def test_security_headers_on_every_response(client: FlaskClient, world: World, login: Any) -> None:
    login(client, world.a)
    for url in ("/", "/book", "/signin", "/static/style.css", "/api/v1/me", "/nope", "/api/v1/x"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/book").headers["Cache-Control"] == "no-store, no-cache"


def test_no_inline_scripts_or_styles(client: FlaskClient, world: World, login: Any) -> None:
    login(client, world.a)
    for url in ("/", "/book", "/appointments", "/account", "/calendar"):
        text = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert "<style" not in text and " style=" not in text and " on" + "click=" not in text
