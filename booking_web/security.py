"""Security on every request: who is signed in, CSRF tokens on forms, and response headers."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Response, g, request, session

from booking_web.context import db
from officehours import accounts, errors
from officehours.errors import CsrfFailed

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's CSRF token (made on first use); every form carries it."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _load_user() -> None:
    """Sets g.user from the session, or (JSON API only) from a bearer token."""
    g.user = None
    g.via_token = False
    slug: str | None = None
    header = request.headers.get("Authorization", "")
    if _is_api() and header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise errors.NotSignedIn("Use Authorization: Bearer <token>.")
        slug = accounts.user_for_api_token(db(), secret.strip())
        if slug is None:
            raise errors.NotSignedIn("That API token is not valid.")
        g.via_token = True
    else:
        stored = session.get("user")
        slug = stored if isinstance(stored, str) else None
    if slug is None:
        return
    try:
        g.user = accounts.get_user(db(), slug, slug)
    except errors.OfficeHoursError:
        # Deactivated or removed since signing in: the session no longer names a user.
        session.pop("user", None)


def _check_csrf() -> None:
    """Refuses a form post without the session's token. The JSON API is exempt: it needs a
    bearer token or a JSON body, which no cross-site form can send."""
    if request.method not in UNSAFE_METHODS or _is_api():
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if g.get("user") is not None or _is_api():
        response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    """Installs the request hooks and the csrf_token template global."""
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"user": g.get("user")})
