"""The connection pool and the one way into a transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from officehours import errors, sqlfiles

Q = sqlfiles.load(__name__)

Cursor = psycopg2.extensions.cursor


class Database:
    """A pool of connections to one PostgreSQL database.

    ``transaction(actor)`` is how every part of officehours talks to it: with an actor (a user's
    slug) the transaction runs as the web app's role, so row-level security shows that user only
    what they may see; without one it runs as the owner, for operators and migrations.
    """

    def __init__(self, url: str, *, max_connections: int = 10) -> None:
        self.url = url
        # Connections are opened when first needed and kept: opening one costs far more than
        # any booking. The semaphore bounds how many exist; the list holds the idle ones.
        self._slots = threading.BoundedSemaphore(max_connections)
        self._idle: list[psycopg2.extensions.connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Closes every idle connection (those in use close when they come back)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._closed = True
        for conn in idle:
            conn.close()

    def _open(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.url, options="-c TimeZone=UTC", application_name="officehours")

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """A pooled connection, waiting for one when all are in use."""
        with self._slots:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._open()
            try:
                yield conn
            finally:
                if conn.closed == 0 and conn.status != psycopg2.extensions.STATUS_READY:
                    conn.rollback()
                with self._lock:
                    keep = conn.closed == 0 and not self._closed
                    if keep:
                        self._idle.append(conn)
                if not keep:
                    conn.close()

    @contextmanager
    def transaction(
        self, actor: str | None = None, *, now: datetime | None = None, dict_rows: bool = False
    ) -> Iterator[Cursor]:
        """One transaction, committed when the block ends and rolled back when it raises.

        actor: the slug of the user acting; None for the owner (operators, migrations).
        now: the clock the rules see (tests and what-if checks); None for the real time.
        Raises an ``OfficeHoursError`` for a broken rule, from the database error.
        """
        with self.connection() as conn:
            factory = psycopg2.extras.RealDictCursor if dict_rows else None
            try:
                with conn, conn.cursor(cursor_factory=factory) as cur:
                    # One round trip for the role, who is acting and the clock, all LOCAL.
                    clock = now.isoformat() if now else None
                    if actor is not None:
                        cur.execute(Q.act_as, {"actor": actor, "now": clock})
                    elif clock is not None:
                        cur.execute(Q.set_clock, {"now": clock})
                    yield cur
            except psycopg2.Error as exc:
                domain = errors.translate(exc)
                if domain is None:
                    raise
                raise domain from exc


def one(cur: Cursor) -> tuple[Any, ...]:
    """The one row a statement returns; raises LookupError when it returned none."""
    row = cur.fetchone()
    if row is None:
        raise LookupError("the statement returned no row")
    return tuple(row)
