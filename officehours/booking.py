"""Typed calls to the booking functions of sql/: book, move, cancel, book_series, free_slots.

Every function takes the acting user's slug: the database checks what that user may do.
The changes (book, move, cancel, book_series) run through ``Database.run``, so a deadlock or a
serialization failure runs them again instead of failing the request.
Each raises the ``officehours.errors`` class of the rule a request breaks.
The SQL they run is in ``booking.sql`` beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from officehours import sqlfiles
from officehours.db import Cursor, Database, one

Q: sqlfiles.Queries = sqlfiles.load(__name__)


@dataclass(frozen=True)
class Appointment:
    """An appointment as its public identifiers and times."""

    token: str
    coach: str
    client: str
    start: datetime
    end: datetime
    status: str
    revision: int
    series: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Appointment:
        """An appointment from a row of the appointment queries of ``booking.sql``."""
        return cls(*row)


@dataclass(frozen=True)
class Slot:
    """A bookable slot."""

    start: datetime
    end: datetime


def _require_aware(*values: datetime | None) -> None:
    """Refuses naive times (ValueError), which the database session would silently take as UTC."""
    for value in values:
        if value is not None and value.utcoffset() is None:
            raise ValueError("times must carry a UTC offset or zone")


def book(
    db: Database,
    actor: str,
    client: str,
    start: datetime,
    end: datetime | None = None,
    *,
    now: datetime | None = None,
) -> Appointment:
    """Books a call for ``client`` (slug or email) with their coach."""
    _require_aware(start, end)
    # One round trip: the coach's lock, taken by book(), is held until the commit that comes
    # in the same message, never while an answer travels back and forth.
    (row,) = db.query(Q.book, (client, start, end), actor, now=now)
    return Appointment.from_row(row)


def move(
    db: Database,
    actor: str,
    token: str,
    start: datetime,
    end: datetime | None = None,
    *,
    now: datetime | None = None,
    reason: str | None = None,
) -> Appointment:
    """Moves a booked call to a new slot, atomically; ``reason`` (optional) is kept in its
    history and told to the client. Raises InvalidReason for a reason the database refuses."""
    _require_aware(start, end)
    # One round trip, as book(): the coach's lock is held until the commit in the same message.
    (row,) = db.query(Q.move, (token, start, end, reason), actor, now=now)
    return Appointment.from_row(row)


def cancel(
    db: Database,
    actor: str,
    token: str,
    *,
    now: datetime | None = None,
    reason: str | None = None,
) -> Appointment:
    """Cancels a booked call; ``reason`` (optional) is kept in its history and told to the
    client. Raises InvalidReason for a reason the database refuses."""

    # One round trip, as book(): the coach's lock is held until the commit in the same message.
    (row,) = db.query(Q.cancel, (token, reason), actor, now=now)
    return Appointment.from_row(row)


def book_series(
    db: Database,
    actor: str,
    client: str,
    first_start: datetime,
    months: int,
    *,
    now: datetime | None = None,
) -> list[Appointment]:
    """Books the same weekday and local time for ``months`` months, all or nothing.

    A refusal carries the failing month in ``error.month`` (YYYY-MM).
    """
    _require_aware(first_start)

    def work(cur: Cursor) -> list[Appointment]:
        cur.execute(Q.book_series, (client, first_start, months))
        return [Appointment.from_row(row) for row in cur.fetchall()]

    return db.run(work, actor, now=now)


def cancel_series(
    db: Database, actor: str, token: str, *, from_this: bool, now: datetime | None = None
) -> list[Appointment]:
    """Cancels the calls of the series of call ``token`` still to come (or from that call on,
    with ``from_this``), all in one transaction, under the rules of :func:`cancel`; returns
    them by start.

    Raises:
        officehours.errors.OfficeHoursError: as cancel does for any of the calls (its message
            names the call's date), InvalidSeries when the call is in no series,
            AlreadyCancelled when no call is left to cancel.
    """

    def work(cur: Cursor) -> list[Appointment]:
        cur.execute(Q.cancel_series, (token, from_this))
        return [Appointment.from_row(row) for row in cur.fetchall()]

    return db.run(work, actor, now=now)


def series_calls(
    db: Database, actor: str, token: str, *, from_this: bool, now: datetime | None = None
) -> list[Appointment]:
    """The calls :func:`cancel_series` would cancel, as ``actor`` sees them, by start (empty
    when the call is not theirs or in no series)."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.series_calls, (token, from_this))
        return [Appointment.from_row(row) for row in cur.fetchall()]


def free_slots(
    db: Database,
    actor: str,
    coach: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> list[Slot]:
    """The bookable slots of ``coach`` (slug or email) between two instants."""
    _require_aware(start, end)
    return [Slot(*row) for row in db.query(Q.free_slots, (coach, start, end), actor, now=now)]


def coach_of(db: Database, client: str) -> str:
    """The slug of a client's current coach (as the owner; for operators)."""
    with db.transaction() as cur:
        cur.execute(Q.coach_of_client, (client,))
        return str(one(cur)[0])


def local_to_instant(db: Database, local: datetime, zone: str, fold: int | None = None) -> datetime:
    """The instant of a wall-clock time in a zone, refusing times in DST gaps and overlaps
    (unless ``fold`` says which of two: 0 earlier, 1 later)."""
    if local.utcoffset() is not None:
        raise ValueError("a local time has no UTC offset")
    with db.transaction() as cur:
        cur.execute(Q.local_to_instant, (local, zone, fold))
        result: datetime = one(cur)[0]
        return result
