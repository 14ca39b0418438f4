"""Small helpers of the website tests around Flask's test client."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def json_of(response: TestResponse) -> Any:
    """The JSON body of a response (``response.json`` is None when the body is not JSON)."""
    body = response.json
    assert body is not None, f"not a JSON response: {response.status} {response.mimetype}"
    return body


def forget_cookies(client: FlaskClient) -> None:
    """Drops every cookie of the test client, as a browser that never visited the site."""
    assert client._cookies is not None, "the test client was made without cookies"
    client._cookies.clear()
