"""Typed calls for users, coaching, office hours, business rules and credentials.

``actor`` is the acting user's slug (row-level security applies) or None for the owner.
Each function raises the ``officehours.errors`` class of the rule a request breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from officehours.db import Database, one


@dataclass(frozen=True)
class User:
    """A user as others may see them."""

    slug: str
    email: str
    name: str
    time_zone: str
    role: str
    active: bool


@dataclass(frozen=True)
class WeeklyHours:
    """One weekly office-hours rule (ISO weekday, 1 = Monday)."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Rule:
    """A business rule's effective value, for one coach or (coach None) globally."""

    name: str
    value_type: str
    description: str
    coach: str | None
    value: timedelta | int
    overridden: bool
    text: str


USER_COLUMNS = "slug, email, display_name, time_zone, role::text, active"


def add_user(
    db: Database,
    actor: str | None,
    email: str,
    name: str,
    role: str,
    time_zone: str,
    password_hash: str | None = None,
) -> str:
    """Creates a user and returns the new slug."""
    with db.transaction(actor) as cur:
        cur.execute(
            "SELECT add_user(%s, %s, %s::user_role, %s, %s)",
            (email, name, role, time_zone, password_hash),
        )
        return str(one(cur)[0])


def get_user(db: Database, actor: str | None, who: str) -> User:
    """A user by slug or email, as far as the actor may see them."""
    with db.transaction(actor) as cur:
        cur.execute(f"SELECT {USER_COLUMNS} FROM find_user(%s)", (who,))
        return User(*one(cur))


def list_users(db: Database, actor: str | None, role: str | None = None) -> list[User]:
    """The users the actor may see, by name."""
    with db.transaction(actor) as cur:
        cur.execute(
            f"SELECT {USER_COLUMNS} FROM users WHERE %s IS NULL OR role::text = %s "
            "ORDER BY lower(display_name), slug",
            (role, role),
        )
        return [User(*row) for row in cur.fetchall()]


def set_active(db: Database, actor: str | None, who: str, active: bool) -> None:
    """Activates or deactivates a user (deactivation ends coaching and cancels future calls)."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT set_user_active(%s, %s)", (who, active))


def set_password_hash(db: Database, actor: str | None, who: str, password_hash: str) -> None:
    """Stores a new password hash for a user."""
    with db.transaction(actor) as cur:
        cur.execute(
            "UPDATE users SET password_hash = %s WHERE id = (find_user(%s)).id",
            (password_hash, who),
        )


def assign_coach(db: Database, actor: str | None, client: str, coach: str) -> None:
    """Makes ``coach`` the client's coach from now on (the old relationship stays as history)."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT assign_coach(%s, %s)", (client, coach))


def set_office_hours(db: Database, actor: str | None, coach: str, rules: list[WeeklyHours]) -> None:
    """Replaces a coach's weekly office hours."""
    with db.transaction(actor) as cur:
        cur.execute(
            "SELECT set_office_hours(%s, %s::integer[], %s::time[], %s::time[])",
            (coach, [r.weekday for r in rules], [r.start for r in rules], [r.end for r in rules]),
        )


def office_hours(db: Database, actor: str | None, coach: str) -> list[WeeklyHours]:
    """A coach's weekly office hours, by weekday and time."""
    with db.transaction(actor) as cur:
        cur.execute(
            "SELECT weekday, starts, ends FROM office_hours "
            "WHERE coach_id = (find_user(%s)).id ORDER BY weekday, starts",
            (coach,),
        )
        return [WeeklyHours(*row) for row in cur.fetchall()]


def add_exception(
    db: Database,
    actor: str | None,
    coach: str,
    day: date,
    start: time | None = None,
    end: time | None = None,
) -> None:
    """Adds a dated exception: a day off (no times) or that date's hours."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT set_office_hours_exception(%s, %s, %s, %s)", (coach, day, start, end))


def clear_exceptions(db: Database, actor: str | None, coach: str, day: date) -> int:
    """Removes a date's exceptions; returns how many there were."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT clear_office_hours_exceptions(%s, %s)", (coach, day))
        return int(one(cur)[0])


