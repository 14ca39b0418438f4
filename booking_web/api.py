"""The JSON API under /api/v1, described by /api/v1/openapi.json.

Authentication: ``Authorization: Bearer <token>`` or the website's session cookie. Writes need a
JSON body (a cross-site form cannot send one), so the session cookie needs no CSRF token here.
Every error is ``application/problem+json`` with the stable code of ``officehours.errors``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from booking_web import openapi as spec
from booking_web import queries, timefmt
from booking_web.appointments import ics_response
from booking_web.context import actor, clock, db, rules_now, user
from booking_web.errors import invalid_input
from officehours import booking, errors

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class StartBody(BaseModel):
    """Body of POST /appointments and PATCH /appointments/{token}."""

    model_config = ConfigDict(extra="forbid", strict=True)
    start: AwareDatetime


def _body() -> StartBody:
    if request.mimetype != "application/json":
        raise errors.InvalidInput("Send a JSON body with Content-Type: application/json.")
    try:
        return StartBody.model_validate_json(request.get_data(cache=False))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise invalid_input(where, f"{where}: {first.get('msg', 'not valid')}") from exc


@bp.before_request
def _signed_in() -> None:
    if request.endpoint != "api.openapi" and user() is None:
        raise errors.NotSignedIn("Sign in, or send Authorization: Bearer <token>.")


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _appointment(found: queries.Call) -> dict[str, Any]:
    return {
        "token": found.token,
        "coach": {"slug": found.coach.slug, "name": found.coach.name},
        "client": {"slug": found.client.slug, "name": found.client.name},
        "start": _instant(found.start),
        "end": _instant(found.end),
        "status": found.status,
        "revision": found.revision,
        "series": found.series,
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
    return default if text is None else timefmt.parse_instant(text, name)


@bp.get("/availability")
def availability() -> ResponseReturnValue:
    """Free slots of the client's coach (or the coach's own) between from and to."""
    current = user()
    assert current is not None
    start = _query_instant("from", clock())
    end = _query_instant("to", start + timedelta(days=7))
    coach = request.args.get("coach")
    if coach is None:
        if current.role == "coach":
            coach = current.slug
        else:
            info = queries.coach_info(db(), current.slug, rules_now())
            if info is None:
                raise errors.NoCoachingRelationship("Say whose free time: ?coach=<token:slug>.")
            coach = info.coach.slug
    slots = booking.free_slots(db(), current.slug, coach[:100], start, end, now=rules_now())
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
    calls = queries.past(db(), actor(), rules_now())[::-1] + queries.upcoming(
        db(), actor(), rules_now()
    )
    return jsonify({"appointments": [_appointment(c) for c in calls]})


@bp.post("/appointments")
def book() -> ResponseReturnValue:
    """Books a call at start for the signed-in client."""
    body = _body()
    made = booking.book(db(), actor(), actor(), body.start, now=rules_now())
    response = jsonify(_appointment(_call(made.token)))
    response.status_code = 201
    response.headers["Location"] = url_for("api.appointment", token=made.token)
    return response


@bp.get("/appointments/<token:token>")
def appointment(token: str) -> ResponseReturnValue:
    """One call."""
    return jsonify(_appointment(_call(token)))


@bp.patch("/appointments/<token:token>")
def move(token: str) -> ResponseReturnValue:
    """Moves a call to a new start, atomically."""
    body = _body()
    moved = booking.move(db(), actor(), token[:100], body.start, now=rules_now())
    return jsonify(_appointment(_call(moved.token)))


@bp.delete("/appointments/<token:token>")
def cancel(token: str) -> ResponseReturnValue:
    """Cancels a call (it stays, with status cancelled)."""
    cancelled = booking.cancel(db(), actor(), token[:100], now=rules_now())
    return jsonify(_appointment(_call(cancelled.token)))


@bp.get("/appointments/<token:token>.ics")
def appointment_ics(token: str) -> ResponseReturnValue:
    """The call as an .ics file."""
    found = _call(token)
    return ics_response(found, current_app.config["BASE_URL"], timefmt.zone_name(), clock())
