"""Radicale auth (``[auth] type = caldav_plugin.auth``): an email address and an app password.

App passwords are made on the website or with ``officehours app-password create``; PostgreSQL
keeps only their hashes. The login is the email, but Radicale's user is the principal's slug,
so paths never carry an email address.

Failed app passwords are limited per email-and-IP and per IP (``officehours.signin``). Radicale
can only answer a failed login with 401, so ``guard`` wraps its WSGI application: it answers
an ``Authorization: Basic`` header that is no email:password pair (no colon, empty, not base64
or UTF-8, control characters) with 401 and our message before Radicale parses it (Radicale
would raise, and answer 500), and turns the 401 of a limited login into 429 with Retry-After.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from radicale import auth, config

from caldav_plugin.options import Options
from officehours import errors, signin

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

REALM = 'Basic realm="officehours", charset="UTF-8"'
MALFORMED = (
    "Sign in with your email address and an app password (made on the website, under "
    "Calendar): this Authorization header holds no such pair."
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class _Limit:
    """What the login of the request in hand learnt about the limits: seconds to wait."""

    retry_after: int | None = None
    message: str = ""


# One per request: set by guard around Radicale, filled by Auth in the same thread.
_limit: contextvars.ContextVar[_Limit | None] = contextvars.ContextVar("caldav_limit", default=None)


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(email, password) of an ``Authorization: Basic`` value, or None when it holds no
    usable pair: not base64, not UTF-8, no colon, an empty side, or a control character."""
    value = header[len("Basic") :].strip()
    try:
        text = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error):
        return None
    login, colon, password = text.partition(":")
    if not colon or not login.strip() or not password or _CONTROL.search(login + password):
        return None
    return login, password


def _answer(
    start_response: Callable[..., Any], status: str, text: str, headers: list[tuple[str, str]]
) -> list[bytes]:
    body = (text + "\n").encode()
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
    )
    return [body]


def guard(app: WsgiApp) -> WsgiApp:
    """Wraps Radicale's WSGI application (see the module's docstring)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        # Radicale reads the header when it starts with exactly "Basic", so the guard does too.
        if header.startswith("Basic") and basic_credentials(header) is None:
            return _answer(
                start_response, "401 Unauthorized", MALFORMED, [("WWW-Authenticate", REALM)]
            )
        limit = _Limit()
        kept: list[Any] = []

        def later(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept[:] = [status, headers, exc_info]
            return lambda data: None  # Radicale never writes through it

        token = _limit.set(limit)
        try:
            answer = app(environ, later)
            # Radicale's answers are short lists already; reading them here lets an app that
            # starts its response lazily work too.
            try:
                body = list(answer)
            finally:
                if hasattr(answer, "close"):
                    answer.close()
        finally:
            _limit.reset(token)
        status, headers, exc_info = kept
        if limit.retry_after and status.startswith("401"):
            retry = [("Retry-After", str(limit.retry_after))]
            return _answer(start_response, "429 Too Many Requests", limit.message, retry)
        start_response(status, headers, exc_info)
        return body

    return wrapped


class Auth(auth.BaseAuth):
    """Checks an email and app password against PostgreSQL, under the sign-in limits."""

    def __init__(self, configuration: config.Configuration) -> None:
        super().__init__(configuration)
        options = Options.from_configuration(configuration)
        self._db = options.database()
        self._clock = options.clock

    def _login_ext(self, login: str, password: str, context: auth.AuthContext) -> str:
        """The slug of the active user with this email and app password, or "" when none (or
        while the limits hold back this login: guard then answers 429)."""
        login = login.strip()
        if not login or not password or _CONTROL.search(login + password):
            return ""
        try:
            return (
                signin.app_password_user(
                    self._db, login, password, context.remote_addr or "unknown", self._clock
                )
                or ""
            )
        except errors.TooManyAttempts as exc:
            limit = _limit.get()
            if limit is not None:
                limit.retry_after, limit.message = exc.retry_after, exc.message
            return ""
