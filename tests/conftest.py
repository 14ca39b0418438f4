"""Fixtures shared by every test: one real PostgreSQL per session, a fresh database per test.

With DATABASE_URL set, that server is used (its user must be allowed to create databases);
otherwise an embedded PostgreSQL 18 is started in a temporary folder and deleted afterwards.

How tests import helpers (one way): by their full dotted name from the repository root, as
pytest (``--import-mode=importlib``) and mypy (``explicit_package_bases``) both name modules::

    from tests.lib.support import NOW, World   # shared by every folder
    from tests.caldav.dav import Dav, Login    # shared by the tests of one folder
    from tests.caldav import helpers as h

Helpers shared across folders live in ``tests/lib/``; helpers of one folder live beside its
tests in a module not named ``test_*`` or ``conftest``. No relative imports, no ``sys.path``
or ``pythonpath`` entries. ``conftest.py`` holds fixtures: tests request them by argument
name and never import names from a conftest or from a test module. The one exception is
reusing another folder's fixtures (``tests/e2e`` imports CalDAV fixtures from
``tests.caldav.conftest``), as pytest shares fixtures only downwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from psycopg2 import sql

from officehours import accounts
from officehours.db import Database
from officehours.migrations import migrate
from tests.lib.support import World, admin_execute, fresh_database, weekdays, with_database

TEMPLATE = "officehours_test_template"
COACHING_SINCE = datetime(2020, 1, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A URL with the right to create databases, on a server that lives for the session."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    from officehours.embedded import EmbeddedPostgres

    folder = tempfile.mkdtemp(prefix="officehours-test-pg-", dir="/tmp")
    server = EmbeddedPostgres(Path(folder) / "data", cleanup="delete")
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def template_url(pg_admin_url: str) -> str:
    """A database with every migration applied, copied for each test."""
    name = f"{TEMPLATE}_{os.getpid()}"
    admin_execute(pg_admin_url, sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    admin_execute(pg_admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(pg_admin_url, name)
    migrate(url)
    return url


@pytest.fixture
def db_url(pg_admin_url: str, template_url: str) -> Iterator[str]:
    """The URL of a fresh, migrated database for one test."""
    with fresh_database(pg_admin_url, template_url) as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A connection pool to a fresh database."""
    database = Database(db_url, max_connections=60)
    yield database
    database.close()


@pytest.fixture
def world(db: Database) -> World:
    add = accounts.add_user
    w = World(
        db=db,
        admin=add(db, None, "admin@example.com", "Ada Admin", "admin", "UTC"),
        x=add(db, None, "x@example.com", "Xavier Coach", "coach", "America/Los_Angeles"),
        y=add(db, None, "y@example.com", "Yara Coach", "coach", "Europe/London"),
        a=add(db, None, "a@example.com", "Ann Client", "client", "Asia/Kolkata"),
        b=add(db, None, "b@example.com", "Bo Client", "client", "America/New_York"),
        c=add(db, None, "c@example.com", "Cy Client", "client", "Europe/London"),
    )
    # Coaching began long before any clock a test runs on (NOW wherever it is moved, or the wall
    # clock of a reassignment or deactivation), so that either may end it.
    with db.transaction(now=COACHING_SINCE) as cur:
        for client, coach in ((w.a, w.x), (w.b, w.x), (w.c, w.y)):
            cur.execute("SELECT assign_coach(%s, %s)", (client, coach))
    accounts.set_office_hours(db, None, w.x, weekdays("09:00", "17:00"))
    accounts.set_office_hours(db, None, w.y, weekdays("09:00", "17:00"))
    return w
