"""A coach books a call for one of their clients: pick the client, a free slot, confirm.

The same book() function and rules as a client's own booking (the database checks that the
coach coaches this client, and every rule of the slot); the client gets the invite by mail.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries, timefmt
from booking_web.context import actor, db, role_required, rules_now
from booking_web.forms import field_errors
from booking_web.weeks import slot_terms, week_of
from officehours import booking, errors, inputs

bp = Blueprint("coach_booking", __name__, url_prefix="/coach/clients")


def _client(slug: str) -> queries.Party:
    """One of the signed-in coach's current clients; raises UnknownUser for anyone else."""
    for party in queries.clients_of(db(), actor()):
        if party.slug == slug:
            return party
    raise errors.UnknownUser("That is not one of your current clients.")


@bp.get("/<token:client>/book")
@role_required("coach")
def week(client: str) -> ResponseReturnValue:
    """The coach's own free slots for one week, to book one for the client: as the client's
    own week page, without the slots of a month where the client is at the monthly limit."""
    party = _client(client)
    _, shown = week_of(actor(), request.args.get("week"), timefmt.zone_name(), client=party.slug)
    return render_template(
        "coach_book_week.html",
        client=party,
        week=shown,
        week_endpoint="coach_booking.week",
        week_args={"client": client},
        choose_endpoint="coach_booking.confirm",
        choose_args={"client": client},
        heading=f"Book a call for {party.name}",
    )


def _confirm_page(
    party: queries.Party, start: datetime, errs: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    page = render_template(
        "coach_book_confirm.html",
        client=party,
        start=start,
        terms=slot_terms(actor(), start, client=party.slug),
        errors=errs,
        week=timefmt.local(start).date().isoformat(),
    )
    return page, status


@bp.get("/<token:client>/book/confirm")
@role_required("coach")
def confirm(client: str) -> ResponseReturnValue:
    """Asks the coach to confirm the slot for the client."""
    start = inputs.parse_instant(request.args.get("start"), "start")
    return _confirm_page(_client(client), start, {})


@bp.post("/<token:client>/book")
@role_required("coach")
def book(client: str) -> ResponseReturnValue:
    """Books the slot for the client (book() decides; the client is mailed the invite)."""
    party = _client(client)
    start = inputs.parse_instant(request.form.get("start"), "start")
    try:
        made = booking.book(db(), actor(), party.slug, start, now=rules_now())
    except errors.OfficeHoursError as exc:
        return _confirm_page(party, start, field_errors(exc, ()), exc.http_status)
    flash(f"The call with {party.name} is booked; they get the invite by mail.")
    return redirect(url_for("appointments.detail", token=made.token), 303)
