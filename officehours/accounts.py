"""Typed calls for users, coaching, office hours, business rules and credentials.

``actor`` is the acting user's slug (row-level security applies) or None for the owner.
Each function raises the ``officehours.errors`` class of the rule a request breaks.
The SQL they run is in ``accounts.sql`` beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ics import addresses
from officehours import errors, sqlfiles
from officehours.db import Database, one

Q: sqlfiles.Queries = sqlfiles.load(__name__)


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
    label: str = ""
    """The rule's name as people read it ("Change cut-off"): rule_label in SQL."""


def add_user(
    db: Database,
    actor: str | None,
    email: str,
    name: str,
    role: str,
    time_zone: str,
    password_hash: str | None = None,
    *,
    welcome: bool = False,
    now: datetime | None = None,
) -> str:
    """Creates a user and returns the new slug. The email is stored in the form
    ``ics.addresses.email_address`` gives (domain in lower-case ASCII); the database checks
    both again. With ``welcome`` and no password, the new user is mailed a link to set one (the
    welcome_link_valid rule says how long it works), in the same transaction: an account never
    exists without a way in. now: the rules' clock.

    Raises:
        InvalidEmail, InvalidName: saying what is wrong with the address or the name.
        OfficeHoursError: for any other rule the new user breaks (email_taken, ...).
    """
    # Spaces around either are trimmed, as the database's add_user has always done.
    try:
        email = addresses.email_address(email.strip(" "))
    except addresses.AddressError as exc:
        raise errors.InvalidEmail(f"That is not an email address: {exc}") from exc
    try:
        name = addresses.display_name(name.strip(" "))
    except addresses.AddressError as exc:
        raise errors.InvalidName(str(exc)) from exc
    with db.transaction(actor, now=now) as cur:
        cur.execute(
            Q.add_user,
            {
                "email": email,
                "name": name,
                "role": role,
                "time_zone": time_zone,
                "password_hash": password_hash,
            },
        )
        slug = str(one(cur)[0])
        if welcome and password_hash is None:
            cur.execute(Q.send_welcome_link, {"who": slug})
        return slug


def update_user(
    db: Database,
    actor: str | None,
    who: str,
    name: str,
    time_zone: str,
    *,
    email: str | None = None,
    role: str | None = None,
    now: datetime | None = None,
) -> None:
    """Changes a user's name and time zone (their own, or anyone's for an admin) and, for an
    admin, email and role (None: unchanged). Stored times do not change: pages, mail and invites
    show them in the new zone from then on. now: the rules' clock.

    Raises:
        InvalidName, InvalidEmail: saying what is wrong with the name or the address.
        InvalidTimeZone, Forbidden, UnknownUser, EmailTaken.
        WrongRole: when the database refuses the role change (a coach with clients, a client
            with a coach, a user with calls booked), with its message.
    """
    try:
        name = addresses.display_name(name.strip(" "))
    except addresses.AddressError as exc:
        raise errors.InvalidName(str(exc)) from exc
    if email is not None:
        try:
            email = addresses.email_address(email.strip(" "))
        except addresses.AddressError as exc:
            raise errors.InvalidEmail(f"That is not an email address: {exc}") from exc
    with db.transaction(actor, now=now) as cur:
        cur.execute(
            Q.update_user,
            {"who": who, "name": name, "time_zone": time_zone, "email": email, "role": role},
        )


def time_zones(db: Database) -> list[str]:
    """Every zone a user may have, by name: the database's list under the rule its CHECK on
    users uses (is_time_zone)."""
    with db.transaction() as cur:
        cur.execute(Q.time_zones)
        return [str(row[0]) for row in cur.fetchall()]


@dataclass(frozen=True)
class DeactivationEffects:
    """What deactivating a user would do now (computed by the database)."""

    role: str
    active: bool
    coaching_ended: int
    calls_cancelled: int
    people_mailed: int
    credentials_revoked: int


