"""What the pages read, as the signed-in user: row-level security decides which rows they get.

Writes go through the core (officehours.booking, officehours.accounts); these are the reads the
core has no call for yet. Their SQL is in queries.sql beside this module. Serial ids are used in
joins only and never selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ics.model import Appointment as IcsAppointment
from ics.model import Person
from officehours import errors, sqlfiles
from officehours.booking import Slot
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
    """A row of upcoming_calls, past_calls or call_by_token as a Call."""
    return Call(row[0], Party(*row[1:5]), Party(*row[5:9]), *row[9:])


def upcoming(db: Database, actor: str, now: datetime | None, limit: int = 200) -> list[Call]:
    """Booked calls that have not ended, soonest first."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.upcoming_calls, (limit,))
        return [_call(row) for row in cur.fetchall()]


def past(db: Database, actor: str, now: datetime | None, limit: int = 50) -> list[Call]:
    """Calls that have ended (clients see them only as far back as history_shown), latest first."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.past_calls, (limit,))
        return [_call(row) for row in cur.fetchall()]


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
    """A row of own_coach_with_rules or coach_with_rules_by_slug as a CoachInfo."""
    return CoachInfo(Party(*row[:4]), row[4], row[5])


def coach_info_in(cur: Cursor, coach: str | None) -> CoachInfo:
    """On an open transaction's cursor: a coach (None: the actor's own) with the rules of the
    week pages. Raises NoCoachingRelationship when there is none the actor may see."""
    if coach is None:
        cur.execute(Q.own_coach_with_rules)
    else:
        cur.execute(Q.coach_with_rules_by_slug, (coach,))
    row = cur.fetchone()
    if row is None:
        raise errors.NoCoachingRelationship("No coach is assigned to you yet.")
    return _coach_info(row)


def coach_week(
    db: Database,
    actor: str,
    coach: str | None,
    start: datetime,
    end: datetime,
    now: datetime | None,
) -> tuple[CoachInfo, list[Slot]]:
    """A coach (None: the actor's own coach) and their free slots between start and end, in
    one transaction: the week pages' one round trip. The SQL function free_slots decides which
    slots are free and whether the actor may see them.

    Raises NoCoachingRelationship when the actor has no coach, and free_slots' errors."""
    with db.transaction(actor, now=now) as cur:
        # Two queries rather than one with "slug IS NULL OR ...": each keeps its own index plan.
        if coach is None:
            cur.execute(Q.own_coach_with_rules)
        else:
            cur.execute(Q.coach_with_rules_by_slug, (coach,))
        row = cur.fetchone()
        if row is None:
            raise errors.NoCoachingRelationship("No coach is assigned to you yet.")
        info = _coach_info(row)
        cur.execute(Q.free_slots, {"coach": info.coach.slug, "start": start, "end": end})
        return info, [Slot(*r) for r in cur.fetchall()]


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


def assignments(db: Database, actor: str) -> list[tuple[Party, str | None]]:
    """Every active client with their current coach's slug (admins)."""
    with db.transaction(actor) as cur:
        cur.execute(Q.active_clients_with_coach)
        return [(Party(*row[:4]), row[4]) for row in cur.fetchall()]


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
