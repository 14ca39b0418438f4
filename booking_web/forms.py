"""Small helpers shared by the page blueprints: form errors and safe redirects."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from officehours.errors import OfficeHoursError


def field_errors(exc: OfficeHoursError, fields: Iterable[str]) -> dict[str, str]:
    """The error as {field: message} for a form with these visible fields; '_form' when the
    error concerns none of them (it is then shown at the top of the form)."""
    name = exc.field if exc.field in set(fields) else "_form"
    message = exc.message
    if exc.month and exc.month not in message:
        message = f"{exc.month}: {message}"
    return {str(name): message}


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to after signing in; anything else becomes ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
