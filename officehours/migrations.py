"""Brings a database to the schema of this code: sql/migrations, then sql/definitions.

``sql/`` keeps two kinds of files (sql/README.md says more):

- ``sql/migrations/NNNN_*.sql``: what holds data (types, tables, constraints, indexes, data
  fixes). Each is applied once, in order, and its checksum is kept: an applied migration never
  changes.
- ``sql/definitions/NN_*.sql``: the current text of everything that holds no data (functions,
  triggers, views, grants, row-level-security policies and their comments). Whenever any of them
  changed, or a migration was applied, they are laid again as a whole, in the order of their
  names: everything they make is dropped first, so a function removed from them is gone.

All of it happens in one transaction: a database is at the old schema or at the new one, never
in between. Safe to run from several processes at once (an advisory lock) and again and again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources

import psycopg2

from officehours import sqlfiles

log = logging.getLogger(__name__)
Q = sqlfiles.load(__name__)

# Any number will do, as long as nothing else uses it: it keeps two starting servers apart.
MIGRATION_LOCK = 0x0FF1CE
# The migration that brought the address rules, which may find rows from before it.
ADDRESS_RULES = "0030"
# The migration that made the table of time zones, which every migrate brings up to date.
TIME_ZONES = "0055"


@dataclass(frozen=True)
class Migration:
    """One file of sql/migrations."""

    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class Definitions:
    """One file of sql/definitions."""

    file: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """An applied migration was changed afterwards, or the database is newer than this code."""


def available() -> list[Migration]:
    """The migrations shipped with this version, in order."""
    found = []
    for entry in (resources.files("sql") / "migrations").iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append(Migration(version, rest.removesuffix(".sql"), entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def definitions() -> list[Definitions]:
    """The definitions files shipped with this version, in the order they are applied."""
    folder = resources.files("sql") / "definitions"
    found = [
        Definitions(entry.name, entry.read_text("utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found, key=lambda d: d.file)


def migrate(url: str) -> list[str]:
    """Applies the migrations not yet applied and returns their file names; lays the
    definitions again when they changed or a migration was applied.

    Migrations run on the data alone: the definitions are taken away first, so none of them
    stands in the way of an ALTER TABLE and no trigger fires on a data fix.
    Raises MigrationError when an applied migration's text has changed since, or the database
    has migrations this code does not; nothing is changed then.
    """
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(Q.lock, {"lock": MIGRATION_LOCK})
            cur.execute(Q.create_bookkeeping)
            cur.execute(Q.applied_migrations)
            applied = dict(cur.fetchall())
            shipped = available()
            pending = _pending(shipped, applied)
            cur.execute(Q.applied_definitions)
            in_force = dict(cur.fetchall())
            current = definitions()
            address_rules = any(m.version == ADDRESS_RULES for m in shipped)
            time_zones = any(m.version == TIME_ZONES for m in shipped)
            if not pending and in_force == {d.file: d.checksum for d in current}:
                if time_zones:
                    cur.execute(Q.refresh_time_zones)
                if address_rules:
                    _check_stored_addresses(cur)
                return []
            cur.execute(Q.drop_definitions)
            for m in pending:
                cur.execute(m.sql)
                cur.execute(
                    Q.record_migration,
                    {"version": m.version, "name": m.name, "checksum": m.checksum},
                )
            # The migrations of the first releases made functions and policies of their own.
            cur.execute(Q.drop_definitions)
            cur.execute(Q.forget_definitions)
            for d in current:
                cur.execute(d.sql)
                cur.execute(Q.record_definitions, {"file": d.file, "checksum": d.checksum})
            log.info("laid the definitions again: %s", ", ".join(d.file for d in current))
            if time_zones:
                cur.execute(Q.refresh_time_zones)
            if address_rules:
                _check_stored_addresses(cur)
            return [f"{m.version}_{m.name}.sql" for m in pending]
    finally:
        conn.close()


def _check_stored_addresses(cur: psycopg2.extensions.cursor) -> None:
    """Warns about each user whose stored email or display name breaks the address rules of
    migration 0030 (kept, since it added them NOT VALID); validates each CHECK once no row
    breaks it.
    """
    cur.execute(Q.users_breaking_address_rules)
    breaking = cur.fetchall()
    for slug, column in breaking:
        log.warning(
            "user %s: the stored %s breaks the address rules (sql/migrations/0030_addresses.sql);"
            " the row is kept, but mail, invites and calendars cannot carry it: correct it"
            " (UPDATE users SET %s = ... WHERE slug = '%s')",
            slug,
            column,
            column,
            slug,
        )
    cur.execute(Q.validate_address_rules)


def _pending(shipped: list[Migration], applied: dict[str, str]) -> list[Migration]:
    """The shipped migrations not yet applied; raises MigrationError when the applied ones do not
    match the shipped ones."""
    unknown = set(applied) - {m.version for m in shipped}
    if unknown:
        raise MigrationError(f"the database has migrations this code does not: {sorted(unknown)}")
    for m in shipped:
        if m.version in applied and applied[m.version] != m.checksum:
            raise MigrationError(
                f"migration {m.version}_{m.name} was changed after it was applied; "
                "add a new migration instead"
            )
    return [m for m in shipped if m.version not in applied]
