"""Behind reverse proxies (OFFICEHOURS_PROXIES), the client's address is the forwarded one."""

from __future__ import annotations

from typing import Any

import pytest
from flask import request

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1 http"), (1, "203.0.113.9 https")])
def test_forwarded_headers_are_trusted_only_behind_proxies(
    app_with: Any, proxies: int, seen: str
) -> None:
    app = app_with(PROXIES=proxies)

    @app.get("/_seen")
    def _seen() -> str:
        return f"{request.remote_addr} {request.scheme}"

    with app.test_client() as client:
        answer = client.get("/_seen", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.get_data(as_text=True) == seen
