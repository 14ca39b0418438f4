"""The admin's pages: users (create, deactivate), coaching assignments, business rules, mail."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries
from booking_web.context import actor, db, role_required, rules_now
from booking_web.errors import WeakFirstPassword, invalid_input
from booking_web.forms import field_errors
from officehours import accounts, errors, inputs, passwords, signin, sqlfiles

bp = Blueprint("admin", __name__, url_prefix="/admin")
Q: sqlfiles.Queries = sqlfiles.load(__name__)

ROLES = [("client", "Client"), ("coach", "Coach"), ("admin", "Admin")]
USER_FIELDS = ("email", "name", "role", "time_zone", "password")
ZONES = sorted(
    z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
)


def _users_page(
    status: int = 200, errs: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> ResponseReturnValue:
    return (
        render_template(
            "admin_users.html",
            users=accounts.list_users(db(), actor()),
            roles=ROLES,
            zones=[("UTC", "UTC")] + [(z, z) for z in ZONES],
            errors=errs or {},
            values=values or {"role": "client", "time_zone": "UTC"},
        ),
        status,
    )


@bp.get("/users")
@role_required("admin")
def users() -> ResponseReturnValue:
    """Every account, and a form to add one."""
    return _users_page()


@bp.post("/users")
@role_required("admin")
def add_user() -> ResponseReturnValue:
    """Creates an account."""
    values = {k: request.form.get(k, "").strip() for k in USER_FIELDS if k != "password"}
    password = request.form.get("password", "")
    try:
        if values["role"] not in dict(ROLES):
            raise invalid_input("role", "Choose client, coach or admin.")
        try:
            inputs = (values["email"], values["name"])
            password_hash = (
                passwords.hash_password(password, user_inputs=inputs) if password else None
            )
        except passwords.WeakPassword as exc:
            raise WeakFirstPassword(str(exc)) from exc
        slug = accounts.add_user(
            db(), actor(), values["email"], values["name"], values["role"],
            values["time_zone"], password_hash, welcome=True, now=rules_now(),
        )  # fmt: skip
    except errors.OfficeHoursError as exc:
        return _users_page(exc.http_status, field_errors(exc, USER_FIELDS), values)
    flash(f"The account of {values['name']} is made ({slug}).")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<token:slug>/active")
@role_required("admin")
def set_active(slug: str) -> ResponseReturnValue:
    """Deactivates (ending coaching and cancelling future calls) or reactivates an account."""
    active = inputs.parse_choice(request.form.get("active"), "active", {"0": False, "1": True})
    if slug == actor() and not active:
        raise errors.Forbidden("You cannot deactivate your own account.")
    accounts.set_active(db(), actor(), slug, active, now=rules_now())
    flash("The account is active again." if active else "The account is deactivated.")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<token:slug>/sessions/end")
@role_required("admin")
def end_sessions(slug: str) -> ResponseReturnValue:
    """Signs a user out everywhere: every session of theirs ends at once (a lost laptop)."""
    ended = signin.end_sessions(db(), actor(), slug, rules_now())
    if slug == actor():
        session.clear()
        return redirect(url_for("auth.signin"), 303)
    flash(f"Signed out everywhere ({ended} session{'' if ended == 1 else 's'} ended).")
    return redirect(url_for("admin.users"), 303)


@bp.get("/assignments")
@role_required("admin")
def assignments() -> ResponseReturnValue:
    """Which coach each client has, with a form to change it."""
    return _assignments_page()


def _assignments_page(status: int = 200, errs: dict[str, str] | None = None) -> ResponseReturnValue:
    coaches = [u for u in accounts.list_users(db(), actor(), "coach") if u.active]
    return (
        render_template(
            "admin_assignments.html",
            rows=queries.assignments(db(), actor()),
            coaches=[("", "No coach")] + [(c.slug, c.name) for c in coaches],
            errors=errs or {},
        ),
        status,
    )


@bp.post("/assignments")
@role_required("admin")
def assign() -> ResponseReturnValue:
    """Makes a coach a client's coach from now on."""
    client = request.form.get("client", "")
    coach = request.form.get("coach", "")
    try:
        if not coach:
            raise invalid_input("_form", "Choose a coach.")
        accounts.assign_coach(db(), actor(), client, coach, now=rules_now())
    except errors.OfficeHoursError as exc:
        return _assignments_page(exc.http_status, field_errors(exc, ()))
    flash("The coach is assigned.")
    return redirect(url_for("admin.assignments"), 303)


def _rules_page(
    status: int = 200, errs: dict[str, str] | None = None, failed: str | None = None
) -> ResponseReturnValue:
    coach = request.values.get("coach") or None
    coaches = accounts.list_users(db(), actor(), "coach")
    if coach is not None and coach not in {c.slug for c in coaches}:
        raise errors.UnknownUser("There is no such coach.")
    return (
        render_template(
            "admin_rules.html",
            rules=accounts.rules(db(), actor(), coach),
            coach=coach,
            coach_name=next((c.name for c in coaches if c.slug == coach), None),
            coaches=coaches,
            errors=errs or {},
            failed=failed,
        ),
        status,
    )


@bp.get("/rules")
@role_required("admin")
def rules() -> ResponseReturnValue:
    """The business rules, globally or for one coach."""
    return _rules_page()


@bp.post("/rules")
@role_required("admin")
def set_rule() -> ResponseReturnValue:
    """Sets a rule globally or for one coach; the database checks the value."""
    name = request.form.get("name", "")
    value = request.form.get("value", "").strip()
    coach = request.form.get("coach") or None
    try:
        accounts.set_rule(db(), actor(), name, value, coach)
    except errors.OfficeHoursError as exc:
        return _rules_page(exc.http_status, {f"value-{name}": exc.message}, failed=name)
    flash(f"The rule {name} is saved.")
    return redirect(url_for("admin.rules", coach=coach), 303)


@bp.post("/rules/unset")
@role_required("admin")
def unset_rule() -> ResponseReturnValue:
    """Removes a coach's override of a rule."""
    name = request.form.get("name", "")
    coach = request.form.get("coach", "")
    accounts.unset_rule(db(), actor(), name, coach)
    flash(f"{name} follows the global value again.")
    return redirect(url_for("admin.rules", coach=coach), 303)


@bp.get("/mail")
@role_required("admin")
def mail() -> ResponseReturnValue:
    """The outbox: how many mails are in each state, and the last that failed or wait."""
    with db().transaction(actor(), dict_rows=True) as cur:
        cur.execute(Q.mail_counts)
        counts = cur.fetchall()
        cur.execute(Q.mail_errors, {"limit": 20})
        failures = cur.fetchall()
    return render_template("admin_mail.html", counts=counts, failures=failures)
