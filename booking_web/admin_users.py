"""The admin's page of one user: edit name, email, zone and role (as far as the database allows),
send a link to set the password, and deactivate after a confirmation that says what will happen.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web.account import zone_groups
from booking_web.context import actor, db, role_required, rules_now
from booking_web.errors import invalid_input
from booking_web.forms import field_errors
from officehours import accounts, errors, password_links

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")

ROLES = [("client", "Client"), ("coach", "Coach"), ("admin", "Admin")]
FIELDS = ("name", "email", "time_zone", "role")
LINK_KINDS: dict[str, password_links.Kind] = {
    "welcome": "welcome",
    "password_reset": "password_reset",
}


def _page(
    slug: str,
    status: int = 200,
    errs: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> ResponseReturnValue:
    who = accounts.get_user(db(), actor(), slug)
    shown = values or {
        "name": who.name,
        "email": who.email,
        "time_zone": who.time_zone,
        "role": who.role,
    }
    return (
        render_template(
            "admin_user.html",
            who=who,
            values=shown,
            errors=errs or {},
            roles=ROLES,
            zone_groups=zone_groups(),
            link=password_links.latest_link(db(), actor(), who.slug, rules_now()),
        ),
        status,
    )


@bp.get("/<token:slug>")
@role_required("admin")
def page(slug: str) -> ResponseReturnValue:
    """One user: the edit form, their latest password link, and the way to deactivate."""
    return _page(slug)


@bp.post("/<token:slug>")
@role_required("admin")
def update(slug: str) -> ResponseReturnValue:
    """Saves name, email, zone and role; the database refuses what a rule forbids (a coach
    with clients cannot become a client), changing nothing."""
    values = {k: request.form.get(k, "").strip() for k in FIELDS}
    try:
        if values["role"] not in dict(ROLES):
            raise invalid_input("role", "Choose client, coach or admin.")
        accounts.update_user(
            db(), actor(), slug, values["name"], values["time_zone"],
            email=values["email"], role=values["role"], now=rules_now(),
        )  # fmt: skip
    except errors.OfficeHoursError as exc:
        if isinstance(exc, errors.UnknownUser):
            raise
        return _page(slug, exc.http_status, field_errors(exc, FIELDS), values)
    flash(f"The account of {values['name']} is saved.")
    return redirect(url_for("admin_users.page", slug=slug), 303)


@bp.post("/<token:slug>/password-link")
@role_required("admin")
def send_link(slug: str) -> ResponseReturnValue:
    """Mails the user a link to set their password (a welcome, or a reset), replacing older ones."""
    kind = request.form.get("kind", "")
    if kind not in LINK_KINDS:
        raise invalid_input("kind", "Choose welcome or password_reset.")
    who = accounts.get_user(db(), actor(), slug)
    password_links.send_link(db(), actor(), who.slug, LINK_KINDS[kind], rules_now())
    flash(f"A link to set a password is on its way to {who.email}; any older link stops working.")
    return redirect(url_for("admin_users.page", slug=slug), 303)


@bp.get("/<token:slug>/deactivate")
@role_required("admin")
def confirm_deactivate(slug: str) -> ResponseReturnValue:
    """What deactivating the user will do, as the database counts it, and the button to do it."""
    who = accounts.get_user(db(), actor(), slug)
    if who.slug == actor():
        raise errors.Forbidden("You cannot deactivate your own account.")
    if not who.active:
        raise errors.InactiveUser(f"The account of {who.name} is not active already.")
    effects = accounts.deactivation_effects(db(), actor(), who.slug, now=rules_now())
    return render_template("admin_deactivate.html", who=who, effects=effects)


@bp.post("/<token:slug>/deactivate")
@role_required("admin")
def deactivate(slug: str) -> ResponseReturnValue:
    """Deactivates the user: ends their coaching, cancels their future calls (mailing both sides)
    and revokes their tokens, app passwords and feed."""
    who = accounts.get_user(db(), actor(), slug)
    if who.slug == actor():
        raise errors.Forbidden("You cannot deactivate your own account.")
    accounts.set_active(db(), actor(), who.slug, False, now=rules_now())
    flash(f"The account of {who.name} is deactivated.")
    return redirect(url_for("admin_users.page", slug=slug), 303)
