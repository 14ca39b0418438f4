"""Links that set a password: "forgot password" on the sign-in page, and the welcome of an account
made without one. The SQL is in ``password_links.sql`` beside this module; the rules (how long a
link works, that it works once, that a newer one replaces it, the limits on asking) are in
``sql/definitions/56_account_links.sql``. The mailers send the links (``mailer.account_mail``).

``now`` everywhere is the rules' clock (None: the database's), so tests can move it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ics import addresses
from officehours import errors, passwords, sqlfiles
from officehours.db import Database, one
from officehours.signin import SECRET_SHAPE, usable_email, wait_in_words

Q = sqlfiles.load(__name__)

Kind = Literal["password_reset", "welcome"]


@dataclass(frozen=True)
class LinkUser:
    """Whose password a working link sets."""

    slug: str
    email: str
    name: str
    kind: Kind


@dataclass(frozen=True)
class LatestLink:
    """The newest link of a user, for the admin: what it was, and what became of it."""

    kind: Kind
    created_at: datetime
    expires_at: datetime
    state: str  # valid, used, replaced, expired, unknown (see password_link_state in SQL)
    mail_state: str | None  # pending, sent, failed, superseded


def request_link(db: Database, email: str, remote: str, now: datetime | None = None) -> None:
    """ "Forgot password": mails a link (valid an hour) to the active account with this email,
    if there is one. Returns the same way whether or not there is.

    Raises:
        InvalidEmail: when the text cannot be an email address at all (says nothing of accounts).
        TooManyAttempts: with retry_after, when this address or ``remote`` asked too often.
    """
    email = email.strip(" ")
    if not usable_email(email):
        raise errors.InvalidEmail("Give the email address of your account.")
    try:
        email = addresses.email_address(email)
    except addresses.AddressError as exc:
        raise errors.InvalidEmail(f"That is not an email address: {exc}") from exc
    with db.transaction(now=now) as cur:
        cur.execute(Q.request_password_link, {"email": email, "remote": remote})
        wait = int(one(cur)[0])
    if wait:
        raise errors.TooManyAttempts(
            f"A link was asked for too often. Please wait {wait_in_words(wait)} and try again.",
            retry_after=wait,
        )


def link_user(db: Database, secret: str, now: datetime | None = None) -> LinkUser:
    """Whose password the link with this secret sets.

    Raises:
        LinkUnknown, LinkExpired, LinkUsed: when the link cannot be used (the message says why).
    """
    if not SECRET_SHAPE.fullmatch(secret):
        raise errors.LinkUnknown()
    with db.transaction(now=now) as cur:
        cur.execute(Q.password_link_user, {"secret": secret})
        slug, email, name, kind = one(cur)
    return LinkUser(str(slug), str(email), str(name), kind)


def set_password(
    db: Database, secret: str, new: str, confirm: str, now: datetime | None = None
) -> str:
    """Sets the password of the link's user under the password policy, marks the link used and
    ends every session of the user; returns their slug.

    Raises:
        LinkUnknown, LinkExpired, LinkUsed: when the link cannot be used.
        PasswordMismatch, WeakPassword: about the new password (nothing changed).
    """
    who = link_user(db, secret, now)
    if new != confirm:
        raise errors.PasswordMismatch()
    try:
        new_hash = passwords.hash_password(new, user_inputs=(who.email, who.name))
    except passwords.WeakPassword as exc:
        raise errors.WeakPassword(str(exc)) from exc
    # Checked again, under the link's row lock: a second use meanwhile finds it used.
    with db.transaction(now=now) as cur:
        cur.execute(Q.use_password_link, {"secret": secret, "password_hash": new_hash})
        return str(one(cur)[0])


def send_link(
    db: Database, actor: str | None, who: str, kind: Kind, now: datetime | None = None
) -> datetime:
    """An admin (or the owner, actor None) mails ``who`` a link to set their password, replacing
    any older link; returns when it expires.

    Raises:
        Forbidden, UnknownUser, InactiveUser.
    """
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.send_password_link, {"who": who, "kind": kind})
        expires: datetime = one(cur)[0]
        return expires


def latest_link(
    db: Database, actor: str | None, who: str, now: datetime | None = None
) -> LatestLink | None:
    """The newest link of ``who`` (a slug) and its mail, or None. Raises Forbidden."""
    with db.transaction(actor, now=now) as cur:
        cur.execute(Q.password_link_latest, {"who": who})
        row = cur.fetchone()
    return LatestLink(*row) if row else None
