"""Signing in, for every adapter: website passwords, API bearer tokens, CalDAV app passwords,
and the website's sessions. The SQL is in ``signin.sql`` beside this module; the rules (the
limits on failed sign-ins, how long a session lasts, what ends one) are in
``sql/definitions/52_sign_in.sql``.

Why not a rate-limiting library (limits, pyrate-limiter, Flask-Limiter): they count requests in
buckets, in memory, Redis or their own tables, one check and one record per call. A sign-in
limit here is part of the sign-in itself: checked and counted in the same transaction as the
credential (an app password or token is looked up in SQL) or before the slow argon2 check (a
website password), keyed by address-and-place as well as place, with a delay that grows per
failure, in the one store every process of officehours shares. That is a few lines of SQL next to
the credentials, and no second store to run.

``now`` everywhere is the rules' clock (None: the database's), so tests can move it.
"""

from __future__ import annotations

import re
from datetime import datetime

from ics import addresses
from officehours import accounts, errors, passwords, sqlfiles
from officehours.accounts import User
from officehours.db import Database, one

Q = sqlfiles.load(__name__)

MAX_EMAIL_LENGTH = 320
# What a bearer token or a session secret can look like (RFC 6750's b64token): anything else
# is refused before it reaches the database.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{1,200}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def wait_in_words(seconds: int) -> str:
    """``seconds`` for a person: '30 seconds', '1 minute', '15 minutes'."""
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# The same code for a bearer token, which comes with no form field.
_TooManyTokenAttempts = type("TooManyTokenAttempts", (errors.TooManyAttempts,), {"field": None})


def too_many_attempts(seconds: int, *, token: bool = False) -> errors.OfficeHoursError:
    """The too_many_attempts error for a wait of ``seconds``, with Retry-After."""
    cls = _TooManyTokenAttempts if token else errors.TooManyAttempts
    return cls(
        f"Too many failed sign-ins. Please wait {wait_in_words(seconds)} and try again.",
        retry_after=seconds,
    )


def usable_email(email: str) -> bool:
    """False for what cannot be any account's email (a NUL or other control character, or
    too long): such a sign-in is refused without asking the database."""
    return 0 < len(email) <= MAX_EMAIL_LENGTH and not _CONTROL.search(email)


def sign_in_email(typed: str) -> str:
    """The address as it is stored, when ``typed`` is one (its domain in lower-case A-labels:
    ``ics.addresses.email_address``), else ``typed`` itself: an address with an international
    domain signs in typed in its own letters or as xn--, and its failures count once."""
    try:
        return addresses.email_address(typed.strip())
    except addresses.AddressError:
        return typed


def password_sign_in(
    db: Database, email: str, password: str, remote: str, now: datetime | None = None
) -> str:
    """The slug of the active user with this email and website password, signing in from
    ``remote`` (an IP address). Rehashes a password stored with weaker parameters.

    Raises TooManyAttempts (with retry_after) while this email from this place, the email, or
    the place failed too often: the password is then not checked at all. Raises
    WrongCredentials otherwise when the email and password do not match an active account.
    """
    if not usable_email(email):
        raise errors.WrongCredentials()
    email = sign_in_email(email)
    with db.transaction(now=now) as cur:
        cur.execute(Q.begin_password_sign_in, {"email": email, "remote": remote})
        wait = int(one(cur)[0])
    if wait:
        raise too_many_attempts(wait)
    found = accounts.login_lookup(db, email)
    slug, password_hash = found if found else ("", None)
    # verify_password refuses an over-long password without hashing it, and spends the time of
    # a real check when there is no such account.
    if not passwords.verify_password(password_hash, password) or not slug or not password_hash:
        raise errors.WrongCredentials()  # counted already by begin_password_sign_in
    with db.transaction(now=now) as cur:
        cur.execute(Q.password_sign_in_succeeded, {"email": email, "remote": remote})
    if passwords.needs_rehash(password_hash):
        accounts.set_password_hash(db, None, slug, passwords.rehash(password))
    return slug


def _user(row: tuple[object, ...]) -> User:
    """A User from the first six columns of api_token_sign_in or web_session_user."""
    slug, email, name, zone, role, active = row[:6]
    return User(str(slug), str(email), str(name), str(zone), str(role), bool(active))


def api_token_user(
    db: Database, secret: str, remote: str, now: datetime | None = None
) -> User | None:
    """The active user owning this bearer token, or None; a failure counts against ``remote``.

    Raises TooManyAttempts (with retry_after) while ``remote`` failed too often."""
    usable = secret if SECRET_SHAPE.fullmatch(secret) else None
    # One round trip, as for a session: a request signed in with a token asks this first.
    rows = db.query(Q.api_token_sign_in, {"secret": usable, "remote": remote}, now=now)
    row = rows[0] if rows else None
    if row is not None and row[-1]:
        raise too_many_attempts(int(row[-1]), token=True)
    return _user(row) if row is not None and row[0] is not None else None


def app_password_user(
    db: Database, email: str, secret: str, remote: str, now: datetime | None = None
) -> str | None:
    """The slug of the active user with this email and CalDAV app password, or None; a failure
    counts against the email from ``remote`` and against ``remote``.

    Raises TooManyAttempts (with retry_after) while either failed too often."""
    if not usable_email(email):
        return None
    email = sign_in_email(email)
    usable = secret if SECRET_SHAPE.fullmatch(secret) else None
    with db.transaction(now=now) as cur:
        cur.execute(Q.app_password_sign_in, {"email": email, "secret": usable, "remote": remote})
        slug, wait = one(cur)
    if wait:
        raise too_many_attempts(int(wait))
    return str(slug) if slug else None


def open_session(db: Database, slug: str, now: datetime | None = None) -> str:
    """Starts a website session for ``slug`` (whose password was just checked); returns its
    secret, for the cookie. Raises NotSignedIn when the user is not active."""
    with db.transaction(now=now) as cur:
        cur.execute(Q.open_web_session, {"slug": slug})
        return str(one(cur)[0])


def session_user(db: Database, secret: str, now: datetime | None = None) -> User | None:
    """The user of the live session with this secret, or None once it ended or expired."""
    if not SECRET_SHAPE.fullmatch(secret):
        return None
    # One round trip: every request asks this before anything else.
    rows = db.query(Q.web_session_user, {"secret": secret}, now=now)
    return _user(rows[0]) if rows else None


def end_session(db: Database, secret: str, now: datetime | None = None) -> bool:
    """Signs out: ends the session with this secret for every copy of its cookie."""
    if not SECRET_SHAPE.fullmatch(secret):
        return False
    with db.transaction(now=now) as cur:
        cur.execute(Q.end_web_session, {"secret": secret})
        return bool(one(cur)[0])


def end_sessions(db: Database, actor: str, who: str, now: datetime | None = None) -> int:
    """ "Sign out everywhere": ends every session of ``who`` (the actor, or anyone for an
    admin); returns how many ended. Raises Forbidden, or UnknownUser for an admin."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.end_web_sessions, {"who": who})
        return int(one(cur)[0])
