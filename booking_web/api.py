"""The JSON API under /api/v1, described by /api/v1/openapi.json.

Authentication: ``Authorization: Bearer <token>`` or the website's session cookie. Writes need a
JSON body (a cross-site form cannot send one), so the session cookie needs no CSRF token here.
Every error is ``application/problem+json`` with the stable code of ``officehours.errors``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, ValidationError

from booking_web import openapi as spec
from booking_web import queries, timefmt
from booking_web.appointments import ics_response
from booking_web.context import actor, clock, db, rules_now, user
from booking_web.errors import invalid_input
from booking_web.weeks import Offer, coach_week
from officehours import booking, errors, inputs
from officehours import call_details as details

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class StartBody(BaseModel):
    """Body of PATCH /appointments/{token}: its shape. The instant in ``start`` is read by
    officehours.inputs, as the pages read theirs."""

    model_config = ConfigDict(extra="forbid", strict=True)
    start: str


class BookBody(StartBody):
    """Body of POST /appointments: the start and, optionally, the client's note for the coach
    (the database's rule for notes decides what it may be, as on the confirm page)."""

    note: str | None = None


class NoteBody(BaseModel):
    """Body of PUT /appointments/{token}/note: the note, or null or "" to remove it."""

    model_config = ConfigDict(extra="forbid", strict=True)
    note: str | None


Body = TypeVar("Body", bound=BaseModel)
START_EXAMPLE = '{"start": "2027-01-11T17:00:00Z"}'
BOOK_EXAMPLE = '{"start": "2027-01-11T17:00:00Z", "note": "About my plan."}'
NOTE_EXAMPLE = '{"note": "About my plan."}'


def _body(model: type[Body], example: str) -> Body:
    """The JSON body, read as ``model`` (``example`` goes into the messages). Raises
    InvalidInput."""
    if request.mimetype != "application/json":
        raise errors.InvalidInput("Send a JSON body with Content-Type: application/json.")
    try:
        return model.model_validate_json(request.get_data(cache=False))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        # pydantic's words (and the input they echo) stay on the cause; users get ours.
        message = _shape_message(where, first.get("type", ""), example, model)
        raise invalid_input(where, message) from exc


def _shape_message(where: str, kind: str, example: str, model: type[BaseModel]) -> str:
    """Our words for a body whose shape is wrong (pydantic's error type ``kind``)."""
    if kind.startswith("json"):
        return f"The body is not valid JSON; send an object like {example}."
    if kind == "missing":
        return f"{where}: this member is required, as in {example}."
    if kind == "extra_forbidden":
        members = " and ".join(model.model_fields)
        return f"{where}: this member is not allowed; send only {members}, as in {example}."
    if where == "body" or kind == "model_type":
        return f"Send a JSON object like {example}."
    nullable = " or null" if where == "note" else ""
    return f"{where}: give a string{nullable}, as in {example}."


@bp.before_request
def _signed_in() -> None:
    if request.endpoint != "api.openapi" and user() is None:
        raise errors.NotSignedIn("Sign in, or send Authorization: Bearer <token>.")


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _appointments(calls: list[queries.Call]) -> list[dict[str, Any]]:
    """The calls as the API shows them, with how each happens and the client's note (one
    query for all: row-level security decides who sees a note)."""
    infos = details.for_calls(db(), actor(), [c.token for c in calls], rules_now())
    return [_appointment(c, infos.get(c.token)) for c in calls]


def _one(found: queries.Call) -> dict[str, Any]:
    return _appointments([found])[0]


def _appointment(found: queries.Call, info: details.CallInfo | None) -> dict[str, Any]:
    how = info.details if info is not None else None
    return {
        "token": found.token,
        "coach": {"slug": found.coach.slug, "name": found.coach.name},
        "client": {"slug": found.client.slug, "name": found.client.name},
        "start": _instant(found.start),
        "end": _instant(found.end),
        "status": found.status,
        "revision": found.revision,
        "series": found.series,
        "call": None
        if how is None
        else {"kind": how.kind, "value": how.value, "text": how.details},
        "note": info.note if info is not None else None,
        "links": {
            "self": url_for("api.appointment", token=found.token),
            "ics": url_for("api.appointment_ics", token=found.token),
            "page": url_for("appointments.detail", token=found.token),
        },
    }


def _call(token: str) -> queries.Call:
    found = queries.call(db(), actor(), token, rules_now()) if len(token) <= 100 else None
    if found is None:
        raise errors.UnknownAppointment("There is no such appointment, or it is not yours.")
    return found


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(spec.document(current_app.config["BASE_URL"]))


@bp.get("/me")
def me() -> ResponseReturnValue:
    """The signed-in user."""
    current = user()
    assert current is not None
    return jsonify(
        {
            "slug": current.slug,
            "name": current.name,
            "email": current.email,
            "role": current.role,
            "time_zone": current.time_zone,
        }
    )


def _query_instant(name: str, default: datetime) -> datetime:
    text = request.args.get(name)
    return default if text is None else inputs.parse_instant(text, name)


@bp.get("/availability")
def availability() -> ResponseReturnValue:
    """Free slots of the client's coach (or the coach's own) between from and to."""
    current = user()
    assert current is not None
    start = _query_instant("from", clock())
    end = _query_instant("to", start + timedelta(days=7))
    coach = request.args.get("coach")
    slots: list[booking.Slot] | list[Offer]
    if coach is None and current.role != "coach":
        # A client's own coach and its free slots: the week page's one statement.
        try:
            info, _, slots = coach_week(None, start, end)
        except errors.NoCoachingRelationship as exc:
            message = "Say whose free time: ?coach=<token:slug>."
            raise errors.NoCoachingRelationship(message) from exc
        coach = info.coach.slug
    else:
        coach = current.slug if coach is None else coach
        slots = booking.free_slots(db(), current.slug, coach, start, end, now=rules_now())
    return jsonify(
        {
            "coach": coach,
            "from": _instant(start),
            "to": _instant(end),
            "slots": [{"start": _instant(s.start), "end": _instant(s.end)} for s in slots],
        }
    )


@bp.get("/appointments")
def appointments() -> ResponseReturnValue:
    """The user's calls: past ones (as far back as the rules show them) and upcoming ones."""
    current = user()
    role = current.role if current is not None else None
    calls = queries.past(db(), actor(), rules_now(), role=role)[::-1] + queries.upcoming(
        db(), actor(), rules_now(), role=role
    )
    return jsonify({"appointments": _appointments(calls)})


@bp.post("/appointments")
def book() -> ResponseReturnValue:
    """Books a call at start for the signed-in client, with their note for the coach if given."""
    body = _body(BookBody, BOOK_EXAMPLE)
    start = inputs.parse_instant(body.start, "start")
    (made,) = details.book_with_note(db(), actor(), actor(), start, body.note, now=rules_now())
    response = jsonify(_one(_call(made.token)))
    response.status_code = 201
    response.headers["Location"] = url_for("api.appointment", token=made.token)
    return response


@bp.get("/appointments/<token:token>")
def appointment(token: str) -> ResponseReturnValue:
    """One call."""
    return jsonify(_one(_call(token)))


@bp.patch("/appointments/<token:token>")
def move(token: str) -> ResponseReturnValue:
    """Moves a call to a new start, atomically."""
    start = inputs.parse_instant(_body(StartBody, START_EXAMPLE).start, "start")
    moved = booking.move(db(), actor(), token, start, now=rules_now())
    return jsonify(_one(_call(moved.token)))


@bp.put("/appointments/<token:token>/note")
def note(token: str) -> ResponseReturnValue:
    """Sets (or, null or empty, removes) the client's note for the coach, until the cut-off."""
    body = _body(NoteBody, NOTE_EXAMPLE)
    # A call the user cannot see is not there (404, as GET answers), before the database's
    # refusal, which would say whether it exists.
    _call(token)
    details.set_note(db(), actor(), token, body.note, now=rules_now())
    return jsonify(_one(_call(token)))


@bp.delete("/appointments/<token:token>")
def cancel(token: str) -> ResponseReturnValue:
    """Cancels a call (it stays, with status cancelled)."""
    cancelled = booking.cancel(db(), actor(), token, now=rules_now())
    return jsonify(_one(_call(cancelled.token)))


@bp.get("/appointments/<token:token>.ics")
def appointment_ics(token: str) -> ResponseReturnValue:
    """The call as an .ics file."""
    found = _call(token)
    return ics_response(found, current_app.config["BASE_URL"], timefmt.zone_name(), clock())
