"""The layout of sql/: data in migrations, rules in definitions, and a snapshot that is current.

An upgraded database must be the same as one built from empty, whatever the definitions did
since the release it was made by; sql/schema.sql must be what `make schema` prints today.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from officehours import schema
from officehours.migrations import available, definitions, migrate
from tests.lib.support import admin_execute, with_database

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
# The last release whose migrations made functions, policies and grants themselves; from the
# next migration on, migrations hold only what holds data.
LAST_MIXED_MIGRATION = "0021"

_numbers = count()


@contextmanager
def empty_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    name = f"officehours_layout_{next(_numbers)}"
    admin_execute(admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(admin_url, name)
    finally:
        admin_execute(
            admin_url, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
        )


def statements(dump: str) -> list[str]:
    """The statements of a schema dump without its comments, sorted: the same schema gives the
    same list whatever order the objects were made in."""
    text = "\n".join(line for line in dump.splitlines() if not line.startswith("--"))
    return sorted(s.strip() for s in re.split(r";\n", text) if s.strip())


def differences(made: list[str], expected: list[str]) -> str:
    return "\n".join(difflib.unified_diff(expected, made, "expected", "made", lineterm=""))


# The migrations of release 58ce8c1, by the checksums its migrate recorded in every database.
RELEASE_58CE8C1 = {
    "0001_tables": "9fb14954a23b8efa4e47aaede77fe9fbe4f5297085e22228c6562bd9cdd8229f",
    "0002_functions": "8d4318e953ea4117754bebc847abef7c1409c96eeb2a10bc6c4ff411b3c6d1fb",
    "0003_accounts": "50938c7e11a9e35783d6bb2d4fef00835cca38a3f2bd61a3b2bf7f712967eab0",
    "0004_security": "20df5af8e59ff4e8b3d94901c705d29151feaf8b5fa2c2ecdef25c8eb9c8013e",
    "0005_conflicts": "bc02b53e74cc7bf8cdf77fa7f36990f6e12b4e72e9d9b628d94713ac4aa7e552",
    "0006_mail_outbox": "aaa41f230a06426f765156ab8ac554f64450d17b82a0dcf7545857ae309dae50",
    "0010_caldav": "020d69ea112c95e1d0205f61a2ef8852f971b8097ad683d827729c388cccc711",
    "0011_caldav_busy_until": "04fb96bb51797b78ce8aee05065da78e9476b136b0665be2ad14f9e0e973e1e5",
    "0012_caldav_instances": "ab2d0cf34a43350c61cdcf4072dbde02d4c23f244ae955cc65ecb96184d5287e",
    "0020_web_sign_in": "bebe9a69d6cc338f03b8227b5e31d8db54f71b1eb5556f7ac23c85a83ac959ad",
    "0021_password_stamp": "552cd3cca4c4adfa0e91680e89fbc6903123f7071d96ca4fd1c538abc9e4413a",
}


def migrate_as_release_58ce8c1(url: str) -> None:
    """What `officehours migrate` of release 58ce8c1 did to an empty database: each of its
    migrations in its own transaction, noted in schema_migrations; there were no definitions.
    The release's files are still in sql/migrations, unchanged (their checksums prove it)."""
    shipped = {f"{m.version}_{m.name}": m for m in available()}
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE schema_migrations ("
                " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        for key, checksum in RELEASE_58CE8C1.items():
            m = shipped[key]
            assert m.checksum == checksum, f"{key} is no longer the released text"
            with conn, conn.cursor() as cur:
                cur.execute(m.sql)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (m.version, m.name, m.checksum),
                )
    finally:
        conn.close()


