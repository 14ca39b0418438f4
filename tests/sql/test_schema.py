"""The schema documents itself, its rules map to errors, and migrations apply once."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2
import pytest

from officehours import errors
from officehours.db import Database
from officehours.migrations import MigrationError, available, migrate

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def test_every_table_view_and_function_has_a_comment(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')
              AND c.relname <> 'schema_migrations'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
              AND obj_description(c.oid, 'pg_class') IS NULL""")
        assert cur.fetchall() == []
        cur.execute("""
            SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
              AND obj_description(p.oid, 'pg_proc') IS NULL""")
        assert cur.fetchall() == []


def test_every_named_constraint_maps_to_an_error(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute("""
            SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = 'public' AND contype IN ('c', 'u', 'x')
            UNION SELECT indexname FROM pg_indexes
            WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE%'
              AND indexname NOT LIKE '%_pkey'""")
        names = {row[0] for row in cur.fetchall()} - {"schema_migrations_pkey"}
    names = {n for n in names if not n.endswith("_pkey")}
    missing = sorted(n for n in names if n not in errors.BY_CONSTRAINT)
    assert missing == []


def test_every_sqlstate_raised_in_sql_maps_to_an_error() -> None:
    raised = set()
    for path in sorted(SQL_DIR.glob("*/*.sql")):
        raised |= set(re.findall(r"ERRCODE = '(OH\d{3})'", path.read_text()))
    assert raised, "the migrations raise no OH errors at all?"
    assert sorted(raised - set(errors.BY_SQLSTATE)) == []
    assert sorted(set(errors.BY_SQLSTATE) - raised) == []
    assert len({e.code for e in errors.ALL_ERRORS}) == len(errors.ALL_ERRORS)


def test_migrations_are_numbered_and_apply_once(db_url: str) -> None:
    versions = [m.version for m in available()]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert all(re.fullmatch(r"\d{4}", v) for v in versions)
    assert migrate(db_url) == []  # the template had them all already


def test_a_changed_migration_is_refused(db_url: str) -> None:
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0001'")
    conn.close()
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(db_url)


def test_migrating_an_empty_database_from_two_processes_at_once(pg_admin_url: str) -> None:
    import threading

    from psycopg2 import sql

    from tests.lib.support import admin_execute, with_database

    admin_execute(pg_admin_url, sql.SQL("CREATE DATABASE officehours_race"))
    url = with_database(pg_admin_url, "officehours_race")
    try:
        results: list[object] = []
        threads = [threading.Thread(target=lambda: results.append(migrate(url))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(len(r) for r in results if isinstance(r, list)) == [0, len(available())]
    finally:
        admin_execute(pg_admin_url, sql.SQL("DROP DATABASE officehours_race WITH (FORCE)"))
