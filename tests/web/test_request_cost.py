"""What every request costs beyond its page: work that need not happen per request does not."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


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
