"""What went wrong in the request being served, for the answer Radicale cannot give.

Radicale turns a ``ValueError`` of the storage into a bare "400 Bad Request" (or 403 when the
message carries "[Errno 13]") and any other exception into a 500. The storage therefore
raises ``Refused`` with our message and status, and notes database errors as they pass, in the
request's ``Outcome``; ``caldav_plugin.app.Application`` reads it when Radicale has answered and
gives the client our message, or 503 while the database is unavailable.

How a database error is answered is decided here, once: an outage or a wait that ran out is
``unavailable`` (503, try again); a value the database refuses (a data exception, a broken
constraint, a row that row-level security keeps out) is ``Refused`` with our message;
anything else is a bug and stays a 500.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import psycopg2
import psycopg2.errors

from officehours import errors

_local = threading.local()

# Our words for the CalDAV constraints a client can break (sql/migrations/0010_caldav.sql);
# the status comes from officehours.errors, which maps every named constraint once.
_CONSTRAINT_MESSAGES = {
    "caldav_item_href_sane": "An item's name is 1 to 255 characters, without '/' or control "
    "characters, and is not '.' or '..'.",
    "caldav_collection_name_sane": "A calendar's name is 1 to 255 characters, without '/' or "
    "control characters, and is not '.' or '..'.",
    "caldav_item_uid_unique": "Another item of this calendar has the same UID.",
    "caldav_item_href_unique": "There is already an item with that name.",
    "caldav_collection_name_unique": "There is already a calendar with that name.",
    "caldav_collection_props_object": "The calendar's properties cannot be stored.",
}


class Refused(ValueError):
    """A request the storage refuses: ``status`` (4xx) and ``message`` (ours) are the answer.

    Refusals with status 403 carry "[Errno 13]" in their text, which is how Radicale itself
    tells a refused write (403) from a malformed one (400) when it answers without us.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        text = f"[Errno 13] Permission denied: {message}" if status == 403 else message
        super().__init__(text)
        self.message = message
        self.status = status
        # Noted when made: Radicale catches most refusals and answers for them itself.
        outcome = current()
        if outcome is not None:
            outcome.refusal = self


@dataclass
class Outcome:
    """What the storage noted during one request, and the transaction it holds open."""

    refusal: Refused | None = None
    unavailable: errors.OfficeHoursError | None = None
    held: ExitStack | None = None
    """Where the storage leaves the request's transaction open, for the application to end
    once it knows the answer (None: the storage ends it when Radicale unlocks)."""


def current() -> Outcome | None:
    """The outcome of this thread's request, or None outside one."""
    outcome: Outcome | None = getattr(_local, "outcome", None)
    return outcome


@contextmanager
def recording() -> Iterator[Outcome]:
    """Keeps the outcome of one request (the application wraps each request in it)."""
    outcome = _local.outcome = Outcome()
    try:
        yield outcome
    finally:
        _local.outcome = None


def withdraw(refused: Refused) -> None:
    """Forgets a refusal that the storage caught and got over itself."""
    outcome = current()
    if outcome is not None and outcome.refusal is refused:
        outcome.refusal = None


def _database_error(exc: BaseException) -> psycopg2.Error | None:
    """The psycopg2 error behind ``exc`` (itself, or the cause of a domain error)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg2.Error):
            return seen
        seen = seen.__cause__
    return None


def service_error(exc: BaseException) -> errors.OfficeHoursError | None:
    """The 503 that ``exc`` stands for when the database cannot serve now (an outage, a
    connection that broke, a lock or statement timeout, a lost race, a server out of
    resources: ``officehours.errors.translate`` decides, for every part), else None."""
    if isinstance(exc, errors.OfficeHoursError):
        return exc if exc.http_status == 503 else None
    found = _database_error(exc)
    translated = errors.translate(found) if found is not None else None
    return translated if translated is not None and translated.http_status == 503 else None


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot serve now, so the answer is 503 and a retry."""
    return service_error(exc) is not None


def unavailable_answer(
    error: errors.OfficeHoursError | None,
) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """The one 503 CalDAV gives while the database cannot serve, whichever layer saw it:
    status, headers (Retry-After the error's) and our message."""
    error = error or errors.DatabaseUnavailable()
    body = f"{error.message}\n".encode()
    retry = error.retry_after or errors.DatabaseUnavailable.retry_after
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Retry-After", str(retry)),
    ]
    return "503 Service Unavailable", headers, [body]


def note(exc: BaseException) -> None:
    """Notes an exception that is leaving the storage, when it says the database is
    unavailable."""
    outcome = current()
    found = service_error(exc)
    if outcome is not None and found is not None:
        outcome.unavailable = found


def refusal_for(exc: psycopg2.Error) -> Refused | None:
    """The refusal for a value the database refuses (a data exception or a broken
    constraint), in our words; None for an outage or a bug, which are not the client's."""
    if is_unavailable(exc):
        return None
    if isinstance(exc, psycopg2.errors.InsufficientPrivilege):
        # Row-level security: the second line behind caldav_plugin.rights.
        return Refused(
            "You may not write there: only coaches keep calendars of their own, and only "
            "under their own name.",
            403,
        )
    domain = errors.translate(exc)
    if domain is None:
        return None
    constraint = exc.diag.constraint_name if exc.diag is not None else None
    message = _CONSTRAINT_MESSAGES.get(constraint or "")
    if message is None:
        # Messages of our own SQL functions (SQLSTATE class OH) are ours; PostgreSQL's own
        # text is not shown, the domain error's title is.
        ours = domain.sqlstate is not None
        message = domain.message if ours else domain.title
    return Refused(message, domain.http_status)
