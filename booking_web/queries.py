"""What the pages read, as the signed-in user: row-level security decides which rows they get.

Writes go through the core (officehours.booking, officehours.accounts); these are the reads the
core has no call for yet. Their SQL is in queries.sql beside this module. Serial ids are used in
joins only and never selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from psycopg2 import sql

from ics.model import Appointment as IcsAppointment
from ics.model import Person
from officehours import errors, sqlfiles
from officehours.db import Cursor, Database, one

Q = sqlfiles.load(__name__)


@dataclass(frozen=True)
class Party:
    """A coach or client as shown on a page."""

    slug: str
    name: str
    email: str
    time_zone: str


@dataclass(frozen=True)
class Call:
    """An appointment with the names of both sides."""

    token: str
    coach: Party
    client: Party
    start: datetime
    end: datetime
    status: str
    revision: int
    series: str | None

    def for_ics(self, base_url: str) -> IcsAppointment:
        """The call as the iCalendar builders take it."""
        return IcsAppointment(
            token=self.token,
            revision=self.revision,
            status="booked" if self.status == "booked" else "cancelled",
            start=self.start,
            end=self.end,
            coach=Person(name=self.coach.name, email=self.coach.email),
            client=Person(name=self.client.name, email=self.client.email),
            coach_tz=self.coach.time_zone,
            client_tz=self.client.time_zone,
            url=f"{base_url}/appointments/{self.token}",
        )


def _call(row: tuple[Any, ...]) -> Call:
    """A row of the call queries (the lists, call_by_token) as a Call."""
    return Call(row[0], Party(*row[1:5]), Party(*row[5:9]), *row[9:])


def call_from_row(row: tuple[Any, ...]) -> Call:
    """A row with the call queries' columns, from another module's query, as a Call."""
    return _call(row)


# The list queries of each role: each says whose rows it wants, so an index serves it; an
# admin's are of every call. Anyone else (no one signed in) gets the client's, and no rows.
_SIDE = {"client": "client_id", "coach": "coach_id"}


def _of_each_side(template: str) -> dict[str, sql.Composed]:
    """A list template filled with each side's column: client and coach."""
    return {role: sql.SQL(template).format(sql.Identifier(col)) for role, col in _SIDE.items()}


_UPCOMING: dict[str, str | sql.Composed] = {
    **_of_each_side(Q.upcoming_calls_of),
    "admin": Q.upcoming_calls_all,
}
_PAST: dict[str, str | sql.Composed] = {**_of_each_side(Q.past_calls_of), "admin": Q.past_calls_all}
_HISTORY = _of_each_side(Q.history_of)


def _role(cur: Cursor, role: str | None) -> str:
    """The role given, or the acting user's ('' for no one)."""
    if role is not None:
        return role
    cur.execute(Q.actor_role)
    row = cur.fetchone()
    return str(row[0]) if row else ""


def upcoming(
    db: Database, actor: str, now: datetime | None, limit: int = 200, *, role: str | None = None
) -> list[Call]:
    """Booked calls that have not ended, soonest first: the actor's own as client or coach
    (``role``, when the caller knows it: one query fewer), every call for an admin."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(_UPCOMING.get(_role(cur, role), _UPCOMING["client"]), (limit,))
        return [_call(row) for row in cur.fetchall()]


def past(
    db: Database, actor: str, now: datetime | None, limit: int = 50, *, role: str | None = None
) -> list[Call]:
    """Booked calls that have ended, as far back as history_shown, latest first (whose: as
    ``upcoming``)."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(_PAST.get(_role(cur, role), _PAST["client"]), (limit,))
        return [_call(row) for row in cur.fetchall()]


@dataclass(frozen=True)
class PastCall:
    """A call of the history list: over or cancelled, and if cancelled by whom, when, why.

    ``cancelled_by`` is what the person who cancelled is to the call: client, coach, admin or
    system (no one signed in: an operator, or a deactivation); their name is None when the
    reader may not see that user (a client does not see admins)."""

    call: Call
    cancelled_at: datetime | None
    reason: str | None
    cancelled_by_name: str | None
    cancelled_by: str | None


@dataclass(frozen=True)
class Page:
    """One page of the history list, and the cursor of the next (None: this is the last)."""

    calls: list[PastCall]
    next_before: tuple[datetime, str] | None


FIRST_PAGE = (datetime.max.replace(tzinfo=UTC), "")


