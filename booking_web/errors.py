"""Errors of the website itself, and the translation of every error at the edge.

Rules of the data store arrive as ``officehours.errors.OfficeHoursError``. The JSON API answers
them as ``application/problem+json`` (RFC 9457) with the stable code; pages that do not handle
an error next to a form field show it on an error page with its status. Nothing here ever turns
bad input into a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from officehours.errors import (
    BY_CODE,
    OfficeHoursError,
    WeakPassword,
    WrongCredentials,
)
from officehours.errors import invalid_input as invalid_input  # where the pages long found it

# The same codes with the field a particular form names.
WrongCurrentPassword = type(
    "WrongCurrentPassword",
    (WrongCredentials,),
    {"field": "current_password", "title": "Your current password is not right."},
)
WeakFirstPassword = type("WeakFirstPassword", (WeakPassword,), {"field": "password"})

HTTP_CODES = {
    400: "invalid_input",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    field: str | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": f"urn:officehours:error:{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail or title,
    }
    if field:
        body["field"] = field
    body.update({k: v for k, v in extra.items() if v is not None})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="officehours"'
    return response


# The heading of an error page by its status: what kind of refusal it is, in our words. A 503
# (the database down or busy) is the service's state, not the visitor's mistake; "Something
# went wrong" is kept for our own faults.
HEADINGS = {
    400: "That request cannot be used",
    401: "Please sign in",
    404: "Not found",
    405: "That request cannot be used",
    409: "That cannot be done now",
    410: "This link is no longer valid",
    413: "That request is too large",
    415: "That request cannot be used",
    422: "Please check what you entered",
    429: "Too many attempts",
    503: "Please try again in a minute",
}


def heading(status: int) -> str:
    """The heading of the error page for ``status``."""
    return HEADINGS.get(status, "Something went wrong")


def _wants_problem() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _domain(exc: OfficeHoursError) -> Response:
    if _wants_problem():
        response = problem(
            exc.http_status, exc.code, exc.title, exc.message, field=exc.field, month=exc.month
        )
    else:
        # A 403 says what it refuses ("This page is for coaches"); the others are headed by
        # the kind of refusal, and their message says why.
        title = exc.message.rstrip(".") if exc.http_status == 403 else heading(exc.http_status)
        page = render_template("error.html", error=exc, code=exc.code, title=title)
        response = make_response(page, exc.http_status)
    if exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    if status < 400:
        return exc
    code = HTTP_CODES.get(status, "error")
    # Our words for the status (officehours.errors), not werkzeug's: every message users see
    # is ours.
    known = BY_CODE.get(code)
    ours = known() if known is not None else None
    title = ours.message if ours is not None else exc.name
    # Allow (405), Retry-After and the like travel with the translated answer.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if _wants_problem():
        response = problem(status, code, title, title if ours is not None else exc.description)
        response.headers.extend(headers)
        return response
    page = render_template("error.html", error=ours or exc, code=code, title=heading(status))
    return page, status, headers


def _unexpected(exc: Exception) -> Response | tuple[str, int]:
    current_app.logger.exception("unexpected error", exc_info=exc)
    if _wants_problem():
        return problem(500, "internal_error", "Something went wrong on our side.")
    return render_template("error.html", error=None, code="internal_error"), 500


def init_app(app: Flask) -> None:
    """Installs the handlers."""
    app.register_error_handler(OfficeHoursError, _domain)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