def deactivation_effects(
    db: Database, actor: str | None, who: str, *, now: datetime | None = None
) -> DeactivationEffects:
    """What deactivating ``who`` would do now, for a confirmation. Raises UnknownUser."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.deactivation_effects, {"who": who})
        return DeactivationEffects(*one(cur))


def get_user(db: Database, actor: str | None, who: str) -> User:
    """A user by slug or email, as far as the actor may see them."""
    with db.transaction(actor) as cur:
        cur.execute(Q.user_by_slug_or_email, (who,))
        return User(*one(cur))


def list_users(db: Database, actor: str | None, role: str | None = None) -> list[User]:
    """The users the actor may see, by name."""
    with db.transaction(actor) as cur:
        cur.execute(Q.users_by_name, {"role": role})
        return [User(*row) for row in cur.fetchall()]


def set_active(
    db: Database, actor: str | None, who: str, active: bool, *, now: datetime | None = None
) -> None:
    """Activates or deactivates a user (deactivation ends coaching, cancels future calls and
    revokes the user's tokens, app passwords and feed URL). now: the rules' clock."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.set_user_active, (who, active))


def set_password_hash(db: Database, actor: str | None, who: str, password_hash: str) -> None:
    """Stores a new password hash for a user."""
    with db.transaction(actor) as cur:
        cur.execute(Q.set_password_hash, {"password_hash": password_hash, "who": who})


def assign_coach(
    db: Database, actor: str | None, client: str, coach: str, *, now: datetime | None = None
) -> None:
    """Makes ``coach`` the client's coach from now on (the old relationship stays as history,
    its future calls are cancelled). now: the rules' clock."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.assign_coach, (client, coach))


def set_office_hours(db: Database, actor: str | None, coach: str, rules: list[WeeklyHours]) -> None:
    """Replaces a coach's weekly office hours."""
    with db.transaction(actor) as cur:
        cur.execute(
            Q.set_office_hours,
            {
                "coach": coach,
                "weekdays": [r.weekday for r in rules],
                "starts": [r.start for r in rules],
                "ends": [r.end for r in rules],
            },
        )


def office_hours(db: Database, actor: str | None, coach: str) -> list[WeeklyHours]:
    """A coach's weekly office hours, by weekday and time."""
    with db.transaction(actor) as cur:
        cur.execute(Q.weekly_office_hours, (coach,))
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
        cur.execute(
            Q.set_office_hours_exception,
            {"coach": coach, "day": day, "start": start, "end": end},
        )


def clear_exceptions(db: Database, actor: str | None, coach: str, day: date) -> int:
    """Removes a date's exceptions; returns how many there were."""
    with db.transaction(actor) as cur:
        cur.execute(Q.clear_office_hours_exceptions, (coach, day))
        return int(one(cur)[0])


def rules(db: Database, actor: str | None, coach: str | None = None) -> list[Rule]:
    """The effective rules, globally (coach None) or for one coach."""
    with db.transaction(actor) as cur:
        if coach is None:
            cur.execute(Q.global_rules)
        else:
            cur.execute(Q.coach_rules, (coach,))
        return [_rule(row) for row in cur.fetchall()]


def _rule(row: tuple[Any, ...]) -> Rule:
    """A Rule from a row of ``global_rules`` or ``coach_rules``: durations come as seconds, so
    no interval text of PostgreSQL is parsed here."""
    name, kind, description, coach, raw, overridden, text, label = row
    value: timedelta | int = int(raw) if kind == "count" else timedelta(seconds=int(raw))
    return Rule(name, kind, description, coach, value, overridden, text, label)


def set_rule(
    db: Database, actor: str | None, name: str, value: str, coach: str | None = None
) -> None:
    """Sets a rule globally, or for one coach. ``value`` is text: whole minutes, hours or days
    for a duration ('60 minutes', '24 hours', '1 day 12 hours', '0'), digits for a count ('2').
    Raises InvalidRuleValue (naming the units allowed), UnknownRule, UnknownUser."""
    with db.transaction(actor) as cur:
        cur.execute(Q.set_rule, (name, value, coach))


def unset_rule(db: Database, actor: str | None, name: str, coach: str) -> bool:
    """Removes a coach's override of a rule; true when there was one."""
    with db.transaction(actor) as cur:
        cur.execute(Q.unset_rule, (name, coach))
        return bool(one(cur)[0])


def create_api_token(db: Database, actor: str | None, who: str, label: str = "") -> tuple[str, str]:
    """Creates an API token for a user; returns (handle, secret). The secret is shown once."""
    with db.transaction(actor) as cur:
        cur.execute(Q.create_api_token, (who, label))
        handle, secret = one(cur)
        return str(handle), str(secret)


def create_app_password(
    db: Database, actor: str | None, who: str, label: str = ""
) -> tuple[str, str]:
    """Creates a CalDAV app password; returns (handle, secret). The secret is shown once."""
    with db.transaction(actor) as cur:
        cur.execute(Q.create_app_password, (who, label))
        handle, secret = one(cur)
        return str(handle), str(secret)


def revoke(db: Database, actor: str | None, kind: str, handle: str) -> bool:
    """Revokes an API token (kind 'api_token') or app password ('app_password')."""
    with db.transaction(actor) as cur:
        cur.execute(Q.revoke_credential, (kind, handle))
        return bool(one(cur)[0])


def user_for_api_token(db: Database, secret: str) -> str | None:
    """The slug of the user an API token belongs to, or None."""
    with db.transaction() as cur:
        cur.execute(Q.user_for_api_token, (secret,))
        row = cur.fetchone()
        return str(row[0]) if row and row[0] else None


def user_for_app_password(db: Database, email: str, secret: str) -> str | None:
    """The slug of the user with this email and app password, or None."""
    with db.transaction() as cur:
        cur.execute(Q.user_for_app_password, (email, secret))
        row = cur.fetchone()
        return str(row[0]) if row and row[0] else None


def login_lookup(db: Database, email: str) -> tuple[str, str | None] | None:
    """(slug, password hash) of an active user by email, or None."""
    with db.transaction() as cur:
        cur.execute(Q.login_lookup, (email,))
        row = cur.fetchone()
        return (str(row[0]), row[1]) if row else None
