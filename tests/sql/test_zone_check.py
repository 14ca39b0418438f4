"""The rule on users.time_zone: the same zones as before, without reading the zone database.

``user_time_zone_valid`` once was a CHECK calling ``is_time_zone``, which reads the whole of
``pg_timezone_names`` (10 to 25 ms) for every user written: loading 100,000 users took over
20 minutes, and every UPDATE of a user (a deactivation) paid it again. The rule must accept
and refuse exactly the names it did, and cost an index lookup.
"""

from __future__ import annotations

import time

import psycopg2
import pytest

from officehours import accounts, errors
from officehours.db import Database

# What is_time_zone accepted (migration 0001): a name of pg_timezone_names, but none of the
# posix/ and right/ copies nor localtime.
ORIGINAL_RULE = """
    SELECT name FROM pg_catalog.pg_timezone_names
    WHERE name !~* '^(posix/|right/|localtime$)' ORDER BY 1
"""
REFUSED = [
    "",
    "europe/london",
    "Europe/Londn",
    "posix/Europe/London",
    "right/UTC",
    "localtime",
    "Mars/Olympus_Mons",
    "UTC+3",
    "+03:00",
    " Europe/London",
    "Europe/London ",
]
ACCEPTED = ["UTC", "Europe/London", "America/Los_Angeles", "Asia/Kolkata", "EST5EDT", "Etc/GMT+5"]


def test_the_zones_accepted_are_exactly_those_of_the_original_rule(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute(ORIGINAL_RULE)
        original = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT name FROM pg_catalog.pg_timezone_names WHERE is_time_zone(name) ORDER BY 1"
        )
        accepted = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT zone FROM unnest(%s::text[]) AS zone WHERE is_time_zone(zone)", (REFUSED,)
        )
        wrongly = cur.fetchall()
    assert len(original) > 400
    assert accepted == original
    assert wrongly == []


@pytest.mark.parametrize("zone", ACCEPTED)
def test_a_known_zone_is_stored(db: Database, zone: str) -> None:
    slug = accounts.add_user(db, None, "z@example.com", "Zed", "client", zone)
    assert accounts.get_user(db, None, slug).time_zone == zone


@pytest.mark.parametrize("zone", REFUSED)
def test_an_unknown_zone_is_refused_by_the_function_and_by_the_table(
    db: Database, db_url: str, zone: str
) -> None:
    with pytest.raises(errors.InvalidTimeZone):
        accounts.add_user(db, None, "z@example.com", "Zed", "client", zone)
    slug = accounts.add_user(db, None, "z@example.com", "Zed", "client", "UTC")
    # Past add_user's early check, straight into the table: the database itself refuses.
    conn = psycopg2.connect(db_url)
    try:
        with pytest.raises(psycopg2.Error) as raised, conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET time_zone = %s WHERE slug = %s", (zone, slug))
        translated = errors.translate(raised.value)
        assert isinstance(translated, errors.InvalidTimeZone)
        with pytest.raises(psycopg2.Error), conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO users (email, display_name, role, time_zone)"
                " VALUES ('raw@example.com', 'Raw', 'client', %s)",
                (zone,),
            )
    finally:
        conn.close()
    assert accounts.get_user(db, None, slug).time_zone == "UTC"


def test_writing_users_does_not_read_the_zone_database_for_each(db: Database) -> None:
    # 2,000 users and as many updates: at 10 to 25 ms a row for reading the zone database this
    # took 40 to 100 s; an index lookup a row takes well under a second.
    started = time.perf_counter()
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO users (email, display_name, role, time_zone)"
            " SELECT 'u' || i || '@example.com', 'User ' || i, 'client',"
            "        (ARRAY['Europe/London', 'Asia/Kolkata', 'UTC'])[1 + i % 3]"
            " FROM generate_series(1, 2000) AS i"
        )
        cur.execute(
            "UPDATE users SET time_zone = 'America/New_York' WHERE email LIKE 'u%@example.com'"
        )
        assert cur.rowcount == 2000
    assert time.perf_counter() - started < 8.0
