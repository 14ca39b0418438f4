"""Getting a migrated database for a process: the one in DATABASE_URL or the embedded one."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from officehours import zones
from officehours.db import Database
from officehours.embedded import EmbeddedPostgres
from officehours.migrations import migrate
from officehours.settings import Settings

DATABASE_NAME = "officehours"


@contextmanager
def database_url(settings: Settings, *, announce: bool = False) -> Iterator[str]:
    """The URL of the officehours database, migrated; starts (and at the end stops) the embedded
    server when DATABASE_URL is not set."""
    if settings.database_url:
        migrate(settings.database_url)
        yield settings.database_url
        return
    pgdata = settings.data_dir / "postgres"
    if announce:
        print(f"PostgreSQL data: {pgdata}", file=sys.stderr)
    server = EmbeddedPostgres(pgdata)
    try:
        url = server.ensure_database(DATABASE_NAME)
        migrate(url)
        yield url
    finally:
        server.stop()


@contextmanager
def database(settings: Settings, *, announce: bool = False) -> Iterator[Database]:
    """A pool on the migrated officehours database (see ``database_url``)."""
    with database_url(settings, announce=announce) as url:
        db = Database(url, max_connections=settings.pool_size)
        try:
            zones.warn_on_disagreement(db)
            yield db
        finally:
            db.close()
