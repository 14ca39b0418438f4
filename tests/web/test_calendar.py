"""Calendar connections and the account page: feed URL, app passwords, API tokens."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from officehours import accounts, booking
from tests.lib.support import NOW, World
from tests.web.helpers import forget_cookies

FIRST = datetime.fromisoformat("2027-01-05T17:00:00+00:00")


def test_feed_url_made_replaced_and_revoked(
    as_a: FlaskClient, world: World, csrf: Any, login: Any
) -> None:
    call = booking.book(world.db, world.a, world.a, FIRST, now=NOW)
    page = as_a.get("/calendar")
    assert "You have no feed yet" in page.text
    token = csrf(page.text)
    made = as_a.post("/calendar/feed", data={"csrf_token": token})
    assert made.status_code == 201
    url = re.search(r"http://officehours\.test(/feed/[A-Za-z0-9_-]+\.ics)", made.text)
    assert url and "webcal://officehours.test/feed/" in made.text
    forget_cookies(as_a)
    feed = as_a.get(url.group(1))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert f"UID:{call.token}@officehours.test".encode() in feed.data
    assert b"X-WR-TIMEZONE:Asia/Kolkata" in feed.data
    token = login(as_a, world.a)
    assert "Your feed is on" in as_a.get("/calendar").text
    replaced = as_a.post("/calendar/feed", data={"csrf_token": token})
    assert as_a.get(url.group(1)).status_code == 404
    second = re.search(r"http://officehours\.test(/feed/[A-Za-z0-9_-]+\.ics)", replaced.text)
    assert second and as_a.get(second.group(1)).status_code == 200
    assert as_a.post("/calendar/feed/revoke", data={"csrf_token": token}).status_code == 303
    assert as_a.get(second.group(1)).status_code == 404
    assert as_a.get("/feed/" + "x" * 200 + ".ics").status_code == 404


def test_app_passwords(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.x)
    page = client.get("/calendar")
    assert "http://dav.officehours.test/" + world.x + "/" in page.text
    made = client.post("/calendar/app-passwords", data={"csrf_token": token, "label": "Phone"})
    assert made.status_code == 201
    secret = re.search(r'<code class="secret-value">([^<]+)</code>', made.text)
    assert secret
    assert accounts.user_for_app_password(world.db, "x@example.com", secret.group(1)) == world.x
    too_long = client.post(
        "/calendar/app-passwords", data={"csrf_token": token, "label": "x" * 101}
    )
    assert too_long.status_code == 422 and "label-error" in too_long.text
    handle = re.search(r"/calendar/app-passwords/([^/]+)/revoke", client.get("/calendar").text)
    assert handle
    revoke = client.post(
        f"/calendar/app-passwords/{handle.group(1)}/revoke", data={"csrf_token": token}
    )
    assert revoke.status_code == 303
    assert accounts.user_for_app_password(world.db, "x@example.com", secret.group(1)) is None
    again = client.post(
        f"/calendar/app-passwords/{handle.group(1)}/revoke", data={"csrf_token": token}
    )
    assert again.status_code == 400


def test_api_tokens(as_a: FlaskClient, world: World, csrf: Any) -> None:
    token = csrf(as_a.get("/account").text)
    made = as_a.post("/account/tokens", data={"csrf_token": token, "label": "script"})
    assert made.status_code == 201
    secret = re.search(r'<code class="secret-value">([^<]+)</code>', made.text)
    assert secret
    assert accounts.user_for_api_token(world.db, secret.group(1)) == world.a
    handle = re.search(r"/account/tokens/([^/]+)/revoke", as_a.get("/account").text)
    assert handle
    assert (
        as_a.post(
            f"/account/tokens/{handle.group(1)}/revoke", data={"csrf_token": token}
        ).status_code
        == 303
    )
    assert accounts.user_for_api_token(world.db, secret.group(1)) is None