def rules(db: Database, actor: str | None, coach: str | None = None) -> list[Rule]:
    """The effective rules, globally (coach None) or for one coach."""
    with db.transaction(actor) as cur:
        if coach is None:
            cur.execute(
                "SELECT d.name, d.value_type, d.description, NULL, "
                "coalesce(r.duration_value::text, r.count_value::text), false, "
                "coalesce(describe_interval(r.duration_value), r.count_value::text) "
                "FROM rule_definitions d JOIN business_rules r "
                "ON r.name = d.name AND r.coach_id IS NULL ORDER BY d.name"
            )
        else:
            cur.execute(
                "SELECT name, value_type, description, coach, "
                "coalesce(duration_value::text, count_value::text), overridden, "
                "coalesce(describe_interval(duration_value), count_value::text) "
                "FROM effective_rules WHERE coach = (find_user(%s)).slug ORDER BY name",
                (coach,),
            )
        return [_rule(row) for row in cur.fetchall()]


def _rule(row: tuple[Any, ...]) -> Rule:
    name, kind, description, coach, raw, overridden, text = row
    value: timedelta | int = int(raw) if kind == "count" else _interval(raw)
    return Rule(name, kind, description, coach, value, overridden, text)


def _interval(text: str) -> timedelta:
    # PostgreSQL's default interval output: "[N day[s] ]HH:MM:SS"
    days = 0
    if "day" in text:
        count, _, text = text.partition(" day")
        days = int(count)
        text = text.lstrip("s").strip() or "00:00:00"
    hours, minutes, seconds = (int(float(part)) for part in text.split(":"))
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def set_rule(
    db: Database, actor: str | None, name: str, value: str, coach: str | None = None
) -> None:
    """Sets a rule globally, or for one coach. ``value`` is text: '60 minutes', '24 hours', '2'."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT set_rule(%s, %s, %s)", (name, value, coach))


def unset_rule(db: Database, actor: str | None, name: str, coach: str) -> bool:
    """Removes a coach's override of a rule; true when there was one."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT unset_rule(%s, %s)", (name, coach))
        return bool(one(cur)[0])


def create_api_token(db: Database, actor: str | None, who: str, label: str = "") -> tuple[str, str]:
    """Creates an API token for a user; returns (handle, secret). The secret is shown once."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT handle, secret FROM create_api_token(%s, %s)", (who, label))
        handle, secret = one(cur)
        return str(handle), str(secret)


def create_app_password(
    db: Database, actor: str | None, who: str, label: str = ""
) -> tuple[str, str]:
    """Creates a CalDAV app password; returns (handle, secret). The secret is shown once."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT handle, secret FROM create_app_password(%s, %s)", (who, label))
        handle, secret = one(cur)
        return str(handle), str(secret)


def revoke(db: Database, actor: str | None, kind: str, handle: str) -> bool:
    """Revokes an API token (kind 'api_token') or app password ('app_password')."""
    with db.transaction(actor) as cur:
        cur.execute("SELECT revoke_credential(%s, %s)", (kind, handle))
        return bool(one(cur)[0])


def user_for_api_token(db: Database, secret: str) -> str | None:
    """The slug of the user an API token belongs to, or None."""
    with db.transaction() as cur:
        cur.execute("SELECT user_for_api_token(%s)", (secret,))
        row = cur.fetchone()
        return str(row[0]) if row and row[0] else None


def user_for_app_password(db: Database, email: str, secret: str) -> str | None:
    """The slug of the user with this email and app password, or None."""
    with db.transaction() as cur:
        cur.execute("SELECT user_for_app_password(%s, %s)", (email, secret))
        row = cur.fetchone()
        return str(row[0]) if row and row[0] else None


def login_lookup(db: Database, email: str) -> tuple[str, str | None] | None:
    """(slug, password hash) of an active user by email, or None."""
    with db.transaction() as cur:
        cur.execute("SELECT slug, password_hash FROM login_lookup(%s)", (email,))
        row = cur.fetchone()
        return (str(row[0]), row[1]) if row else None
