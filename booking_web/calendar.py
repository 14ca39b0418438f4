"""Calendar connections: the private feed URL (webcal) and CalDAV app passwords."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web import call_details, queries
from booking_web.context import actor, clock, db, login_required, rules_now, user
from booking_web.forms import field_errors
from ics.feed import feed as ics_feed
from officehours import accounts, errors
from officehours.settings import uid_domain

bp = Blueprint("calendar", __name__)


def _page(
    status: int = 200,
    feed_secret: str | None = None,
    app_password: str | None = None,
    errs: dict[str, str] | None = None,
    label: str = "",
) -> ResponseReturnValue:
    base = current_app.config["BASE_URL"]
    feed_url = f"{base}/feed/{feed_secret}.ics" if feed_secret else None
    webcal = "webcal://" + feed_url.split("://", 1)[1] if feed_url else None
    me = user()
    assert me is not None
    return (
        render_template(
            "calendar.html",
            has_feed=queries.has_feed(db(), me.slug),
            feed_url=feed_url,
            webcal_url=webcal,
            caldav_url=f"{current_app.config['CALDAV_URL']}/{me.slug}/",
            app_passwords=queries.credentials(db(), me.slug, "app_password"),
            app_password=app_password,
            errors=errs or {},
            label=label,
        ),
        status,
    )


@bp.get("/calendar")
@login_required
def page() -> ResponseReturnValue:
    """How to see calls in a calendar app."""
    return _page()


@bp.post("/calendar/feed")
@login_required
def new_feed() -> ResponseReturnValue:
    """Makes a new private feed URL (the old one stops working) and shows it once."""
    return _page(201, feed_secret=queries.new_feed(db(), actor()))


@bp.post("/calendar/feed/revoke")
@login_required
def revoke_feed() -> ResponseReturnValue:
    """Turns the feed URL off."""
    queries.revoke_feed(db(), actor())
    flash("Your calendar feed is turned off.")
    return redirect(url_for("calendar.page"), 303)


@bp.post("/calendar/app-passwords")
@login_required
def new_app_password() -> ResponseReturnValue:
    """Makes an app password for a calendar app and shows it once."""
    label = request.form.get("label", "").strip()
    try:
        _, secret = accounts.create_app_password(db(), actor(), actor(), label)
    except errors.OfficeHoursError as exc:
        return _page(exc.http_status, errs=field_errors(exc, ("label",)), label=label)
    return _page(201, app_password=secret)


@bp.post("/calendar/app-passwords/<token:handle>/revoke")
@login_required
def revoke_app_password(handle: str) -> ResponseReturnValue:
    """Revokes an app password."""
    if not accounts.revoke(db(), actor(), "app_password", handle):
        raise errors.InvalidInput("There is no such app password, or it is revoked already.")
    flash("The app password is revoked.")
    return redirect(url_for("calendar.page"), 303)


@bp.get("/feed/<token:secret>.ics")
def feed(secret: str) -> ResponseReturnValue:
    """The private feed: the owner's calls as a calendar to subscribe to. No session needed."""
    owner = queries.feed_owner(db(), secret) if len(secret) <= 100 else None
    if owner is None:
        raise errors.UnknownUser("There is no such calendar feed (it may have been turned off).")
    who = accounts.get_user(db(), owner, owner)
    calls = queries.past(db(), owner, rules_now()) + queries.upcoming(db(), owner, rules_now())
    base = current_app.config["BASE_URL"]
    body = ics_feed(
        call_details.for_ics(calls, base, owner),
        name=f"officehours: {who.name}",
        uid_domain=uid_domain(base),
        tz=who.time_zone,
        now=clock(),
    )
    return current_app.response_class(body, mimetype="text/calendar")
