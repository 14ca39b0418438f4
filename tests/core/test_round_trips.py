"""What a transaction costs in round trips to PostgreSQL: counted on the wire, through a loopback
proxy in front of the real server that counts the client's Query messages."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from datetime import timedelta

import psycopg2
import pytest

from officehours import errors, signin
from officehours.db import Database, one
from tests.lib.support import NOW, World


class CountingProxy:
    """Forwards loopback connections to PostgreSQL and counts the simple Query ('Q') messages
    clients send: each is one round trip, since libpq waits for its answer."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.queries = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            host, port = self.upstream
            if host.startswith("/"):  # a folder holding the server's Unix socket
                server = socket.socket(socket.AF_UNIX)
                server.connect(f"{host}/.s.PGSQL.{port}")
            else:
                server = socket.create_connection(self.upstream)
            threading.Thread(target=self._count, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # either side closed: the other is closed below
        finally:
            sink.close()
            source.close()

    def _count(self, source: socket.socket, sink: socket.socket) -> None:
        """Forwards the client's bytes, parsing its messages: the startup message has no type
        byte; every later one is a type byte and a length that counts itself."""
        buffer = b""
        started = False
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                buffer += data
                while True:
                    head = 4 if not started else 5
                    if len(buffer) < head:
                        break
                    length = struct.unpack("!I", buffer[head - 4 : head])[0]
                    size = length + (head - 4)
                    if len(buffer) < size:
                        break
                    if started and buffer[:1] == b"Q":
                        with self._lock:
                            self.queries += 1
                    started = started or struct.unpack("!I", buffer[4:8])[0] != 80877103
                    buffer = buffer[size:]
        except OSError:
            pass
        finally:
            sink.close()
            source.close()

    def url(self, url: str) -> str:
        """``url`` pointed at this proxy, without TLS (the messages must be readable)."""
        return str(
            psycopg2.extensions.make_dsn(url, host="127.0.0.1", port=self.port, sslmode="disable")
        )

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def counted(world: World) -> Iterator[tuple[Database, CountingProxy]]:
    """A pool with the web's limits whose every message goes through a counting proxy."""
    dsn = psycopg2.extensions.parse_dsn(world.db.url)
    proxy = CountingProxy(dsn.get("host", "127.0.0.1"), int(dsn.get("port", 5432)))
    db = Database(proxy.url(world.db.url), max_connections=2, lock_timeout=5, statement_timeout=30)
    try:
        with db.transaction() as cur:  # open the connection: its start is not what we count
            cur.execute("SELECT 1")
        yield db, proxy
    finally:
        db.close()
        proxy.close()


def round_trips(proxy: CountingProxy, before: int) -> int:
    return proxy.queries - before


def test_a_transaction_as_a_user_costs_two_round_trips(
    world: World, counted: tuple[Database, CountingProxy]
) -> None:
    db, proxy = counted
    before = proxy.queries
    with db.transaction(world.a, now=NOW) as cur:
        cur.execute("SELECT current_setting('officehours.actor'), current_user, clock()")
        actor, role, clock = one(cur)
    assert (actor, role, clock) == (world.a, "officehours_app", NOW)
    # BEGIN, the settings and the statement in one message; COMMIT in the other.
    assert round_trips(proxy, before) == 2


def test_an_owners_transaction_costs_two_round_trips_and_its_settings_hold(
    counted: tuple[Database, CountingProxy],
) -> None:
    db, proxy = counted
    before = proxy.queries
    with db.transaction() as cur:
        cur.execute("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
        assert one(cur) == ("5s", "30s")
        cur.execute("SELECT 1")
    assert round_trips(proxy, before) == 3
    # LOCAL: the next transaction on the same connection starts from the server's settings.
    conn_settings = Database(db.url, max_connections=1)
    try:
        with conn_settings.transaction() as cur:
            cur.execute("SELECT current_setting('statement_timeout')")
            assert one(cur) == ("0",)
    finally:
        conn_settings.close()


def test_a_transaction_that_runs_nothing_costs_nothing(
    counted: tuple[Database, CountingProxy],
) -> None:
    db, proxy = counted
    before = proxy.queries
    with db.transaction("nobody"):
        pass
    assert round_trips(proxy, before) == 0


def test_the_signed_in_user_lookup_costs_one_round_trip(
    world: World, counted: tuple[Database, CountingProxy]
) -> None:
    db, proxy = counted
    secret = signin.open_session(db, world.a, NOW)
    before = proxy.queries
    found = signin.session_user(db, secret, NOW)
    assert found is not None and found.slug == world.a
    # The settings and the lookup in one message, committed by PostgreSQL before it answers.
    assert round_trips(proxy, before) == 1


def test_a_one_statement_transaction_costs_one_round_trip_and_its_settings_hold(
    world: World, counted: tuple[Database, CountingProxy]
) -> None:
    db, proxy = counted
    before = proxy.queries
    rows = db.query(
        "SELECT current_setting('officehours.actor'), current_user, clock(), "
        "current_setting('lock_timeout')",
        actor=world.a,
        now=NOW,
    )
    assert rows == [(world.a, "officehours_app", NOW, "5s")]
    assert round_trips(proxy, before) == 1
    assert db.query("SELECT 1 WHERE false") == []
    # LOCAL: they ended with it; the connection is back in the owner's hands.
    with db.transaction() as cur:
        cur.execute("SELECT current_user <> 'officehours_app', current_setting('officehours.now')")
        assert one(cur) == (True, "")


def test_a_one_statement_transaction_is_committed_when_it_answers_and_undone_when_refused(
    world: World, counted: tuple[Database, CountingProxy]
) -> None:
    db, _ = counted
    other = Database(world.db.url, max_connections=1)
    try:
        db.query("CREATE TABLE kept (x int); GRANT INSERT ON kept TO officehours_app")
        assert db.query("INSERT INTO kept VALUES (1) RETURNING x") == [(1,)]
        with other.transaction() as cur:  # another connection sees it at once
            cur.execute("SELECT count(*) FROM kept")
            assert one(cur) == (1,)
        with pytest.raises(errors.InThePast):
            db.query(
                "INSERT INTO kept VALUES (2); SELECT book(%s, %s)",
                (world.a, NOW - timedelta(days=1)),
                world.a,
                now=NOW,
            )
        with other.transaction() as cur:
            cur.execute("SELECT array_agg(x) FROM kept")
            assert one(cur) == ([1],)
        assert db.query("SELECT current_user <> 'officehours_app'") == [(True,)]
    finally:
        other.close()


def test_a_refused_statement_rolls_back_and_the_connection_serves_again(
    world: World, counted: tuple[Database, CountingProxy]
) -> None:
    db, proxy = counted
    with pytest.raises(errors.InThePast):
        with db.transaction(world.a, now=NOW) as cur:
            cur.execute("SELECT book(%s, %s)", (world.a, NOW - timedelta(days=1)))
    with db.transaction(world.a, now=NOW) as cur:
        cur.execute("SELECT current_user, count(*) FROM pg_stat_activity WHERE false")
        assert one(cur) == ("officehours_app", 0)
    # A block that raises after its work undoes the work.
    with pytest.raises(RuntimeError):
        with db.transaction() as cur:
            cur.execute("CREATE TEMPORARY TABLE undone (x int)")
            raise RuntimeError("no")
    with db.transaction() as cur:
        cur.execute("SELECT to_regclass('pg_temp.undone') IS NULL")
        assert one(cur) == (True,)
    assert proxy.queries > 0
