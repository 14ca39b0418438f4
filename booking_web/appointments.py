"""A signed-in user's calls: the list, one call, its .ics file, moving and cancelling."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from booking_web import call_details, queries, timefmt
from booking_web.context import actor, clock, db, login_required, rules_now
from booking_web.forms import field_errors
from booking_web.weeks import call_changes, slot_terms, week_page
from ics.invite import download as ics_download
from officehours import booking, errors, inputs
from officehours.settings import uid_domain

bp = Blueprint("appointments", __name__)


def _call(token: str) -> queries.Call:
    found = queries.call(db(), actor(), token, rules_now())
    if found is None:
        raise errors.UnknownAppointment("There is no such call, or it is not yours.")
    return found


def _changeable(found: queries.Call) -> None:
    if found.status != "booked":
        raise errors.AlreadyCancelled("This call is cancelled.")
    if found.start <= clock():
        raise errors.InThePast("This call has already started or is over.")
    changes = call_changes(found.token)
    if changes.cutoff_closed:
        raise errors.InsideCutoff(
            f"Calls can be moved or cancelled up to {changes.cutoff} before they start. To "
            f"change this one, contact your coach, {found.coach.name}, at {found.coach.email}."
        )


@bp.get("/appointments")
@login_required
def mine() -> ResponseReturnValue:
    """Upcoming calls, and past ones as far back as the rules show them."""
    return render_template(
        "appointments.html",
        upcoming=queries.upcoming(db(), actor(), rules_now()),
        past=queries.past(db(), actor(), rules_now()),
    )


@bp.get("/appointments/<token:token>")
@login_required
def detail(token: str) -> ResponseReturnValue:
    """One call: when, with whom, and what can be done with it."""
    found = _call(token)
    changes = call_changes(token)
    return render_template(
        "appointment.html",
        call=found,
        changeable=changes.changeable,
        changes=changes,
        now=clock(),
    )


@bp.get("/appointments/<token:token>.ics")
@login_required
def download(token: str) -> ResponseReturnValue:
    """The call as an .ics file for any calendar app (METHOD:PUBLISH, the invites' UID)."""
    found = _call(token)
    return ics_response(found, current_app.config["BASE_URL"], timefmt.zone_name(), clock())


def ics_response(found: queries.Call, base_url: str, zone: str, now: datetime) -> Response:
    """The .ics download of a call (shared with the JSON API)."""
    appointment = call_details.for_ics([found], base_url, actor())[0]
    body = ics_download(appointment, uid_domain=uid_domain(base_url), tz=zone, now=now)
    name = f"officehours-{timefmt.local(found.start, zone):%Y-%m-%d-%H%M}.ics"
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/appointments/<token:token>/move")
@login_required
def move_week(token: str) -> ResponseReturnValue:
    """The week of free slots to move a call to."""
    found = _call(token)
    _changeable(found)
    return week_page(
        "move_week.html",
        found.coach.slug,
        token,
        "Move your call",
        timefmt.local(found.start).date().isoformat(),
        call=found,
        week_endpoint="appointments.move_week",
        week_args={"token": token},
        choose_endpoint="appointments.move_confirm",
        choose_args={"token": token},
    )


@bp.get("/appointments/<token:token>/move/confirm")
@login_required
def move_confirm(token: str) -> ResponseReturnValue:
    """Asks to confirm the new time."""
    start = inputs.parse_instant(request.args.get("start"), "start")
    found = _call(token)
    _changeable(found)
    terms = slot_terms(found.coach.slug, start, token)
    return render_template("move_confirm.html", call=found, start=start, terms=terms, errors={})


@bp.post("/appointments/<token:token>/move")
@login_required
def move(token: str) -> ResponseReturnValue:
    """Moves the call: the old time is given up only if the new one is taken."""
    start = inputs.parse_instant(request.form.get("start"), "start")
    try:
        moved = booking.move(db(), actor(), token, start, now=rules_now())
    except errors.OfficeHoursError as exc:
        found = _call(token)
        page = render_template(
            "move_confirm.html",
            call=found,
            start=start,
            terms=slot_terms(found.coach.slug, start, token),
            errors=field_errors(exc, ()),
        )
        return page, exc.http_status
    flash("Your call is moved.")
    return redirect(url_for("appointments.detail", token=moved.token), 303)


@bp.get("/appointments/<token:token>/cancel")
@login_required
def cancel_confirm(token: str) -> ResponseReturnValue:
    """Asks to confirm the cancellation."""
    found = _call(token)
    _changeable(found)
    return render_template("cancel.html", call=found, errors={})


@bp.post("/appointments/<token:token>/cancel")
@login_required
def cancel(token: str) -> ResponseReturnValue:
    """Cancels the call."""
    try:
        booking.cancel(db(), actor(), token, now=rules_now())
    except errors.OfficeHoursError as exc:
        found = _call(token)
        page = render_template("cancel.html", call=found, errors=field_errors(exc, ()))
        return page, exc.http_status
    flash("Your call is cancelled.")
    return redirect(url_for("appointments.mine"), 303)
