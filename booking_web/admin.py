"""The admin's pages: users (create, deactivate), coaching assignments, business rules, mail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from booking_web import admin_lists
from booking_web.account import zone_groups
from booking_web.context import actor, db, role_required, rules_now
from booking_web.errors import WeakFirstPassword, invalid_input
from booking_web.forms import field_errors
from officehours import accounts, errors, inputs, passwords, signin, sqlfiles

bp = Blueprint("admin", __name__, url_prefix="/admin")
Q: sqlfiles.Queries = sqlfiles.load(__name__)

ROLES = [("client", "Client"), ("coach", "Coach"), ("admin", "Admin")]
USER_FIELDS = ("email", "name", "role", "time_zone", "password")


def _role_filter() -> str | None:
    """The role the users page is narrowed to (None: every role); raises InvalidInput."""
    role = request.args.get("role") or None
    if role is not None and role not in dict(ROLES):
        raise invalid_input("role", "Choose client, coach or admin.")
    return role


def _users_page(
    status: int = 200, errs: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> ResponseReturnValue:
    listing = admin_lists.parse_listing(request.args)
    role = _role_filter()
    return (
        render_template(
            "admin_users.html",
            page=admin_lists.users(db(), actor(), listing, role),
            listing=listing,
            role_filter=role,
            roles=ROLES,
            zone_groups=zone_groups(),
            errors=errs or {},
            values=values or {"role": "client", "time_zone": "UTC"},
        ),
        status,
    )


@bp.get("/users")
@role_required("admin")
def users() -> ResponseReturnValue:
    """The accounts a page at a time (searchable by name or email, and by role), and a form to
    add one."""
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
    """Reactivates an account. Deactivating ends coaching and cancels future calls, so it is
    done on its confirmation page only: active=0 here changes nothing and leads there."""
    active = inputs.parse_choice(request.form.get("active"), "active", {"0": False, "1": True})
    if slug == actor() and not active:
        raise errors.Forbidden("You cannot deactivate your own account.")
    if not active:
        return redirect(url_for("admin_users.confirm_deactivate", slug=slug), 303)
    accounts.set_active(db(), actor(), slug, True, now=rules_now())
    flash("The account is active again.")
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
    """Which coach each active client has, a page at a time (searchable by name or email),
    with a field per client to name a new coach by email or slug."""
    return _assignments_page()


def _assignments_page(status: int = 200, errs: dict[str, str] | None = None) -> ResponseReturnValue:
    listing = admin_lists.parse_listing(request.args)
    return (
        render_template(
            "admin_assignments.html",
            page=admin_lists.clients(db(), actor(), listing),
            listing=listing,
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
        if not coach.strip():
            raise invalid_input("_form", "Give the new coach's email address or slug.")
        coach = coach.strip()
        accounts.assign_coach(db(), actor(), client, coach, now=rules_now())
    except errors.OfficeHoursError as exc:
        return _assignments_page(exc.http_status, field_errors(exc, ()))
    flash("The coach is assigned.")
    return redirect(url_for("admin.assignments"), 303)


def _rules_page(
    status: int = 200, errs: dict[str, str] | None = None, failed: str | None = None
) -> ResponseReturnValue:
    wanted = (request.values.get("coach") or "").strip() or None
    coach = None
    if wanted is not None:
        inputs.refuse_zero_bytes("coach", wanted)
        found = admin_lists.coach_named(db(), actor(), wanted)
        if found is None:
            raise errors.UnknownUser("There is no such coach.")
        coach = found
    # The coach picker is a search: at most a page of coaches matching what was typed.
    search = admin_lists.parse_listing({"q": request.args.get("q", "")})
    matches = admin_lists.users(db(), actor(), search, "coach", size=20).rows if search.q else []
    return (
        render_template(
            "admin_rules.html",
            rules=accounts.rules(db(), actor(), coach.slug if coach else None),
            coach=coach.slug if coach else None,
            coach_name=coach.name if coach else None,
            search=search.q,
            matches=matches,
            errors=errs or {},
            failed=failed,
        ),
        status,
    )


@bp.get("/rules")
@role_required("admin")
def rules() -> ResponseReturnValue:
    """The business rules, globally or for one coach (named by slug or email, or found by a
    search of the coaches' names and emails)."""
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
    report: dict[str, tuple[list[Any], list[Any]]] = {}
    with db().transaction(actor(), now=rules_now(), dict_rows=True) as cur:
        for outbox in ("calls", "accounts"):
            cur.execute(Q.mail_counts, {"outbox": outbox})
            counts = cur.fetchall()
            cur.execute(Q.mail_errors, {"limit": 20, "outbox": outbox})
            report[outbox] = counts, cur.fetchall()
    return render_template(
        "admin_mail.html",
        counts=report["calls"][0],
        failures=report["calls"][1],
        account_counts=report["accounts"][0],
        account_failures=report["accounts"][1],
    )
