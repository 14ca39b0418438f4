"""The connection pool and the one way into a transaction.

Why a pool of our own: psycopg2's ``psycopg2.pool`` hands out whatever connection it holds, dead
or alive, never checks one, never waits (a full pool raises at once) and keeps connections
forever; ``psycopg_pool``, which does heal, is for psycopg 3, which this project does not use.
What we need on top of a list of connections is small and written down here:

- a connection that failed (lost, reset, or in an unknown state after an error that was not a
  broken rule) is never handed out again: it is closed, or checked before its next use;
- a cheap check before reuse: a poll of the socket (a server that went away has left an EOF or
  an error there) on every use, and a ``SELECT 1`` after an error, after any outage this pool
  saw, and after idling more than ``check_after_idle`` seconds;
- a bounded wait for a connection (``wait_timeout``, then ``Busy``: a 503, never a hang), and a
  maximum age, so connections are renewed (memory of long-lived backends, moved servers);
- per-pool limits on waiting for locks and on statements (``SET LOCAL`` at the start of each
  transaction, see ``db.sql``), so no request waits for a coach's lock without end;
- few round trips: psycopg2 would send ``BEGIN`` on its own, then the settings, then the work,
  then ``COMMIT``. A transaction here sends ``BEGIN``, its settings and its first statement in
  one message, and ``COMMIT`` in a second: a one-query page transaction costs two round trips,
  not four, and one that runs no statement costs none. A transaction of one statement known in
  advance (``query``) costs one: its settings and the statement in one message, which
  PostgreSQL runs as one implicit transaction and commits before it answers.
"""

from __future__ import annotations

import math
import random
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from officehours import errors, sqlfiles

Q = sqlfiles.load(__name__)

Cursor = psycopg2.extensions.cursor
T = TypeVar("T")

# What psycopg2's ValueError says of a parameter holding a NUL character.
NUL_REFUSED = "cannot contain NUL (0x00) characters"
# SQLSTATEs after which running the whole transaction again may succeed.
RETRYABLE_STATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected

_seen: ContextVar[list[errors.OfficeHoursError] | None] = ContextVar(
    "officehours_service_errors", default=None
)


@contextmanager
def service_errors() -> Iterator[list[errors.OfficeHoursError]]:
    """Collects the ``DatabaseUnavailable`` and ``Busy`` errors raised in this thread during the
    block, whoever caught them afterwards.

    For serving layers over applications that turn every exception into an answer of their own
    (Radicale answers 500, its storage may say 403): the layer answers 503 instead.
    """
    seen: list[errors.OfficeHoursError] = []
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)


def _note(error: errors.OfficeHoursError) -> errors.OfficeHoursError:
    seen = _seen.get()
    if seen is not None:
        seen.append(error)
    return error


class _BeginsLazily:
    """A cursor that sends what begins its transaction (``BEGIN`` and the ``SET LOCAL``s, held in
    ``opening``) in the same message as its first statement; PostgreSQL runs a message's
    statements in order and answers with the last one's result, so the caller sees only its own.
    Methods that are not ``execute`` send the opening first, on its own."""

    opening: str | None = None
    begun = False

    def execute(self, query: Any, vars: Any = None) -> None:
        opening = self._take_opening()
        if opening is None:
            super().execute(query, vars)  # type: ignore[misc]
            return
        if isinstance(query, sql.Composable):
            query = query.as_string(self)  # type: ignore[arg-type]
        elif isinstance(query, bytes):
            query = query.decode()
        if vars is not None:
            opening = opening.replace("%", "%%")  # the query's parameters follow
        super().execute(opening + query, vars)  # type: ignore[misc]

    def executemany(self, query: Any, vars_list: Any) -> None:
        self._send_opening()
        super().executemany(query, vars_list)  # type: ignore[misc]

    def callproc(self, procname: str | bytes, parameters: Any = None, /) -> None:
        self._send_opening()
        super().callproc(procname, parameters)  # type: ignore[misc]

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        self._send_opening()
        super().copy_expert(sql, file, size)  # type: ignore[misc]

    def _take_opening(self) -> str | None:
        opening, self.opening = self.opening, None
        if opening is not None:
            self.begun = True
        return opening

    def _send_opening(self) -> None:
        opening = self._take_opening()
        if opening is not None:
            super().execute(opening)  # type: ignore[misc]


class _TupleCursor(_BeginsLazily, psycopg2.extensions.cursor):
    """Rows as tuples."""


