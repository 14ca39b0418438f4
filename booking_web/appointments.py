"""A signed-in user's calls: the list, one call, its .ics file, moving and cancelling."""

from __future__ import annotations

import re
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
from booking_web.context import actor, clock, db, login_required, rules_now, user
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


# A page cursor's token: what the <token:...> converter takes in a path.
_CURSOR_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


def _role() -> str:
    current = user()
    return current.role if current is not None else ""


def history_page() -> queries.Page:
    """The page of the signed-in user's past and cancelled calls that the query string asks
    for (``before`` and ``before_token``: the start and token of the last call of the previous
    page; neither for the first). Raises InvalidInput for a cursor that is not one."""
    before_text, token = request.args.get("before"), request.args.get("before_token")
    before = None
    if before_text is not None or token is not None:
        start = inputs.parse_instant(before_text, "before")
        if token is None or not _CURSOR_TOKEN.fullmatch(token):
            raise errors.InvalidInput("That page of past calls does not exist.")
        before = (start, token)
    return queries.history(db(), actor(), _role(), rules_now(), before)


@bp.get("/appointments")
@login_required
def mine() -> ResponseReturnValue:
    """Upcoming calls, and past and cancelled ones as far back as the rules show them (paged)."""
    return render_template(
        "appointments.html",
        upcoming=queries.upcoming(db(), actor(), rules_now(), role=_role()),
        history=history_page(),
        history_endpoint="appointments.mine",
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
    reason = _reason()
    try:
        moved = booking.move(db(), actor(), token, start, now=rules_now(), reason=reason)
    except errors.OfficeHoursError as exc:
        found = _call(token)
        page = render_template(
            "move_confirm.html",
            call=found,
            start=start,
            terms=slot_terms(found.coach.slug, start, token),
            errors=field_errors(exc, ("reason",)),
            reason=reason or "",
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
    return render_template("cancel.html", call=found, errors={}, reason="")


def _reason() -> str | None:
    """The reason a coach or admin gave on a cancel or move form (the database checks it);
    None when the form had none. Clients are offered no reason field: the call is theirs."""
    reason = request.form.get("reason")
    if reason is None or _role() not in ("coach", "admin"):
        return None
    return reason


_AFTER_CANCEL = {"coach": "coach.schedule", "admin": "admin_bookings.bookings"}


@bp.post("/appointments/<token:token>/cancel")
@login_required
def cancel(token: str) -> ResponseReturnValue:
    """Cancels the call, with the reason a coach or admin gave."""
    reason = _reason()
    try:
        booking.cancel(db(), actor(), token, now=rules_now(), reason=reason)
    except errors.OfficeHoursError as exc:
        found = _call(token)
        page = render_template(
            "cancel.html", call=found, errors=field_errors(exc, ("reason",)), reason=reason or ""
        )
        return page, exc.http_status
    mine_or_theirs = "Your call" if _role() == "client" else "The call"
    flash(f"{mine_or_theirs} is cancelled.")
    return redirect(url_for(_AFTER_CANCEL.get(_role(), "appointments.mine")), 303)
