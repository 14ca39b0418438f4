"""The account page: the profile (name, time zone), change password, sign out everywhere, and API
tokens for the JSON API."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries
from booking_web.context import actor, db, login_required, rules_now, user
from booking_web.errors import WrongCurrentPassword
from booking_web.forms import field_errors
from booking_web.security import remote, start_session
from officehours import accounts, errors, passwords, signin
from officehours.errors import PasswordMismatch, WeakPassword

bp = Blueprint("account", __name__)

PASSWORD_FIELDS = ("current_password", "new_password", "confirm")
PROFILE_FIELDS = ("name", "time_zone")
_zone_groups: list[tuple[str, list[str]]] = []


def zone_groups() -> list[tuple[str, list[str]]]:
    """Every zone a user may have, grouped by region ("America", "Europe", ...; "Other" for
    names without one), for one <select> with an <optgroup> per region: it works in Lynx and
    without scripts, with no search. The list is the database's (the rule of the users CHECK);
    a zone Python's tzdata lacks is left out, since no page could show a time in it. Read once
    per process: it changes only with an upgrade of PostgreSQL's zone data."""
    if not _zone_groups:
        known = available_timezones()
        groups: dict[str, list[str]] = {}
        for zone in accounts.time_zones(db()):
            if zone in known:
                region = zone.split("/", 1)[0] if "/" in zone else "Other"
                groups.setdefault(region, []).append(zone)
        _zone_groups.extend(sorted(groups.items(), key=lambda g: (g[0] == "Other", g[0])))
    return _zone_groups


def _page(
    status: int = 200,
    password_errors: dict[str, str] | None = None,
    token_errors: dict[str, str] | None = None,
    new_token: str | None = None,
    label: str = "",
    profile_errors: dict[str, str] | None = None,
    profile: dict[str, str] | None = None,
) -> ResponseReturnValue:
    me = user()
    assert me is not None
    return (
        render_template(
            "account.html",
            profile_errors=profile_errors or {},
            profile=profile or {"name": me.name, "time_zone": me.time_zone},
            zone_groups=zone_groups(),
            password_errors=password_errors or {},
            token_errors=token_errors or {},
            tokens=queries.credentials(db(), actor(), "api_token"),
            new_token=new_token,
            label=label,
        ),
        status,
    )


@bp.get("/account")
@login_required
def page() -> ResponseReturnValue:
    """The account page."""
    return _page()


@bp.post("/account/profile")
@login_required
def profile() -> ResponseReturnValue:
    """Changes the signed-in user's name and time zone. Every page, mail and invite shows times
    in the new zone from now on; nothing stored about calls changes."""
    values = {k: request.form.get(k, "").strip() for k in PROFILE_FIELDS}
    try:
        accounts.update_user(
            db(), actor(), actor(), values["name"], values["time_zone"], now=rules_now()
        )
    except errors.OfficeHoursError as exc:
        return _page(
            exc.http_status, profile_errors=field_errors(exc, PROFILE_FIELDS), profile=values
        )
    flash("Your profile is saved.")
    return redirect(url_for("account.page"), 303)


def _change_password(current: str, new: str, confirm: str) -> None:
    """Sets the signed-in user's new password. Raises WrongCurrentPassword, TooManyAttempts
    (the current password is checked under the sign-in limits), PasswordMismatch or
    WeakPassword (with the policy's reason)."""
    me = user()
    assert me is not None
    try:
        signin.password_sign_in(db(), me.email, current, remote(), rules_now())
    except errors.WrongCredentials as exc:
        raise WrongCurrentPassword() from exc
    if new != confirm:
        raise PasswordMismatch()
    try:
        new_hash = passwords.hash_password(new, user_inputs=(me.email, me.name))
    except passwords.WeakPassword as exc:
        raise WeakPassword(str(exc)) from exc
    # The database ends every session of the user, copies of this one's cookie included
    # (users_end_sessions); this browser carries on in a new one.
    accounts.set_password_hash(db(), me.slug, me.slug, new_hash)
    start_session(me.slug)


@bp.post("/account/password")
@login_required
def password() -> ResponseReturnValue:
    """Changes the signed-in user's password."""
    try:
        _change_password(
            request.form.get("current_password", ""),
            request.form.get("new_password", ""),
            request.form.get("confirm", ""),
        )
    except errors.OfficeHoursError as exc:
        return _page(exc.http_status, password_errors=field_errors(exc, PASSWORD_FIELDS))
    flash("Your password is changed.")
    return redirect(url_for("account.page"), 303)


@bp.post("/account/sessions/end")
@login_required
def end_sessions() -> ResponseReturnValue:
    """Signs the user out everywhere: every session of theirs ends, this one too."""
    signin.end_sessions(db(), actor(), actor(), rules_now())
    session.clear()
    flash("You are signed out everywhere.")
    return redirect(url_for("auth.signin"), 303)


@bp.post("/account/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    """Makes an API token and shows its secret once."""
    label = request.form.get("label", "").strip()
    try:
        _, secret = accounts.create_api_token(db(), actor(), actor(), label)
    except errors.OfficeHoursError as exc:
        return _page(exc.http_status, token_errors=field_errors(exc, ("label",)), label=label)
    return _page(201, new_token=secret)


@bp.post("/account/tokens/<token:handle>/revoke")
@login_required
def revoke_token(handle: str) -> ResponseReturnValue:
    """Revokes one of the user's API tokens."""
    if not accounts.revoke(db(), actor(), "api_token", handle):
        raise errors.InvalidInput("There is no such token, or it is revoked already.")
    flash("The API token is revoked.")
    return redirect(url_for("account.page"), 303)
