"""The coach's pages: schedule (with conflicts), weekly office hours and exceptions, clients."""

from __future__ import annotations

from datetime import date, time, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web import call_details, queries, timefmt
from booking_web.appointments import history_page
from booking_web.context import actor, clock, db, role_required, rules_now
from booking_web.errors import invalid_input
from booking_web.forms import field_errors
from officehours import accounts, errors, inputs

bp = Blueprint("coach", __name__, url_prefix="/coach")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Rows of the weekly form per day: at least MIN_PERIODS, and always one empty row after the last
# filled one, so a coach adds a range by filling it and saving (no JavaScript). MAX_PERIODS
# bounds what one form may hold: 12 ranges fill a day of two-hour slots.
MIN_PERIODS = 2
MAX_PERIODS = 12
# Times are typed as 24-hour HH:MM, as every page shows them: a text box, because type=time shows
# AM/PM in some locales. The database and inputs.parse_clock decide what is valid.
CLOCK_INPUT = {
    "inputmode": "numeric",
    "pattern": "([01][0-9]|2[0-3]):[0-5][0-9]",
    "maxlength": "5",
    "size": "5",
    "autocomplete": "off",
}


@bp.get("/schedule")
@role_required("coach")
def schedule() -> ResponseReturnValue:
    """Upcoming calls with client names and their notes, calls that collide with busy time,
    and past and cancelled calls (paged)."""
    upcoming = queries.upcoming(db(), actor(), rules_now(), role="coach")
    return render_template(
        "coach_schedule.html",
        upcoming=upcoming,
        notes=call_details.tokens_with_notes(upcoming),
        conflicts=queries.conflicts(db(), actor(), rules_now()),
        history=history_page(),
    )


@bp.get("/clients")
@role_required("coach")
def clients() -> ResponseReturnValue:
    """The coach's current clients."""
    return render_template("coach_clients.html", clients=queries.clients_of(db(), actor()))


def _hours_form() -> dict[str, str]:
    """The weekly form's values: day-N-P-start/end, from the stored hours."""
    values: dict[str, str] = {}
    seen: dict[int, int] = {}
    for rule in accounts.office_hours(db(), actor(), actor()):
        period = seen.get(rule.weekday, 0)
        seen[rule.weekday] = period + 1
        if period < MAX_PERIODS:
            values[f"day-{rule.weekday}-{period}-start"] = rule.start.strftime("%H:%M")
            values[f"day-{rule.weekday}-{period}-end"] = rule.end.strftime("%H:%M")
    return values


def _rows(values: dict[str, str]) -> dict[int, int]:
    """How many rows each weekday's part of the form shows: one empty row after the last row
    with a value, at least MIN_PERIODS, at most MAX_PERIODS."""
    rows = {}
    for weekday in range(1, 8):
        filled = [
            p
            for p in range(MAX_PERIODS)
            if values.get(f"day-{weekday}-{p}-start") or values.get(f"day-{weekday}-{p}-end")
        ]
        rows[weekday] = min(MAX_PERIODS, max(MIN_PERIODS, (max(filled) + 2) if filled else 0))
    return rows


def _page(
    status: int = 200,
    values: dict[str, str] | None = None,
    hour_errors: dict[str, str] | None = None,
    exception_errors: dict[str, str] | None = None,
    exception_values: dict[str, str] | None = None,
) -> ResponseReturnValue:
    today = timefmt.local(clock()).date()
    shown = values if values is not None else _hours_form()
    return (
        render_template(
            "coach_hours.html",
            weekdays=list(enumerate(WEEKDAYS, start=1)),
            rows=_rows(shown),
            clock_input=CLOCK_INPUT,
            values=shown,
            hour_errors=hour_errors or {},
            exceptions=queries.exceptions(db(), actor(), actor(), today),
            exception_errors=exception_errors or {},
            exception_values=exception_values or {},
        ),
        status,
    )


@bp.get("/hours")
@role_required("coach")
def hours() -> ResponseReturnValue:
    """The weekly office hours editor and the dated exceptions."""
    return _page()


def _time(text: str, field: str) -> time | None:
    """The HH:MM of a form field, or None when it is empty. Raises InvalidInput."""
    return inputs.parse_clock(text, field) if text else None


def _parse_week(form: dict[str, str]) -> list[accounts.WeeklyHours]:
    rules = []
    for weekday in range(1, 8):
        for period in range(MAX_PERIODS):
            key = f"day-{weekday}-{period}"
            start = _time(form.get(f"{key}-start", ""), f"{key}-start")
            end = _time(form.get(f"{key}-end", ""), f"{key}-end")
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise invalid_input(f"{key}-start", "Give both a start and an end, or neither.")
            if end <= start:
                raise invalid_input(f"{key}-end", "The end must come after the start.")
            rules.append(accounts.WeeklyHours(weekday, start, end))
    return rules


@bp.post("/hours")
@role_required("coach")
def save_hours() -> ResponseReturnValue:
    """Replaces the weekly office hours."""
    values = {k: v.strip() for k, v in request.form.items() if k.startswith("day-")}
    fields = [
        f"day-{d}-{p}-{e}"
        for d in range(1, 8)
        for p in range(MAX_PERIODS)
        for e in ("start", "end")
    ]
    try:
        accounts.set_office_hours(db(), actor(), actor(), _parse_week(values))
    except errors.OfficeHoursError as exc:
        return _page(exc.http_status, values=values, hour_errors=field_errors(exc, fields))
    flash("Your weekly office hours are saved.")
    return redirect(url_for("coach.hours"), 303)


def _date(text: str) -> date:
    return inputs.parse_date(text, "on_date")


@bp.post("/exceptions")
@role_required("coach")
def add_exception() -> ResponseReturnValue:
    """Adds a day off (no times) or special hours for a date."""
    values = {k: request.form.get(k, "").strip() for k in ("on_date", "start", "end")}
    try:
        day = _date(values["on_date"])
        if day < timefmt.local(clock()).date() or day > timefmt.local(clock()).date() + timedelta(
            days=3660
        ):
            raise invalid_input("on_date", "Choose a date from today on.")
        start = _time(values["start"], "start")
        end = _time(values["end"], "end")
        if (start is None) != (end is None):
            raise invalid_input("start", "Give both a start and an end, or neither for a day off.")
        accounts.add_exception(db(), actor(), actor(), day, start, end)
    except errors.OfficeHoursError as exc:
        errs = field_errors(exc, ("on_date", "start", "end"))
        return _page(exc.http_status, exception_errors=errs, exception_values=values)
    flash("The exception is saved.")
    return redirect(url_for("coach.hours"), 303)


@bp.post("/exceptions/clear")
@role_required("coach")
def clear_exception() -> ResponseReturnValue:
    """Removes a date's exceptions, so the weekly hours apply again."""
    day = _date(request.form.get("on_date", ""))
    accounts.clear_exceptions(db(), actor(), actor(), day)
    flash("The exception is removed.")
    return redirect(url_for("coach.hours"), 303)