def execute(url: str, statement: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def test_upgrading_the_last_release_equals_migrating_from_empty(
    pg_admin_url: str, template_url: str
) -> None:
    with empty_database(pg_admin_url) as url:
        migrate_as_release_58ce8c1(url)
        before = statements(schema.dump(url))
        migrate(url)
        upgraded = statements(schema.dump(url))
    fresh = statements(schema.dump(template_url))
    assert upgraded == fresh, differences(upgraded, fresh)
    assert before != fresh, "the release's schema should differ from today's"


def test_the_schema_snapshot_is_current(template_url: str) -> None:
    (server,) = execute(template_url, "SELECT current_setting('server_version_num')::integer")[0]
    assert isinstance(server, int)
    if server // 10000 != 18:
        pytest.skip("sql/schema.sql is printed from PostgreSQL 18, the embedded server")
    made = schema.HEADER + "\n" + schema.dump(template_url)
    committed = (SQL_DIR / "schema.sql").read_text("utf-8")
    assert made == committed, "sql/schema.sql is stale: run `make schema`\n" + "\n".join(
        list(difflib.unified_diff(committed.splitlines(), made.splitlines(), lineterm=""))[:60]
    )


def test_what_the_definitions_no_longer_make_is_dropped(db_url: str) -> None:
    execute(
        db_url,
        """
        CREATE FUNCTION leftover_rule() RETURNS integer LANGUAGE sql RETURN 1;
        CREATE VIEW leftover_view AS SELECT leftover_rule() AS one;
        CREATE POLICY leftover_policy ON users FOR SELECT USING (leftover_rule() = 1);
        CREATE TRIGGER leftover_trigger BEFORE INSERT ON users
            FOR EACH ROW EXECUTE FUNCTION users_fill_slug();
        UPDATE schema_definitions SET checksum = 'older' WHERE file = '40_booking.sql';
        """,
    )
    assert migrate(db_url) == []
    left = execute(
        db_url,
        """
        SELECT 'function ' || proname FROM pg_proc WHERE proname LIKE 'leftover%'
        UNION ALL SELECT 'view ' || relname FROM pg_class WHERE relname LIKE 'leftover%'
        UNION ALL SELECT 'policy ' || polname FROM pg_policy WHERE polname LIKE 'leftover%'
        UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname LIKE 'leftover%'
        """,
    )
    assert left == []
    # What the data itself uses stays: the zone CHECK and the token defaults.
    kept = execute(
        db_url,
        """
        SELECT proname FROM pg_proc WHERE proname IN ('is_time_zone', 'new_token', 'book')
        UNION ALL SELECT conname FROM pg_constraint WHERE conname = 'user_time_zone_valid'
        ORDER BY 1
        """,
    )
    assert [r[0] for r in kept] == ["book", "is_time_zone", "new_token", "user_time_zone_valid"]
    rows = execute(db_url, "SELECT file, checksum FROM schema_definitions")
    in_force = {str(file): str(checksum) for file, checksum in rows}
    assert in_force == {d.file: d.checksum for d in definitions()}


def test_the_definitions_can_be_applied_again_as_they_are(db_url: str, template_url: str) -> None:
    conn = psycopg2.connect(db_url)
    try:
        with conn, conn.cursor() as cur:
            for d in definitions():
                cur.execute(d.sql)
    finally:
        conn.close()
    again = statements(schema.dump(db_url))
    fresh = statements(schema.dump(template_url))
    assert again == fresh, differences(again, fresh)


# Statements at the start of a line (not inside a function body) that make or change what
# holds data, and those that make what holds none.
DATA = re.compile(
    r"^(CREATE (UNIQUE )?INDEX|CREATE (TABLE|TYPE|EXTENSION|SEQUENCE|DOMAIN)|ALTER TABLE \w+ "
    r"(ADD|DROP|ALTER|RENAME)|INSERT|UPDATE|DELETE|TRUNCATE)\b",
    re.MULTILINE,
)
RULES = re.compile(
    r"^(CREATE (OR REPLACE )?(TRIGGER|VIEW|POLICY)|GRANT|REVOKE|COMMENT ON (POLICY|VIEW|TRIGGER)|"
    r"ALTER TABLE \w+ (ENABLE|DISABLE|FORCE) ROW LEVEL SECURITY)\b",
    re.MULTILINE,
)


def test_definitions_hold_no_data_and_new_migrations_hold_no_rules() -> None:
    files = definitions()
    assert [d.file for d in files] == sorted(d.file for d in files)
    assert all(re.fullmatch(r"\d{2}_[a-z_]+\.sql", d.file) for d in files)
    for d in files:
        assert DATA.findall(d.sql) == [], f"{d.file} makes what holds data: a migration's job"
    newer = [m for m in available() if m.version > LAST_MIXED_MIGRATION]
    for m in newer:
        assert RULES.findall(m.sql) == [], f"{m.version}_{m.name} defines rules: see sql/README.md"


def test_the_pattern_checks_catch_what_they_are_for() -> None:
    assert DATA.findall("CREATE TABLE t (x int);\nALTER TABLE t ADD COLUMN y int;")
    assert not DATA.findall("CREATE OR REPLACE FUNCTION f() AS $$\n    INSERT INTO t VALUES (1);")
    assert RULES.findall("GRANT SELECT ON t TO officehours_app;")
    assert RULES.findall("CREATE OR REPLACE VIEW v AS SELECT 1;")
