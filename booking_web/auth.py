"""Signing in and out with email and password."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web.context import db, rules_now
from booking_web.forms import field_errors, safe_next
from booking_web.security import end_session, remote, start_session
from officehours.errors import OfficeHoursError
from officehours.signin import password_sign_in, usable_email

bp = Blueprint("auth", __name__)

FIELDS = ("email", "password")


@bp.get("/signin")
def signin() -> ResponseReturnValue:
    """The sign-in form."""
    return render_template(
        "signin.html", errors={}, email="", next=safe_next(request.args.get("next"), "")
    )


@bp.post("/signin")
def signin_post() -> ResponseReturnValue:
    """Signs in and goes back to where the visitor was heading. Refusals: 401 wrong_credentials,
    or 429 too_many_attempts with Retry-After, next to the form."""
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"), url_for("booking.home"))
    try:
        slug = password_sign_in(db(), email, password, remote(), rules_now())
        start_session(slug)
    except OfficeHoursError as exc:
        shown = email if usable_email(email) else ""
        page = render_template(
            "signin.html", errors=field_errors(exc, FIELDS), email=shown, next=target
        )
        headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
        return page, exc.http_status, headers
    return redirect(target, 303)


@bp.post("/signout")
def signout() -> ResponseReturnValue:
    """Signs out, for every copy of this session's cookie."""
    end_session()
    return redirect(url_for("auth.signin"), 303)
