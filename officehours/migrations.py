"""Applies the numbered plain-SQL migrations in sql/migrations, once each, in order."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import psycopg2

# Any number will do, as long as nothing else uses it: it keeps two starting servers apart.
MIGRATION_LOCK = 0x0FF1CE


@dataclass(frozen=True)
class Migration:
    """One file of sql/migrations."""

    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """An applied migration was changed afterwards, or the database is newer than this code."""


def available() -> list[Migration]:
    """The migrations shipped with this version, in order."""
    folder = resources.files("sql") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append(Migration(version, rest.removesuffix(".sql"), entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(url: str) -> list[str]:
    """Applies the migrations not yet applied and returns their file names.

    Safe to run from several processes at once (an advisory lock) and again and again.
    Raises MigrationError when an applied migration's text has changed since.
    """
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version, checksum FROM schema_migrations")
            applied = dict(cur.fetchall())
        done = []
        shipped = available()
        for m in shipped:
            if m.version in applied:
                if applied[m.version] != m.checksum:
                    raise MigrationError(
                        f"migration {m.version}_{m.name} was changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            with conn, conn.cursor() as cur:
                cur.execute(m.sql)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (m.version, m.name, m.checksum),
                )
            done.append(f"{m.version}_{m.name}.sql")
        unknown = set(applied) - {m.version for m in shipped}
        if unknown:
            raise MigrationError(
                f"the database has migrations this code does not: {sorted(unknown)}"
            )
        return done
    finally:
        if not conn.closed:
            conn.rollback()
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
            conn.commit()
            conn.close()