def history(
    db: Database,
    actor: str,
    role: str,
    now: datetime | None,
    before: tuple[datetime, str] | None = None,
    limit: int = 20,
) -> Page:
    """The actor's calls that have ended or were cancelled (within history_shown), latest
    first, from the cursor ``before`` (the start and token of the last call shown; None for
    the first page). ``role`` is the actor's, client or coach; any other has no history."""
    if role not in _HISTORY:
        return Page([], None)
    start, token = before or FIRST_PAGE
    with db.transaction(actor, now=now) as cur:
        cur.execute(_HISTORY[role], {"before": start, "before_token": token, "limit": limit + 1})
        rows = [PastCall(_call(r[:14]), *r[14:]) for r in cur.fetchall()]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].call if rows else None
    return Page(rows, (last.start, last.token) if more and last else None)


def call(db: Database, actor: str, token: str, now: datetime | None) -> Call | None:
    """One call the actor may see, or None."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.call_by_token, (token,))
        row = cur.fetchone()
        return _call(row) if row else None


@dataclass(frozen=True)
class CoachInfo:
    """A client's current coach and the rules that shape the week pages."""

    coach: Party
    horizon: timedelta
    monthly_limit: int


def coach_info(db: Database, actor: str, now: datetime | None) -> CoachInfo | None:
    """The signed-in client's current coach, or None when none is assigned."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.own_coach_with_rules)
        row = cur.fetchone()
        return _coach_info(row) if row else None


def _coach_info(row: tuple[Any, ...]) -> CoachInfo:
    """A row of own_coach_with_rules (or one beginning with its columns) as a CoachInfo."""
    return CoachInfo(Party(*row[:4]), row[4], row[5])


def coach_info_of(row: tuple[Any, ...] | None) -> CoachInfo:
    """Another module's row beginning with own_coach_with_rules' columns as a CoachInfo. Raises
    NoCoachingRelationship for no row (no coach the actor may see)."""
    if row is None:
        raise errors.NoCoachingRelationship("No coach is assigned to you yet.")
    return _coach_info(row[:6])


@dataclass(frozen=True)
class DayException:
    """A dated office-hours exception, in the coach's zone."""

    day: date
    start: time | None
    end: time | None


def exceptions(db: Database, actor: str, coach: str, since: date) -> list[DayException]:
    """A coach's exceptions from ``since`` on."""
    with db.transaction(actor) as cur:
        cur.execute(Q.coach_exceptions_since, {"coach": coach, "since": since})
        return [DayException(*row) for row in cur.fetchall()]


def clients_of(db: Database, actor: str) -> list[Party]:
    """The coach's current clients, by name."""
    with db.transaction(actor) as cur:
        cur.execute(Q.own_current_clients)
        return [Party(*row) for row in cur.fetchall()]


@dataclass(frozen=True)
class Conflict:
    """A booked call that overlaps the coach's busy time."""

    token: str
    client_name: str
    start: datetime
    end: datetime
    busy_start: datetime
    busy_end: datetime


def conflicts(db: Database, actor: str, now: datetime | None) -> list[Conflict]:
    """The coach's booked future calls that collide with their busy time."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.own_conflicts)
        return [Conflict(*row) for row in cur.fetchall()]


@dataclass(frozen=True)
class Credential:
    """An API token or app password, without its secret."""

    handle: str
    label: str
    created_at: datetime
    last_used_at: datetime | None


def credentials(db: Database, actor: str, kind: str) -> list[Credential]:
    """The actor's own unrevoked API tokens (kind 'api_token') or app passwords."""
    with db.transaction(actor) as cur:
        cur.execute(Q.own_credentials, (kind,))
        return [Credential(*row) for row in cur.fetchall()]


def has_feed(db: Database, actor: str) -> bool:
    """True when the actor has an active calendar-feed URL."""
    with db.transaction(actor) as cur:
        cur.execute(Q.has_feed_token)
        return bool(one(cur)[0])


def new_feed(db: Database, actor: str) -> str:
    """Makes a new calendar-feed secret for the actor (revoking the old); returns it."""
    with db.transaction(actor) as cur:
        cur.execute(Q.create_feed_token)
        return str(one(cur)[0])


def revoke_feed(db: Database, actor: str) -> bool:
    """Revokes the actor's calendar-feed URL."""
    with db.transaction(actor) as cur:
        cur.execute(Q.revoke_feed_token)
        return bool(one(cur)[0])


def feed_owner(db: Database, secret: str) -> str | None:
    """The slug whose feed secret this is, or None."""
    with db.transaction() as cur:
        cur.execute(Q.user_for_feed_token, (secret,))
        row = cur.fetchone()
        return str(row[0]) if row and row[0] else None
