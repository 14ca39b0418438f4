"""Security on every request: who is signed in, CSRF tokens on forms, and response headers.

Sessions live in PostgreSQL (``officehours.signin``, ``web_sessions``): the cookie, signed by
Flask, holds a random session secret (and the CSRF token), and every request asks the database
whose live session that secret is. So signing out, a new password, deactivation and "sign out
everywhere" end every copy of a cookie at once, and sessions also end when idle or old.

Why a table of sessions rather than a per-user session generation: it ends one session when
its browser signs out (a generation would sign out every device of the user), keeps the user's
identity out of the cookie, and puts idle and absolute lifetimes on the server, where a copied
cookie cannot extend them.

The session cookie is Secure, and HSTS is sent, when the base URL is https://.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Flask, Response, current_app, g, request, session

from booking_web.context import db, rules_now
from officehours import errors, signin
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
# A year: long enough for browsers to keep it, as hstspreload.org asks at the least.
HSTS = "max-age=31536000"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The key of the session secret in Flask's (signed) cookie; the keys of cookies from before
# sessions lived in the database, dropped when seen.
SESSION_KEY = "sid"
OLD_KEYS = ("user", "stamp")


def csrf_token() -> str:
    """The session's CSRF token (made on first use); every form carries it."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def remote() -> str:
    """The client's IP address, as the limits on failed sign-ins key it."""
    return request.remote_addr or "unknown"


def start_session(slug: str) -> None:
    """Signs ``slug`` in (their password was just checked) in a fresh session, with a fresh
    CSRF token: no session fixation. Raises NotSignedIn when the user is not active."""
    secret = signin.open_session(db(), slug, rules_now())
    session.clear()
    session[SESSION_KEY] = secret
    session.permanent = True
    csrf_token()  # made now, so the pages that follow need not send the cookie again


def end_session() -> None:
    """Signs out: ends this session in the database, so every copy of the cookie stops working."""
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str):
        signin.end_session(db(), secret, rules_now())
    session.clear()


def _forget_session() -> None:
    """Drops a session the database no longer knows (the CSRF token stays, so a form posted
    with it is answered "sign in again" rather than "form expired")."""
    for key in (SESSION_KEY, *OLD_KEYS):
        session.pop(key, None)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _load_user() -> None:
    """Sets g.user from the session, or (JSON API only) from a bearer token."""
    g.user = None
    g.via_token = False
    header = request.headers.get("Authorization", "")
    if _is_api() and header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer":
            raise errors.NotSignedIn("Use Authorization: Bearer <token>.")
        found = signin.api_token_user(db(), secret.strip(), remote(), rules_now())
        if found is None:
            raise errors.NotSignedIn("That API token is not valid.")
        g.user = found
        g.via_token = True
        return
    kept = session.get(SESSION_KEY)
    found = signin.session_user(db(), kept, rules_now()) if isinstance(kept, str) else None
    if found is None:
        if any(key in session for key in (SESSION_KEY, *OLD_KEYS)):
            _forget_session()
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
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if g.get("user") is not None or _is_api():
        # no-store keeps a signed-in page out of every cache; Lynx ignores it and shows its own
        # copy of a page seen before (the old time zone's times after a profile change) unless
        # told no-cache too, which makes it fetch the page again.
        response.headers.setdefault("Cache-Control", "no-store, no-cache")
    response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    """Installs the request hooks and the csrf_token template global, and makes the session
    cookie Secure under an https:// base URL (the server ends sessions after 30 days anyway;
    the cookie lasts as long)."""
    app.config["SESSION_COOKIE_SECURE"] = str(app.config["BASE_URL"]).startswith("https://")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=30)
    # The cookie is sent again only when the session changed: its expiry need not move with
    # every view (the server ends a session 30 days after it began whatever the cookie says),
    # and re-signing it would cost every response a serialization, an HMAC and a header.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"user": g.get("user")})
