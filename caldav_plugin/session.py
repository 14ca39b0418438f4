"""The transaction of the request being served, one per thread.

Radicale brackets every request with ``storage.acquire_lock(mode, user)``; the storage opens one
PostgreSQL transaction there (as the signed-in user, so row-level security applies) and every
collection method of that request runs in it. A nested ``acquire_lock`` (Radicale takes one
inside another in a few places) joins the transaction already open.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from officehours.db import Cursor

_local = threading.local()


@dataclass
class Session:
    """The open transaction of one request: its cursor, its user and whether it may write."""

    cur: Cursor
    user: str
    writable: bool = False
    locked_owners: set[str] = field(default_factory=set)


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
def savepoint(cur: Cursor, name: str) -> Iterator[None]:
    """A savepoint: when the block raises, its writes are undone but the request goes on.

    Radicale turns some exceptions of a write (ValueError) into a 4xx answer and then leaves the
    lock normally, which commits; the savepoint keeps a half-done write out of that commit.
    """
    cur.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        cur.execute(f"ROLLBACK TO SAVEPOINT {name}")
        raise
    cur.execute(f"RELEASE SAVEPOINT {name}")


def owner_lock(session: Session, owner: str) -> None:
    """Serializes writers of one user's calendars across processes and hosts."""
    if owner in session.locked_owners:
        return
    lock_owner(session.cur, owner)
    session.locked_owners.add(owner)


def lock_owner(cur: Cursor, owner: str) -> None:
    """Takes the advisory lock of ``owner``'s calendars until the transaction ends (the lock
    every CalDAV write of that user takes before anything else)."""
    cur.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('officehours.caldav.' || %s, 0))", (owner,)
    )
