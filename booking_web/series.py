"""Cancelling a monthly series from one of its calls: the whole series still to come, or that
call and the following ones, after a page that lists what will be cancelled."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries
from booking_web.appointments import _AFTER_CANCEL, _call, _changeable, _role
from booking_web.context import actor, db, login_required, rules_now
from officehours import booking, errors

bp = Blueprint("series", __name__)

# The values of ``from``: whether the cancellation starts at this call (or takes all to come).
_FROM = {"this": True, "all": False}


def _from_this(value: str | None) -> bool:
    """Whether ``from`` asks for this call and the following ones (``this``) or the whole
    series (``all``). Raises InvalidInput for anything else."""
    if value not in _FROM:
        raise errors.invalid_input(
            "from", "Choose from=this (this call and the following ones) or from=all (the series)."
        )
    return _FROM[value]


def _series_call(token: str) -> queries.Call:
    """The call ``token`` of the signed-in user, when it is part of a series and may still be
    cancelled. Raises unknown_appointment, invalid_series, or what cancelling the call would."""
    found = _call(token)
    if found.series is None:
        raise errors.InvalidSeries("That call is not part of a series.")
    _changeable(found)
    return found


def _page(
    found: queries.Call, from_this: bool, calls: list[booking.Appointment], problem: str | None
) -> str:
    return render_template(
        "series_cancel.html",
        call=found,
        scope="this" if from_this else "all",
        calls=calls,
        errors={"_form": problem} if problem else {},
    )


@bp.get("/appointments/<token:token>/series/cancel")
@login_required
def confirm(token: str) -> ResponseReturnValue:
    """Lists the calls that cancelling the series (``from=all``) or this call and the following
    ones (``from=this``) would cancel, and asks to confirm."""
    from_this = _from_this(request.args.get("from"))
    found = _series_call(token)
    calls = booking.series_calls(db(), actor(), token, from_this=from_this, now=rules_now())
    if not calls:
        raise errors.AlreadyCancelled("This series has no calls left to cancel.")
    return _page(found, from_this, calls, None)


@bp.post("/appointments/<token:token>/series/cancel")
@login_required
def cancel(token: str) -> ResponseReturnValue:
    """Cancels the calls the confirmation page listed, all in one transaction (the database
    applies the rules of cancelling to each, all or nothing)."""
    from_this = _from_this(request.form.get("from"))
    try:
        cancelled = booking.cancel_series(
            db(), actor(), token, from_this=from_this, now=rules_now()
        )
    except errors.OfficeHoursError as exc:
        found = _call(token)
        calls = booking.series_calls(db(), actor(), token, from_this=from_this, now=rules_now())
        return _page(found, from_this, calls, exc.message), exc.http_status
    count = len(cancelled)
    calls_text = "1 call" if count == 1 else f"{count} calls"
    whose = "your series" if _role() == "client" else "the series"
    flash(f"{calls_text} of {whose} {'is' if count == 1 else 'are'} cancelled.")
    return redirect(url_for(_AFTER_CANCEL.get(_role(), "appointments.mine")), 303)
