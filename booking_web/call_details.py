"""How calls happen, and the client's note, on the website: the coach's form (and the admin's
for any coach), one call's own details, the client's note, and what the call's page, the .ics
download and the feed show of them. The rules are the SQL setters' (officehours.call_details):
these views parse the form, call one of them, and show the refusal next to its field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries
from booking_web.context import actor, db, login_required, role_required, rules_now, user
from booking_web.forms import field_errors
from ics.model import Appointment as IcsAppointment
from officehours import accounts, errors
from officehours import call_details as core

bp = Blueprint("call_details", __name__)

FIELDS = ("kind", "value", "details")
KINDS = (
    ("", "Not said yet"),
    ("video", "By video call"),
    ("phone", "By phone"),
    ("place", "At a place"),
)


def _form() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FIELDS}


def _stored(details: core.CallDetails | None) -> dict[str, str]:
    if details is None:
        return {name: "" for name in FIELDS}
    return {
        "kind": details.kind or "",
        "value": details.value or "",
        "details": details.details or "",
    }


def _coach_page(
    coach: accounts.User, values: dict[str, str], errs: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "coach_details.html",
            coach=coach,
            own=coach.slug == actor(),
            values=values,
            errors=errs,
            kinds=KINDS,
        ),
        status,
    )


def _save_for_coach(coach: accounts.User, done: str) -> ResponseReturnValue:
    values = _form()
    try:
        changed = core.set_for_coach(
            db(),
            actor(),
            coach.slug,
            values["kind"],
            values["value"],
            values["details"],
            now=rules_now(),
        )
    except errors.OfficeHoursError as exc:
        return _coach_page(coach, values, field_errors(exc, FIELDS), exc.http_status)
    if changed == 0:
        flash("Saved.")
    else:
        calls = "1 future call" if changed == 1 else f"{changed} future calls"
        flash(f"Saved. An updated invite goes out for {calls}.")
    return redirect(done, 303)


@bp.get("/coach/details")
@role_required("coach")
def mine() -> ResponseReturnValue:
    """The coach's form: how their calls happen."""
    me = accounts.get_user(db(), actor(), actor())
    return _coach_page(me, _stored(core.for_coach(db(), actor(), actor())), {})


@bp.post("/coach/details")
@role_required("coach")
def save_mine() -> ResponseReturnValue:
    """Saves how the coach's calls happen; future calls get an updated invite."""
    me = accounts.get_user(db(), actor(), actor())
    return _save_for_coach(me, url_for("call_details.mine"))


def _coach(slug: str) -> accounts.User:
    found = accounts.get_user(db(), actor(), slug)
    if found.role != "coach":
        raise errors.WrongRole("That user is not a coach.")
    return found


@bp.get("/admin/coaches/<token:slug>/details")
@role_required("admin")
def of_coach(slug: str) -> ResponseReturnValue:
    """An admin's form: how one coach's calls happen."""
    coach = _coach(slug)
    return _coach_page(coach, _stored(core.for_coach(db(), actor(), slug)), {})


@bp.post("/admin/coaches/<token:slug>/details")
@role_required("admin")
def save_of_coach(slug: str) -> ResponseReturnValue:
    """Saves how one coach's calls happen, as an admin."""
    coach = _coach(slug)
    return _save_for_coach(coach, url_for("call_details.of_coach", slug=slug))


def _call(token: str) -> tuple[queries.Call, core.CallInfo]:
    found = queries.call(db(), actor(), token, rules_now())
    info = core.for_call(db(), actor(), token, rules_now())
    if found is None or info is None:
        raise errors.UnknownAppointment("There is no such call, or it is not yours.")
    return found, info


def _call_page(
    found: queries.Call,
    info: core.CallInfo,
    values: dict[str, str],
    errs: dict[str, str],
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        "coach_call_details.html", call=found, info=info, values=values, errors=errs, kinds=KINDS
    )
    return page, status


@bp.get("/appointments/<token:token>/details")
@login_required
def of_call(token: str) -> ResponseReturnValue:
    """The coach's (or an admin's) form for how one call happens."""
    found, info = _call(token)
    if user() is not None and actor() == found.client.slug:
        raise errors.Forbidden("Only your coach sets how a call happens.")
    return _call_page(found, info, _stored(info.details), {})


@bp.post("/appointments/<token:token>/details")
@login_required
def save_of_call(token: str) -> ResponseReturnValue:
    """Gives one call details of its own, or (own=no) lets it follow the coach's again."""
    own = request.form.get("own", "yes") != "no"
    values = _form()
    try:
        changed = core.set_for_call(
            db(),
            actor(),
            token,
            values["kind"],
            values["value"],
            values["details"],
            own=own,
            now=rules_now(),
        )
    except errors.OfficeHoursError as exc:
        found, info = _call(token)
        return _call_page(found, info, values, field_errors(exc, FIELDS), exc.http_status)
    flash("Saved; the client gets an updated invite." if changed else "Nothing changed.")
    return redirect(url_for("appointments.detail", token=token), 303)


def _note_page(
    found: queries.Call, note: str, errs: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    return render_template("call_note.html", call=found, note=note, errors=errs), status


@bp.get("/appointments/<token:token>/note")
@role_required("client")
def note(token: str) -> ResponseReturnValue:
    """The client's form for their note to the coach."""
    found, info = _call(token)
    return _note_page(found, info.note or "", {})


@bp.post("/appointments/<token:token>/note")
@role_required("client")
def save_note(token: str) -> ResponseReturnValue:
    """Saves (or, empty, removes) the client's note; refused inside the change cut-off."""
    text = request.form.get("note", "")
    try:
        core.set_note(db(), actor(), token, text, now=rules_now())
    except errors.OfficeHoursError as exc:
        found, _ = _call(token)
        return _note_page(found, text, field_errors(exc, ("note",)), exc.http_status)
    flash("Your note for your coach is saved." if text.strip() else "Your note is removed.")
    return redirect(url_for("appointments.detail", token=token), 303)


@bp.app_template_global()
def call_info(token: str) -> core.CallInfo | None:
    """How the call ``token`` happens and its note, as the signed-in user may see them: for the
    call's page (``_call_details.html``)."""
    return core.for_call(db(), actor(), token, rules_now())


def for_ics(calls: Sequence[queries.Call], base_url: str, viewer: str) -> list[IcsAppointment]:
    """The calls as the iCalendar builders take them, with how each happens and, in what the
    call's coach gets, the client's note (the client keeps theirs out of their own calendar:
    it is a note for the coach)."""
    infos = core.for_calls(db(), viewer, (c.token for c in calls), rules_now())
    made: list[IcsAppointment] = []
    for c in calls:
        info = infos.get(c.token)
        appointment = c.for_ics(base_url)
        if info is not None:
            note = info.note if viewer == c.coach.slug else None
            appointment = replace(appointment, call=info.details, note=note)
        made.append(appointment)
    return made


def tokens_with_notes(calls: Iterable[queries.Call]) -> dict[str, str]:
    """token -> note of the calls that have one, as the signed-in user may see them."""
    infos = core.for_calls(db(), actor(), (c.token for c in calls), rules_now())
    return {token: info.note for token, info in infos.items() if info.note}
