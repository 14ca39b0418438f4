"""What the pages read, as the signed-in user: row-level security decides which rows they get.

Writes go through the core (officehours.booking, officehours.accounts); these are the reads the
core has no call for yet. Serial ids are used in joins only and never selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ics.model import Appointment as IcsAppointment
from ics.model import Person
from officehours import errors
from officehours.accounts import USER_COLUMNS, User
from officehours.booking import Slot
from officehours.db import Database, one


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


_CALLS = """
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       lower(a.during), upper(a.during), a.status::text, a.revision, a.series
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
"""


def _call(row: tuple[Any, ...]) -> Call:
    return Call(row[0], Party(*row[1:5]), Party(*row[5:9]), *row[9:])


def upcoming(db: Database, actor: str, now: datetime | None, limit: int = 200) -> list[Call]:
    """Booked calls that have not ended, soonest first."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(
            _CALLS + "WHERE a.status = 'booked' AND upper(a.during) > clock() "
            "ORDER BY lower(a.during), a.token LIMIT %s",
            (limit,),
        )
        return [_call(row) for row in cur.fetchall()]


def past(db: Database, actor: str, now: datetime | None, limit: int = 50) -> list[Call]:
    """Calls that have ended (clients see them only as far back as history_shown), latest first."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(
            _CALLS + "WHERE a.status = 'booked' AND upper(a.during) <= clock() "
            "AND upper(a.during) > clock() - rule_duration('history_shown', a.coach_id) "
            "ORDER BY lower(a.during) DESC, a.token LIMIT %s",
            (limit,),
        )
        return [_call(row) for row in cur.fetchall()]


def call(db: Database, actor: str, token: str, now: datetime | None) -> Call | None:
    """One call the actor may see, or None."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(_CALLS + "WHERE a.token = %s", (token,))
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
        cur.execute(
            "SELECT co.slug, co.display_name, co.email, co.time_zone, "
            "rule_duration('booking_horizon', co.id), rule_count('monthly_limit', co.id) "
            "FROM coaching c JOIN users co ON co.id = c.coach_id "
            "WHERE c.client_id = current_actor_id() AND upper_inf(c.during)"
        )
        row = cur.fetchone()
        return CoachInfo(Party(*row[:4]), row[4], row[5]) if row else None


_COACH = (
    "SELECT co.slug, co.display_name, co.email, co.time_zone, "
    "rule_duration('booking_horizon', co.id), rule_count('monthly_limit', co.id) FROM users co "
)


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
        if coach is None:
            cur.execute(
                _COACH + "JOIN coaching c ON c.coach_id = co.id "
                "WHERE c.client_id = current_actor_id() AND upper_inf(c.during)"
            )
        else:
            cur.execute(_COACH + "WHERE co.slug = %s", (coach,))
        row = cur.fetchone()
        if row is None:
            raise errors.NoCoachingRelationship("No coach is assigned to you yet.")
        info = CoachInfo(Party(*row[:4]), row[4], row[5])
        cur.execute(
            "SELECT slot_start, slot_end FROM free_slots(%s, %s, %s)", (info.coach.slug, start, end)
        )
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
        cur.execute(
            "SELECT e.on_date, e.starts, e.ends FROM office_hours_exceptions e "
            "JOIN users u ON u.id = e.coach_id WHERE u.slug = %s AND e.on_date >= %s "
            "ORDER BY e.on_date, e.starts NULLS FIRST",
            (coach, since),
        )
        return [DayException(*row) for row in cur.fetchall()]


def clients_of(db: Database, actor: str) -> list[Party]:
    """The coach's current clients, by name."""
    with db.transaction(actor) as cur:
        cur.execute(
            "SELECT u.slug, u.display_name, u.email, u.time_zone FROM coaching c "
            "JOIN users u ON u.id = c.client_id "
            "WHERE c.coach_id = current_actor_id() AND upper_inf(c.during) "
            "ORDER BY lower(u.display_name), u.slug"
        )
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
        cur.execute(
            "SELECT appointment, client_name, starts, ends, busy_starts, busy_ends "
            "FROM coach_conflicts WHERE coach_id = current_actor_id() ORDER BY starts"
        )
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
        cur.execute(
            "SELECT handle, label, created_at, last_used_at FROM credentials WHERE kind = %s "
            "AND user_id = current_actor_id() AND revoked_at IS NULL ORDER BY created_at",
            (kind,),
        )
        return [Credential(*row) for row in cur.fetchall()]


def assignments(db: Database, actor: str) -> list[tuple[Party, str | None]]:
    """Every active client with their current coach's slug (admins)."""
    with db.transaction(actor) as cur:
        cur.execute(
            "SELECT u.slug, u.display_name, u.email, u.time_zone, co.slug FROM users u "
            "LEFT JOIN coaching c ON c.client_id = u.id AND upper_inf(c.during) "
            "LEFT JOIN users co ON co.id = c.coach_id "
            "WHERE u.role = 'client' AND u.active ORDER BY lower(u.display_name), u.slug"
        )
        return [(Party(*row[:4]), row[4]) for row in cur.fetchall()]


def has_feed(db: Database, actor: str) -> bool:
    """True when the actor has an active calendar-feed URL."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT has_feed_token()")
        return bool(one(cur)[0])


def new_feed(db: Database, actor: str) -> str:
    """Makes a new calendar-feed secret for the actor (revoking the old); returns it."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT create_feed_token()")
        return str(one(cur)[0])


def revoke_feed(db: Database, actor: str) -> bool:
    """Revokes the actor's calendar-feed URL."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT revoke_feed_token()")
        return bool(one(cur)[0])


def feed_owner(db: Database, secret: str) -> str | None:
    """The slug whose feed secret this is, or None."""
    with db.transaction() as cur:
        cur.execute("SELECT user_for_feed_token(%s)", (secret,))
        row = cur.fetchone()
        return str(row[0]) if row and row[0] else None


def signed_in(db: Database, slug: str) -> tuple[User, bytes | None]:
    """The signed-in user and the database's stamp of their current password (see
    booking_web.security.session_stamp), in one round trip. Raises unknown_user when the slug
    names no active user any more."""
    with db.transaction(slug) as cur:
        # Row-level security shows the acting user their own row only while they are active.
        cur.execute(f"SELECT {USER_COLUMNS}, password_stamp() FROM users WHERE slug = %s", (slug,))
        row = cur.fetchone()
        if row is None:
            raise errors.UnknownUser("You are no longer signed in.")
        stamp = row[-1]
        return User(*row[:-1]), bytes(stamp) if stamp is not None else None


def login_allowed(db: Database, email: str, remote: str) -> bool:
    """False while sign-ins for this email or address are rate-limited."""
    with db.transaction() as cur:
        cur.execute("SELECT login_allowed(%s, %s)", (email, remote))
        return bool(one(cur)[0])


def note_login(db: Database, email: str, remote: str, ok: bool) -> None:
    """Records a failed sign-in, or clears the failures after a good one."""
    with db.transaction() as cur:
        if ok:
            cur.execute("SELECT forget_login_failures(%s)", (email,))
        else:
            cur.execute("SELECT note_login_failure(%s, %s)", (email, remote))
