"""The client's pages for booking: home, the week of free slots, confirm, book (once or monthly)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries, timefmt
from booking_web.context import actor, clock, db, role_required, rules_now, user
from booking_web.forms import field_errors
from booking_web.weeks import slot_terms, week_page
from officehours import call_details, errors, inputs

bp = Blueprint("booking", __name__)

MONTH_CHOICES = [("1", "Just this call")] + [
    (str(n), f"This call and the same time every month, {n} calls in all") for n in range(2, 13)
]


def _coach() -> queries.CoachInfo:
    info = queries.coach_info(db(), actor(), rules_now())
    if info is None:
        raise errors.NoCoachingRelationship("No coach is assigned to you yet. Please contact us.")
    return info


@bp.get("/")
def home() -> ResponseReturnValue:
    """Clients: the next call, or a prompt to book. Others go to their main page."""
    current = user()
    if current is None:
        return redirect(url_for("auth.signin"))
    if current.role == "coach":
        return redirect(url_for("coach.schedule"))
    if current.role == "admin":
        return redirect(url_for("admin.users"))
    info = queries.coach_info(db(), current.slug, rules_now())
    calls = queries.upcoming(db(), current.slug, rules_now(), limit=50)
    recent = queries.past(db(), current.slug, rules_now(), limit=40)
    this_month = timefmt.local(clock()).strftime("%Y-%m")
    booked_this_month = any(
        timefmt.local(c.start).strftime("%Y-%m") == this_month for c in calls + recent
    )
    return render_template(
        "home.html",
        info=info,
        next_call=calls[0] if calls else None,
        booked_this_month=booked_this_month,
        month_label=timefmt.local(clock()).strftime("%B %Y"),
    )


@bp.get("/book")
@role_required("client")
def week() -> ResponseReturnValue:
    """The coach's free slots for one week, in the client's zone: only what the rules will
    accept for this client (bookable_slots decides)."""
    return week_page(
        "week.html",
        None,
        None,
        week_endpoint="booking.week",
        week_args={},
        choose_endpoint="booking.confirm",
        choose_args={},
        heading=None,
    )


def _months(text: str | None) -> int:
    if text is None or text == "":
        return 1
    return inputs.parse_count(text, "months", 1, 12, "Choose how many months, from 1 to 12.")


@bp.get("/book/confirm")
@role_required("client")
def confirm() -> ResponseReturnValue:
    """Asks the client to confirm the slot they chose: start, end, length, and the rules'
    warnings (inside the change cut-off, a full month)."""
    start = inputs.parse_instant(request.args.get("start"), "start")
    info = _coach()
    return _confirm_page(info, start, "1", {})


def _confirm_page(
    info: queries.CoachInfo, start: datetime, months: str, errs: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "confirm.html",
            info=info,
            start=start,
            terms=slot_terms(info.coach.slug, start),
            months=months,
            month_choices=MONTH_CHOICES,
            errors=errs,
            week=timefmt.local(start).date().isoformat(),
        ),
        status,
    )


@bp.post("/book")
@role_required("client")
def book() -> ResponseReturnValue:
    """Books the slot, or a monthly series starting with it. The coach is read only for the
    page of a refusal: book() itself finds the client's coach, in its own transaction."""
    text = request.form.get("start")
    months_text = request.form.get("months", "1")
    try:
        start = inputs.parse_instant(text, "start")
    except errors.InvalidInput:
        _coach()  # No coach: that refusal comes first, as for every booking page.
        raise
    try:
        months = _months(months_text)
        # The note for the coach is stored with the booking, in its transaction.
        made = call_details.book_with_note(
            db(), actor(), actor(), start, request.form.get("note"), months=months, now=rules_now()
        )
    except errors.OfficeHoursError as exc:
        errs = field_errors(exc, ("months", "note"))
        return _confirm_page(_coach(), start, months_text, errs, exc.http_status)
    flash(
        "Your call is booked."
        if len(made) == 1
        else f"Your {len(made)} monthly calls are booked. This is the first."
    )
    return redirect(url_for("appointments.detail", token=made[0].token), 303)
