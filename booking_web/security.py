"""Security on every request: who is signed in, CSRF tokens on forms, and response headers.

Sessions are signed cookies, so the server cannot delete one. Instead each session carries a
stamp of the password it was made with (``session_stamp``), and every request that loads the
signed-in user compares it with the current password's: changing a password (on the account
page, by an admin, or with ``officehours user password``) ends every session made with the old
one. The session that changed it is handed the new stamp and stays signed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import Flask, Response, current_app, g, request, session

from booking_web import queries
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


def password_stamp(password_hash: str | None) -> bytes:
    """What the SQL function password_stamp() returns for a user with this stored hash."""
    return hashlib.sha256((password_hash or "").encode()).digest()


def session_stamp(slug: str, stamp: bytes) -> str:
    """What a session of ``slug`` keeps to show which password it was made with: a truncated HMAC,
    under the app's secret key, of the database's password stamp. It reveals nothing of the
    hash, and no one without the secret key can make one for another password."""
    key = current_app.secret_key
    key_bytes = key.encode() if isinstance(key, str) else bytes(key or b"")
    message = b"officehours session\0" + slug.encode() + b"\0" + stamp
    digest = hmac.new(key_bytes, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def start_session(slug: str, password_hash: str | None) -> None:
    """Signs ``slug`` in from a fresh session (and CSRF token): no session fixation."""
    session.clear()
    session["user"] = slug
    session["stamp"] = session_stamp(slug, password_stamp(password_hash))
    session.permanent = True


def keep_session(slug: str, password_hash: str) -> None:
    """Keeps this session signed in after its user's password became ``password_hash``."""
    session["stamp"] = session_stamp(slug, password_stamp(password_hash))


def _end_session() -> None:
    session.pop("user", None)
    session.pop("stamp", None)


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
        found, stamp = queries.signed_in(db(), slug)
    except (errors.DatabaseUnavailable, errors.Busy):
        raise  # the database is away or busy: that ends no session (the visitor gets a 503)
    except errors.OfficeHoursError:
        # Deactivated or removed since signing in: the session no longer names a user.
        _end_session()
        return
    if not g.via_token:
        # A bearer token is a credential of its own; a session lasts only as long as the
        # password it was made with (and a session without a stamp is older than that rule).
        kept = session.get("stamp")
        if (
            stamp is None
            or not isinstance(kept, str)
            or not hmac.compare_digest(kept.encode(), session_stamp(slug, stamp).encode())
        ):
            _end_session()
            return
    g.user = found


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
