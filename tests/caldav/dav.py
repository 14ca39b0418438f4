"""A CalDAV user's credentials and in-process requests to Radicale as that user."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from werkzeug.test import Client, TestResponse


@dataclass
class Login:
    """A user's CalDAV credentials."""

    slug: str
    email: str
    password: str

    @property
    def header(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.email}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


class Dav:
    """Requests to Radicale as one user."""

    def __init__(self, app: Any, login: Login) -> None:
        self.client = Client(app)
        self.login = login

    def __call__(
        self, method: str, path: str, body: str | bytes | None = None, **headers: str
    ) -> TestResponse:
        sent = {**self.login.header, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if body is not None and "Content-Type" not in sent:
            sent["Content-Type"] = (
                "text/calendar" if method == "PUT" else "application/xml; charset=utf-8"
            )
        return self.client.open(path, method=method, data=body, headers=sent)
