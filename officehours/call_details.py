"""Typed calls to the SQL of how calls happen, and of the client's note for the coach.

The setters are SQL functions (``sql/definitions/42_call_details.sql``) that check who may act
and what may be stored, and give each future call whose details change a new revision (an
updated invite). The reads go through the view ``call_details_of_appointments``, so row-level
security decides who sees a note. The SQL is in ``call_details.sql`` beside this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ics.calls import CallDetails
from officehours import booking, sqlfiles
from officehours.db import Cursor, Database, one

Q = sqlfiles.load(__name__)


@dataclass(frozen=True)
class CallInfo:
    """How one call happens (None when nobody said), whether the call has details of its own,
    and the client's note (None when there is none)."""

    details: CallDetails | None
    own: bool
    note: str | None


def details_of(kind: str | None, value: str | None, details: str | None) -> CallDetails | None:
    """Stored columns as :class:`CallDetails`, or None when there are none.

    Raises:
        ValueError: if the stored values break the rules (only a hand-written statement that
            skipped the CHECKs could store such values).
    """
    if kind is None and details is None:
        return None
    return CallDetails(kind=kind, value=value, details=details)  # type: ignore[arg-type]


def _info(row: tuple[Any, ...]) -> CallInfo:
    kind, value, details, own, note = row
    return CallInfo(details_of(kind, value, details), bool(own), note)


def set_for_coach(
    db: Database,
    actor: str,
    coach: str,
    kind: str | None,
    value: str | None,
    details: str | None,
    *,
    now: datetime | None = None,
) -> int:
    """Sets how ``coach``'s calls happen (all empty removes it); returns how many future calls
    got an updated invite.

    Raises:
        Forbidden, UnknownUser, WrongRole, InvalidCallDetails, InvalidCallText.
    """

    def work(cur: Cursor) -> int:
        cur.execute(Q.set_call_details, (coach, kind, value, details))
        return int(one(cur)[0])

    return db.run(work, actor, now=now)


def set_for_call(
    db: Database,
    actor: str,
    token: str,
    kind: str | None,
    value: str | None,
    details: str | None,
    *,
    own: bool = True,
    now: datetime | None = None,
) -> bool:
    """Gives the call ``token`` details of its own (``own``), or lets it follow its coach's;
    returns whether how the call happens changed (then an updated invite goes out).

    Raises:
        the errors of a change of the call (UnknownAppointment, InsideCutoff, ...), Forbidden,
        InvalidCallDetails, InvalidCallText.
    """

    def work(cur: Cursor) -> bool:
        cur.execute(Q.set_appointment_call_details, (token, kind, value, details, own))
        return bool(one(cur)[0])

    return db.run(work, actor, now=now)


def set_note(
    db: Database, actor: str, token: str, note: str | None, *, now: datetime | None = None
) -> None:
    """Sets (or, when empty, removes) the client's note for the coach on the call ``token``.

    Raises:
        the errors of a change of the call (UnknownAppointment, InsideCutoff, ...), Forbidden,
        InvalidNote.
    """

    def work(cur: Cursor) -> None:
        cur.execute(Q.set_appointment_note, (token, note))

    db.run(work, actor, now=now)


def book_with_note(
    db: Database,
    actor: str,
    client: str,
    start: datetime,
    note: str | None,
    *,
    months: int = 1,
    now: datetime | None = None,
) -> list[booking.Appointment]:
    """Books a call (or a monthly series of ``months``) with the client's note on each, in one
    transaction: the mail about the booking, which the mailer renders after the commit, already
    carries the note.

    Raises:
        the errors of ``booking.book`` and ``booking.book_series``, and InvalidNote.
    """
    if start.utcoffset() is None:
        raise ValueError("times must carry a UTC offset or zone")
    booked, args = (
        (Q.book, (client, start)) if months == 1 else (Q.book_series, (client, start, months))
    )
    if note is None or not note.strip():
        # No note: one statement, in one round trip (see booking.book).
        return [booking.Appointment.from_row(row) for row in db.query(booked, args, actor, now=now)]

    def work(cur: Cursor) -> list[booking.Appointment]:
        cur.execute(booked, args)
        made = [booking.Appointment.from_row(row) for row in cur.fetchall()]
        for appointment in made:
            cur.execute(Q.set_appointment_note, (appointment.token, note))
        return made

    return db.run(work, actor, now=now)


def for_coach(db: Database, actor: str, coach: str) -> CallDetails | None:
    """How ``coach``'s calls happen, as far as ``actor`` may see; None when not set."""
    with db.transaction(actor) as cur:
        cur.execute(Q.coach_call_details, (coach,))
        row = cur.fetchone()
        return details_of(*row) if row else None


def for_call(db: Database, actor: str, token: str, now: datetime | None = None) -> CallInfo | None:
    """How the call ``token`` happens and its note, or None when ``actor`` cannot see the call."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.call_details_by_token, (token,))
        row = cur.fetchone()
        return _info(row) if row else None


def for_calls(
    db: Database, actor: str, tokens: Iterable[str], now: datetime | None = None
) -> dict[str, CallInfo]:
    """The same for many calls: token -> info, for the calls ``actor`` can see."""
    wanted = list(tokens)
    if not wanted:
        return {}
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.call_details_by_tokens, (wanted,))
        return {row[0]: _info(row[1:]) for row in cur.fetchall()}