class _DictCursor(_BeginsLazily, psycopg2.extras.RealDictCursor):
    """Rows as dicts."""


@dataclass
class _Lease:
    """A pooled connection and what the pool knows of it."""

    conn: psycopg2.extensions.connection
    opened: float  # time.monotonic()
    returned: float
    generation: int  # the pool's outage count when it was last known good
    suspect: bool = False  # an error left it in doubt: check it before the next use
    broken: bool = False  # it failed: close it


def _seconds_text(seconds: float | None) -> str | None:
    """A duration as PostgreSQL settings take it; None: leave the server's setting."""
    if seconds is None:
        return None
    return f"{max(0, round(seconds * 1000))}ms"


class Database:
    """A pool of connections to one PostgreSQL database.

    ``transaction(actor)`` is how every part of officehours talks to it: with an actor (a user's
    slug) the transaction runs as the web app's role, so row-level security shows that user only
    what they may see; without one it runs as the owner, for operators and migrations.
    ``run(work, actor)`` is the same for work that may be run again after a deadlock.

    max_connections: most connections open at once (opened when first needed, then kept).
    wait_timeout: seconds to wait for a free connection before ``Busy``.
    lock_timeout, statement_timeout: seconds; limits of every transaction of this pool (None:
        the server's settings, 0: none).
    max_age: seconds after which a connection is closed when it comes back.
    check_after_idle: seconds of idling after which a connection is checked before reuse.
    name: the application_name PostgreSQL shows for the connections.
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 10,
        wait_timeout: float = 30.0,
        lock_timeout: float | None = None,
        statement_timeout: float | None = None,
        max_age: float = 1800.0,
        check_after_idle: float = 5.0,
        name: str = "officehours",
    ) -> None:
        self.url = url
        self.max_connections = max_connections
        self.wait_timeout = wait_timeout
        self.max_age = max_age
        self.check_after_idle = check_after_idle
        self.name = name
        self._limits = {
            "lock_timeout": _seconds_text(lock_timeout),
            "statement_timeout": _seconds_text(statement_timeout),
        }
        self._has_limits = any(v is not None for v in self._limits.values())
        self._slots = threading.BoundedSemaphore(max_connections)
        self._idle: list[_Lease] = []
        self._lock = threading.Lock()
        self._closed = False
        self._generation = 0  # outages seen: connections older than the last one are checked
        self.opened = 0  # connections opened so far (tests and health pages)

    def close(self) -> None:
        """Closes every idle connection (those in use close when they come back)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._closed = True
        for lease in idle:
            lease.conn.close()

    # Connections.

    def _open(self) -> _Lease:
        """A new connection; raises DatabaseUnavailable when the server cannot be reached."""
        try:
            conn = psycopg2.connect(
                self.url,
                options="-c TimeZone=UTC",
                application_name=self.name,
                # Bounded like the wait for a pooled one; libpq's least is 2 seconds.
                connect_timeout=max(2, math.ceil(self.wait_timeout)),
                # A server that vanished without closing TCP is noticed within a minute.
                keepalives=1,
                keepalives_idle=30,
                keepalives_interval=10,
                keepalives_count=3,
            )
        except psycopg2.Error as exc:
            self._outage()
            raise _note(errors.DatabaseUnavailable()) from exc
        now = time.monotonic()
        with self._lock:
            self.opened += 1
            generation = self._generation
        return _Lease(conn, now, now, generation)

    def _outage(self) -> None:
        """Remembers that the server failed: every idle connection is checked before reuse."""
        with self._lock:
            self._generation += 1

    def _usable(self, lease: _Lease, now: float) -> bool:
        """Whether an idle connection may be handed out, checking it when in doubt."""
        conn = lease.conn
        if conn.closed or now - lease.opened > self.max_age:
            return False
        doubt = (
            lease.suspect
            or lease.generation != self._generation
            or now - lease.returned > self.check_after_idle
            or _has_input(conn)
        )
        if not doubt:
            return True
        try:
            conn.autocommit = True  # one round trip: no BEGIN, no ROLLBACK
            try:
                with conn.cursor() as cur:
                    cur.execute(Q.ping)
            finally:
                conn.autocommit = False
        except psycopg2.Error:
            return False
        lease.suspect = False
        lease.generation = self._generation
        return True

    def _checkout(self) -> _Lease:
        """A live connection: an idle one that passes its check, else a new one."""
        while True:
            with self._lock:
                lease = self._idle.pop() if self._idle else None
            if lease is None:
                return self._open()
            if self._usable(lease, time.monotonic()):
                return lease
            lease.conn.close()

    def _checkin(self, lease: _Lease) -> None:
        """Keeps a connection that came back in good order; closes any other."""
        conn = lease.conn
        keep = not lease.broken and conn.closed == 0
        if keep:
            try:
                if conn.autocommit:
                    # A transaction of ours: psycopg2 does not know whether the server is in one.
                    if conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                        with conn.cursor() as cur:
                            cur.execute(Q.rollback)
                    conn.autocommit = False
                elif conn.status != psycopg2.extensions.STATUS_READY:
                    conn.rollback()
            except psycopg2.Error:
                keep = False
        now = time.monotonic()
        with self._lock:
            keep = keep and not self._closed and now - lease.opened <= self.max_age
            if keep:
                lease.returned = now
                self._idle.append(lease)
        if not keep:
            conn.close()

    @contextmanager
    def _lease(self, wait: float | None = None) -> Iterator[_Lease]:
        """A pooled connection for the block, waiting at most ``wait`` (default
        ``wait_timeout``) seconds for one. Raises Busy or DatabaseUnavailable."""
        if not self._slots.acquire(timeout=self.wait_timeout if wait is None else wait):
            raise _note(errors.Busy("Every database connection of this server is in use."))
        try:
            lease = self._checkout()
            try:
                yield lease
            finally:
                self._checkin(lease)
        finally:
            self._slots.release()

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """A pooled connection, waiting a bounded time for one (then Busy); closed instead of
        pooled again when the block leaves it broken."""
        with self._lease() as lease:
            try:
                yield lease.conn
            except psycopg2.Error as exc:
                self._failed(lease, exc)
                raise

    def _failed(self, lease: _Lease, exc: psycopg2.Error) -> errors.OfficeHoursError | None:
        """Marks a connection after an error; returns the domain error for it, if any."""
        domain = errors.translate(exc)
        if lease.conn.closed or errors.is_connection_failure(exc):
            lease.broken = True
            self._outage()
        elif domain is None or isinstance(domain, errors.SERVICE_ERRORS):
            lease.suspect = True
        if isinstance(domain, errors.SERVICE_ERRORS):
            _note(domain)
        return domain

    # Transactions.

    @contextmanager
    def transaction(
        self, actor: str | None = None, *, now: datetime | None = None, dict_rows: bool = False
    ) -> Iterator[Cursor]:
        """One transaction, committed when the block ends and rolled back when it raises.

        actor: the slug of the user acting; None for the owner (operators, migrations).
        now: the clock the rules see (tests and what-if checks); None for the real time.
        Raises an ``OfficeHoursError`` for a broken rule, from the database error;
        ``DatabaseUnavailable`` when the server cannot be reached, ``Busy`` when a wait or a
        statement hit this pool's limits or PostgreSQL ended the transaction over a conflict
        (a deadlock: ``run`` runs such work again).
        """
        with self._lease() as lease, self._translated(lease):
            conn = lease.conn
            factory = _DictCursor if dict_rows else _TupleCursor
            # Autocommit, so that psycopg2 sends no BEGIN of its own: the cursor sends ours.
            conn.autocommit = True
            with conn.cursor(cursor_factory=factory) as plain:
                cur = cast(_TupleCursor, plain)
                cur.opening = f"{Q.begin};\n{self._settings(cur, actor, now)}"
                try:
                    yield cur
                except BaseException:
                    if cur.begun:
                        self._end(lease, Q.rollback)
                    raise
                if cur.begun:
                    cur.execute(Q.commit)

    def query(
        self,
        statement: str | sql.Composable,
        vars: Any = None,
        actor: str | None = None,
        *,
        now: datetime | None = None,
        attempts: int = 3,
    ) -> list[tuple[Any, ...]]:
        """One statement as a transaction of its own, in one round trip; its rows (none for a
        statement that returns none). Its settings and the statement go in one message, which
        PostgreSQL runs as one implicit transaction and commits before it answers: the rows
        are of committed work, and a lock the statement takes is held for no round trip.

        actor, now: as ``transaction``. The statement is run again, up to ``attempts`` times in
        all, when PostgreSQL ends it with a deadlock or a serialization failure (as ``run``).
        Raises as ``transaction``.
        """
        return self._retrying(lambda: self._one_trip(statement, vars, actor, now), attempts)

    def _one_trip(
        self, statement: str | sql.Composable, vars: Any, actor: str | None, now: datetime | None
    ) -> list[tuple[Any, ...]]:
        with self._lease() as lease, self._translated(lease):
            conn = lease.conn
            # No BEGIN: a message of several statements is one transaction without it.
            conn.autocommit = True
            with conn.cursor(cursor_factory=_TupleCursor) as plain:
                cur = cast(_TupleCursor, plain)
                cur.opening = self._settings(cur, actor, now)
                cur.execute(statement, vars)
                return cur.fetchall() if cur.description is not None else []

    @contextmanager
    def _translated(self, lease: _Lease) -> Iterator[None]:
        """Errors of the block as domain errors, the connection marked after a failure."""
        try:
            yield
        except psycopg2.Error as exc:
            domain = self._failed(lease, exc)
            if domain is None:
                raise
            raise domain from exc
        except ValueError as exc:
            # psycopg2 refuses text holding NUL before sending it (PostgreSQL text cannot
            # hold one): that is bad input, from whichever adapter it came.
            if NUL_REFUSED not in str(exc):
                raise
            raise errors.InvalidInput("Text may not contain NUL characters.") from exc

    def _settings(self, cur: Cursor, actor: str | None, now: datetime | None) -> str:
        """A transaction's settings, all LOCAL, as text for the cursor to send before the first
        statement ('' when it needs none)."""
        clock = now.isoformat() if now else None
        if actor is not None:
            settings = cur.mogrify(Q.act_as, {"actor": actor, "now": clock, **self._limits})
        elif clock is not None or self._has_limits:
            settings = cur.mogrify(Q.as_owner, {"now": clock, **self._limits})
        else:
            return ""
        return f"{settings.decode()};\n"

    def _end(self, lease: _Lease, statement: str) -> None:
        """Ends a transaction the block left by raising; a connection where even that fails is
        not used again."""
        try:
            with lease.conn.cursor() as cur:
                cur.execute(statement)
        except psycopg2.Error:
            lease.broken = True

    def run(
        self,
        work: Callable[[Cursor], T],
        actor: str | None = None,
        *,
        now: datetime | None = None,
        dict_rows: bool = False,
        attempts: int = 3,
    ) -> T:
        """``work(cursor)`` in one transaction (as ``transaction``), run again from the start,
        up to ``attempts`` times in all, when PostgreSQL ends the transaction with a deadlock or
        a serialization failure.

        Why a function and not a retry inside ``transaction``: a ``with`` block runs once, and
        by the time it fails it may have handed rows to its caller; a function of the cursor can
        be called again. ``work`` must therefore do nothing outside the database that a second
        run would repeat. Raises as ``transaction``; ``Busy`` when the last attempt conflicted.
        """

        def once() -> T:
            with self.transaction(actor, now=now, dict_rows=dict_rows) as cur:
                return work(cur)

        return self._retrying(once, attempts)

    def _retrying(self, once: Callable[[], T], attempts: int) -> T:
        """``once()``, called again up to ``attempts`` times in all while it raises Busy for a
        deadlock or a serialization failure."""
        attempt = 1
        while True:
            try:
                return once()
            except errors.Busy as exc:
                cause = exc.__cause__
                retryable = isinstance(cause, psycopg2.Error) and cause.pgcode in RETRYABLE_STATES
                if not retryable or attempt >= attempts:
                    raise
            # Spread the runs so the transactions that conflicted do not meet again.
            time.sleep(random.uniform(0.005, 0.02 * 2**attempt))
            attempt += 1

    def ping(self, wait: float = 1.0) -> None:
        """Checks that the database answers a query (health checks), waiting at most ``wait``
        seconds for a connection. Raises DatabaseUnavailable or Busy."""
        with self._lease(wait) as lease:
            try:
                with lease.conn, lease.conn.cursor() as cur:
                    cur.execute(Q.ping)
            except psycopg2.Error as exc:
                domain = self._failed(lease, exc)
                raise (domain or errors.DatabaseUnavailable()) from exc


def _has_input(conn: psycopg2.extensions.connection) -> bool:
    """Whether an idle connection's socket has something to read: an idle server sends nothing
    unless it is closing the connection (or sends a notice), so this costs one poll and no
    round trip."""
    poller = select.poll()  # not select(): descriptors above 1024 are common under load
    poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def one(cur: Cursor) -> tuple[Any, ...]:
    """The one row a statement returns; raises LookupError when it returned none."""
    row = cur.fetchone()
    if row is None:
        raise LookupError("the statement returned no row")
    return tuple(row)
