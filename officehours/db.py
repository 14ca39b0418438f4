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
import psycopg2.pool

from officehours import errors

APP_ROLE = "officehours_app"

Cursor = psycopg2.extensions.cursor


class Database:
    """A pool of connections to one PostgreSQL database.

    ``transaction(actor)`` is how every part of officehours talks to it: with an actor (a user's
    slug) the transaction runs as the web app's role, so row-level security shows that user only
    what they may see; without one it runs as the owner, for operators and migrations.
    """

    def __init__(self, url: str, *, max_connections: int = 10) -> None:
        self.url = url
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            0, max_connections, url, options="-c TimeZone=UTC", application_name="officehours"
        )
        self._slots = threading.BoundedSemaphore(max_connections)

    def close(self) -> None:
        """Closes every pooled connection."""
        self._pool.closeall()

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """A pooled connection, waiting for one when all are in use."""
        with self._slots:
            conn = self._pool.getconn()
            try:
                yield conn
            finally:
                broken = conn.closed != 0
                if not broken and conn.status != psycopg2.extensions.STATUS_READY:
                    conn.rollback()
                self._pool.putconn(conn, close=broken)

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
                    if actor is not None:
                        cur.execute(f"SET LOCAL ROLE {APP_ROLE}")
                        cur.execute("SELECT set_config('officehours.actor', %s, true)", (actor,))
                    if now is not None:
                        cur.execute(
                            "SELECT set_config('officehours.now', %s, true)", (now.isoformat(),)
                        )
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
