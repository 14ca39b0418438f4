"""Signing in and out with email and password."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries
from booking_web.context import db
from booking_web.forms import field_errors, safe_next
from booking_web.security import start_session
from officehours import accounts, passwords
from officehours.errors import OfficeHoursError, TooManyAttempts, WrongCredentials

bp = Blueprint("auth", __name__)

FIELDS = ("email", "password")


def _remote() -> str:
    return request.remote_addr or "unknown"


def _check(email: str, password: str) -> tuple[str, str]:
    """The slug and stored password hash of the user with this email and password. Raises
    TooManyAttempts or WrongCredentials (after recording the failure)."""
    if not queries.login_allowed(db(), email, _remote()):
        raise TooManyAttempts()
    found = accounts.login_lookup(db(), email) if email and len(email) <= 320 else None
    slug, password_hash = found if found else ("", None)
    if not passwords.verify_password(password_hash, password) or not slug or not password_hash:
        queries.note_login(db(), email[:320], _remote(), ok=False)
        raise WrongCredentials()
    queries.note_login(db(), email, _remote(), ok=True)
    if passwords.needs_rehash(password_hash):
        password_hash = passwords.hash_password(password)
        accounts.set_password_hash(db(), slug, slug, password_hash)
    return slug, password_hash


@bp.get("/signin")
def signin() -> ResponseReturnValue:
    """The sign-in form."""
    return render_template(
        "signin.html", errors={}, email="", next=safe_next(request.args.get("next"), "")
    )


@bp.post("/signin")
def signin_post() -> ResponseReturnValue:
    """Signs in and goes back to where the visitor was heading."""
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"), url_for("booking.home"))
    try:
        slug, password_hash = _check(email, password)
    except OfficeHoursError as exc:
        page = render_template(
            "signin.html", errors=field_errors(exc, FIELDS), email=email, next=target
        )
        return page, exc.http_status
    start_session(slug, password_hash)
    return redirect(target, 303)


@bp.post("/signout")
def signout() -> ResponseReturnValue:
    """Signs out."""
    session.clear()
    return redirect(url_for("auth.signin"), 303)
