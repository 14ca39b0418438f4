"""Forgot password, and the links that set one (from that mail or a welcome mail).

Asking always gets the same page, whether or not an account has the address: the database
mails a link only when one does (``officehours.password_links``). Using a link sets the password,
ends every session of the user, and signs this browser in.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web.context import db, rules_now
from booking_web.forms import field_errors
from booking_web.security import remote, start_session
from officehours import errors, password_links
from officehours.signin import usable_email

bp = Blueprint("password_links", __name__)

SET_FIELDS = ("new_password", "confirm")
LINK_ERRORS = (errors.LinkUnknown, errors.LinkExpired, errors.LinkUsed)


@bp.get("/password/forgot")
def forgot() -> ResponseReturnValue:
    """The form asking for the email of the account."""
    email = request.args.get("email", "").strip()
    return render_template(
        "password_forgot.html", errors={}, email=email if usable_email(email) else "", sent=False
    )


@bp.post("/password/forgot")
def forgot_post() -> ResponseReturnValue:
    """Mails a link if an account has the address, and says the same either way. Refusals: 422
    for what is no email address, 429 with Retry-After when asked too often."""
    email = request.form.get("email", "").strip()
    try:
        password_links.request_link(db(), email, remote(), rules_now())
    except errors.OfficeHoursError as exc:
        page = render_template(
            "password_forgot.html",
            errors=field_errors(exc, ("email",)),
            email=email if usable_email(email) else "",
            sent=False,
        )
        headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
        return page, exc.http_status, headers
    return render_template("password_forgot.html", errors={}, email=email, sent=True)


def _link_refused(exc: errors.OfficeHoursError) -> ResponseReturnValue:
    return render_template("password_set.html", refused=exc.message, errors={}), exc.http_status


@bp.get("/password/<token:secret>")
def link(secret: str) -> ResponseReturnValue:
    """The form that sets a new password, or why this link cannot."""
    try:
        who = password_links.link_user(db(), secret, rules_now())
    except LINK_ERRORS as exc:
        return _link_refused(exc)
    return render_template("password_set.html", refused=None, who=who, errors={}, secret=secret)


@bp.post("/password/<token:secret>")
def set_password(secret: str) -> ResponseReturnValue:
    """Sets the password, ends every session of the user and signs this browser in."""
    try:
        slug = password_links.set_password(
            db(),
            secret,
            request.form.get("new_password", ""),
            request.form.get("confirm", ""),
            rules_now(),
        )
    except LINK_ERRORS as exc:
        return _link_refused(exc)
    except errors.OfficeHoursError as exc:
        who = password_links.link_user(db(), secret, rules_now())
        page = render_template(
            "password_set.html",
            refused=None,
            who=who,
            errors=field_errors(exc, SET_FIELDS),
            secret=secret,
        )
        return page, exc.http_status
    try:
        start_session(slug)
    except errors.NotSignedIn:
        flash("Your password is set. Please sign in.")
        return redirect(url_for("auth.signin"), 303)
    flash("Your password is set, and every other session of yours has ended.")
    return redirect(url_for("booking.home"), 303)
