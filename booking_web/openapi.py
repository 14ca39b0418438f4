"""The OpenAPI 3.1 document of the JSON API (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from officehours.errors import ALL_ERRORS

PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _ok(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    }


COMMON_ERRORS = {
    "400": _problem("The request is malformed (code invalid_input)."),
    "401": _problem("Not signed in, or the token is not valid (code not_signed_in)."),
    "403": _problem("Not allowed for this user (forbidden, not_your_appointment)."),
    "404": _problem("No such appointment, user or route."),
    "405": _problem("Method not allowed."),
    "406": _problem("Not acceptable."),
    "429": _problem(
        "Too many failed sign-ins from this address: wait Retry-After seconds (too_many_attempts)."
    ),
}
WRITE_ERRORS = {
    **COMMON_ERRORS,
    "409": _problem("A booking rule refuses it (slot_taken, monthly_limit, inside_cutoff, ...)."),
    "413": _problem("The body is too large."),
    "415": _problem("The body is not JSON."),
    "422": _problem(
        "The time or the note breaks a rule (in_the_past, too_soon, off_grid, invalid_note, ...)."
    ),
}
READ_ERRORS = {
    **COMMON_ERRORS,
    "409": _problem("No coach is assigned, or the coach is inactive."),
    "422": _problem("The range is not valid (range_not_positive, range_too_long)."),
}
TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The appointment's public token.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,100}$"},
}
START_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _ref("StartRequest")}},
}
BOOK_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _ref("BookRequest")}},
}
NOTE_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _ref("NoteRequest")}},
}
INSTANT = {"type": "string", "format": "date-time"}
# What officehours.inputs.parse_instant takes; anything else is answered 400 invalid_input.
INSTANT_RULE = (
    " Years 1900 to 2999; the offset Z or \u00b1HH:MM, at most 14 hours; ASCII digits only."
)
START = {
    **INSTANT,
    "description": "ISO 8601 / RFC 3339 instant with a UTC offset, e.g. "
    "2027-01-11T17:00:00Z: a free slot from /availability." + INSTANT_RULE,
}
# The database's rule for notes (call_text_problem) decides; anything else is 422 invalid_note.
NOTE = {
    "type": ["string", "null"],
    "description": "The client's note for the coach: at most 1000 characters, without control "
    "characters (lines are kept). Null or empty: no note.",
}


def _schemas() -> dict[str, Any]:
    person = {
        "type": "object",
        "required": ["slug", "name"],
        "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
        "additionalProperties": False,
    }
    return {
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details with the stable error code.",
            "required": ["type", "title", "status", "code", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "code": {
                    "type": "string",
                    "description": "Stable error code; see the README's list.",
                    "examples": sorted({e.code for e in ALL_ERRORS}),
                },
                "field": {"type": "string", "description": "The input the error concerns."},
                "month": {"type": "string", "description": "YYYY-MM, for series."},
            },
        },
        "Me": {
            "type": "object",
            "required": ["slug", "name", "email", "role", "time_zone"],
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "email": {"type": "string"},
                "role": {"enum": ["client", "coach", "admin"]},
                "time_zone": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "Slot": {
            "type": "object",
            "required": ["start", "end"],
            "properties": {"start": INSTANT, "end": INSTANT},
            "additionalProperties": False,
        },
        "Availability": {
            "type": "object",
            "required": ["coach", "from", "to", "slots"],
            "properties": {
                "coach": {"type": "string"},
                "from": INSTANT,
                "to": INSTANT,
                "slots": {"type": "array", "items": _ref("Slot")},
            },
            "additionalProperties": False,
        },
        "Appointment": {
            "type": "object",
            "required": ["token", "coach", "client", "start", "end", "status", "revision"],
            "properties": {
                "token": {"type": "string"},
                "coach": person,
                "client": person,
                "start": INSTANT,
                "end": INSTANT,
                "status": {"enum": ["booked", "cancelled"]},
                "revision": {"type": "integer", "minimum": 1},
                "series": {"type": ["string", "null"]},
                "call": {
                    "description": "How the call happens, as its page shows it (null: not said).",
                    "type": ["object", "null"],
                    "required": ["kind", "value", "text"],
                    "properties": {
                        "kind": {"type": ["string", "null"]},
                        "value": {"type": ["string", "null"]},
                        "text": {"type": ["string", "null"]},
                    },
                    "additionalProperties": False,
                },
                "note": {
                    "description": "The client's note: shown to the client and the coach only.",
                    "type": ["string", "null"],
                },
                "links": {
                    "type": "object",
                    "required": ["self", "ics", "page"],
                    "properties": {
                        "self": {"type": "string"},
                        "ics": {"type": "string"},
                        "page": {"type": "string"},
                    },
                },
            },
            "additionalProperties": False,
        },
        "AppointmentList": {
            "type": "object",
            "required": ["appointments"],
            "properties": {"appointments": {"type": "array", "items": _ref("Appointment")}},
            "additionalProperties": False,
        },
        "StartRequest": {
            "type": "object",
            "required": ["start"],
            "properties": {"start": START},
            "additionalProperties": False,
        },
        "BookRequest": {
            "type": "object",
            "required": ["start"],
            "properties": {"start": START, "note": NOTE},
            "additionalProperties": False,
        },
        "NoteRequest": {
            "type": "object",
            "required": ["note"],
            "properties": {"note": NOTE},
            "additionalProperties": False,
        },
    }


def document(base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``base_url`` is the public URL of the site."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "officehours booking API",
            "version": "1.0.0",
            "description": "Book, move and cancel coaching calls. Times are RFC 3339 instants "
            "(UTC in answers). Errors are application/problem+json with a stable `code`.",
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/me": {
                "get": {
                    "summary": "The signed-in user",
                    "operationId": "me",
                    "responses": {**_ok("The user", "Me"), **COMMON_ERRORS},
                }
            },
            "/availability": {
                "get": {
                    "summary": "Free slots of your coach (a coach: their own)",
                    "operationId": "availability",
                    "parameters": [
                        {
                            "name": "from",
                            "in": "query",
                            "schema": INSTANT,
                            "description": "Start of the range (default: now)." + INSTANT_RULE,
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": INSTANT,
                            "description": "End of the range (default: from + 7 days)."
                            + INSTANT_RULE,
                        },
                        {
                            "name": "coach",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "A coach's slug (default: your coach, or yourself).",
                        },
                    ],
                    "responses": {**_ok("Free slots", "Availability"), **READ_ERRORS},
                }
            },
            "/appointments": {
                "get": {
                    "summary": "Your calls",
                    "operationId": "listAppointments",
                    "responses": {
                        **_ok(
                            "Past (as far back as the rules show) and upcoming calls",
                            "AppointmentList",
                        ),
                        **COMMON_ERRORS,
                    },
                },
                "post": {
                    "summary": "Book a call",
                    "operationId": "book",
                    "requestBody": BOOK_BODY,
                    "responses": {
                        "201": {
                            "description": "Booked",
                            "headers": {"Location": {"schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": _ref("Appointment")}},
                        },
                        **WRITE_ERRORS,
                    },
                },
            },
            "/appointments/{token}": {
                "parameters": [TOKEN],
                "get": {
                    "summary": "One call",
                    "operationId": "getAppointment",
                    "responses": {**_ok("The call", "Appointment"), **COMMON_ERRORS},
                },
                "patch": {
                    "summary": "Move a call",
                    "operationId": "move",
                    "requestBody": START_BODY,
                    "responses": {**_ok("Moved", "Appointment"), **WRITE_ERRORS},
                },
                "delete": {
                    "summary": "Cancel a call",
                    "operationId": "cancel",
                    "responses": {**_ok("Cancelled", "Appointment"), **WRITE_ERRORS},
                },
            },
            "/appointments/{token}/note": {
                "parameters": [TOKEN],
                "put": {
                    "summary": "Set or remove your note for the coach, until the cut-off",
                    "operationId": "setNote",
                    "requestBody": NOTE_BODY,
                    "responses": {
                        **_ok("The call with its note", "Appointment"),
                        **WRITE_ERRORS,
                    },
                },
            },
            "/appointments/{token}.ics": {
                "parameters": [TOKEN],
                "get": {
                    "summary": "The call as an iCalendar file",
                    "operationId": "appointmentIcs",
                    "responses": {
                        "200": {
                            "description": "METHOD:PUBLISH calendar",
                            "content": {"text/calendar": {"schema": {"type": "string"}}},
                        },
                        **COMMON_ERRORS,
                    },
                },
            },
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from the Account page or `officehours token create`.",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "officehours_session"},
            },
        },
    }
