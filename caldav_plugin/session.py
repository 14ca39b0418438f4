"""The transaction of the request being served, one per thread.

Radicale brackets every request with ``storage.acquire_lock(mode, user)``; the storage opens one
PostgreSQL transaction there (as the signed-in user, so row-level security applies) and every
collection method of that request runs in it. A nested ``acquire_lock`` (Radicale takes one
inside another in a few places) joins the transaction already open, and so does a later one of
the same request while ``caldav_plugin.app`` holds it open for the answer. The queries (the owner's
lock and the writes' savepoints) are in ``session.sql`` beside this module.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import psycopg2
from psycopg2 import sql

from caldav_plugin import outcome
from officehours import sqlfiles
from officehours.db import Cursor

Q = sqlfiles.load(__name__)

_local = threading.local()

# Each write has a savepoint name of its own because they nest (a MOVE deletes and uploads inside
# its own savepoint), and a ROLLBACK TO must go back to the savepoint of the write that failed.
SavepointName = Literal[
    "caldav_create",
    "caldav_move",
    "caldav_upload",
    "caldav_delete",
    "caldav_set_meta",
    "caldav_refresh",
]


@dataclass
class Session:
    """The open transaction of one request: its cursor, its user and whether it may write."""

    cur: Cursor
    user: str
    writable: bool = False
    locked_owners: set[str] = field(default_factory=set)
    depth: int = 0
    """How many of Radicale's locks are open on it (0: held only for the answer)."""


def current() -> Session | None:
    """The session of this thread's request, or None outside one."""
    session: Session | None = getattr(_local, "session", None)
    return session


@contextmanager
def bound(session: Session) -> Iterator[Session]:
    """Makes ``session`` this thread's current one for the block."""
    _local.session = session
    try:
        yield session
    finally:
        _local.session = None


@contextmanager
def savepoint(cur: Cursor, name: SavepointName) -> Iterator[None]:
    """A savepoint: when the block raises, its writes are undone but the request goes on.

    Radicale turns some exceptions of a write (ValueError) into a 4xx answer and then leaves the
    lock normally, which commits; the savepoint keeps a half-done write out of that commit.
    name: the write's savepoint.
    Raises outcome.Refused (from the database error) when the database refuses a value, so the
    client is told why; an outage or a bug goes on as it is, and ends the transaction.
    """
    # A savepoint's name is an identifier, not a parameter: the statements are templates.
    ident = sql.Identifier(name)
    cur.execute(sql.SQL(Q.savepoint).format(ident))
    try:
        yield
    except BaseException as exc:
        if outcome.is_unavailable(exc):
            # The connection is gone or the transaction is lost: nothing to roll back to.
            outcome.note(exc)
            raise
        cur.execute(sql.SQL(Q.rollback_to_savepoint).format(ident))
        refused = outcome.refusal_for(exc) if isinstance(exc, psycopg2.Error) else None
        if refused is not None:
            raise refused from exc
        raise
    cur.execute(sql.SQL(Q.release_savepoint).format(ident))


def owner_lock(session: Session, owner: str) -> None:
    """Serializes writers of one user's calendars across processes and hosts."""
    if owner in session.locked_owners:
        return
    lock_owner(session.cur, owner)
    session.locked_owners.add(owner)


def lock_owner(cur: Cursor, owner: str) -> None:
    """Takes the advisory lock of ``owner``'s calendars until the transaction ends (the lock
    every CalDAV write of that user takes before anything else)."""
    cur.execute(Q.lock_owner, (owner,))
