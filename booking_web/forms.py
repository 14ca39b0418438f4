"""Small helpers shared by the page blueprints: form errors, safe redirects, and the refusal of
bytes no value may hold."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from flask import Flask, request

from officehours.errors import OfficeHoursError
from officehours.inputs import refuse_zero_bytes

# A local path and query as url_for writes them: printable ASCII of RFC 3986 only (no spaces,
# quotes, backslashes or control characters), starting with one "/" and no "//".
_LOCAL_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*", re.ASCII)
MAX_NEXT = 2000


def field_errors(exc: OfficeHoursError, fields: Iterable[str]) -> dict[str, str]:
    """The error as {field: message} for a form with these visible fields; '_form' when the
    error concerns none of them (it is then shown at the top of the form)."""
    name = exc.field if exc.field in set(fields) else "_form"
    message = exc.message
    if exc.month and exc.month not in message:
        message = f"{exc.month}: {message}"
    return {str(name): message}


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to after signing in; anything else becomes ``default``: another
    host (//host, a scheme), a backslash, a control character (CR/LF would split the Location
    header; browsers drop tabs and so read /\\t/host as //host), even percent-encoded, or over
    MAX_NEXT characters."""
    if not target or len(target) > MAX_NEXT or not _LOCAL_PATH.fullmatch(target):
        return default
    decoded = unquote(target)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded) or "\\" in decoded:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or decoded.startswith("//"):
        return default
    return target


def _refuse_zero_bytes() -> None:
    """Refuses a request whose query or form holds a zero byte in a name or value (400, our
    message naming the field), before any view hands it to PostgreSQL."""
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            refuse_zero_bytes(name.replace("\x00", "?"), name)
            refuse_zero_bytes(name, value)


def init_app(app: Flask) -> None:
    """Installs the check of every request's query and form for zero bytes."""
    app.before_request(_refuse_zero_bytes)
