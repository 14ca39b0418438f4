"""Deployment as in the README: the database belongs to an ordinary role (not a superuser)."""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

from officehours import accounts, booking
from officehours.db import Database
from officehours.migrations import migrate
from tests.lib.support import NOW, admin_execute, weekdays, with_database


def as_user(url: str, user: str) -> str:
    """The same URL, signing in as another role (trust authentication, as in the tests)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def test_an_ordinary_owner_migrates_and_row_level_security_holds(
    pg_admin_url: str, template_url: str
) -> None:
    owner = f"officehours_owner_{os.getpid()}"
    name = f"officehours_owned_{os.getpid()}"
    admin_execute(
        pg_admin_url, sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(owner))
    )
    admin_execute(
        pg_admin_url,
        sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner)),
    )
    # The role the website works as is cluster-wide and exists already (the template database
    # made it), so, as the README says for that case, a superuser lets the owner use it.
    admin_execute(
        pg_admin_url, sql.SQL("GRANT officehours_app TO {}").format(sql.Identifier(owner))
    )
    url = as_user(with_database(pg_admin_url, name), owner)
    try:
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert cur.fetchone() == (False,)
        conn.close()
        assert migrate(url)
        db = Database(url)
        try:
            coach = accounts.add_user(db, None, "c@example.com", "Coach", "coach", "UTC")
            client = accounts.add_user(db, None, "a@example.com", "Ann", "client", "UTC")
            other = accounts.add_user(db, None, "b@example.com", "Bo", "client", "UTC")
            accounts.set_office_hours(db, None, coach, weekdays("09:00", "17:00"))
            accounts.assign_coach(db, None, client, coach)
            accounts.assign_coach(db, None, other, coach)
            slots = booking.free_slots(db, client, coach, NOW, NOW + timedelta(days=3), now=NOW)
            booking.book(db, client, client, slots[0].start, now=NOW)
            with db.transaction(other) as cur:
                cur.execute("SELECT count(*) FROM appointments")
                assert cur.fetchone() == (0,)
                cur.execute("SELECT slug FROM users ORDER BY slug")
                assert cur.fetchall() == sorted([(other,), (coach,)])
            with pytest.raises(psycopg2.errors.InsufficientPrivilege), db.transaction(other) as cur:
                cur.execute("SELECT password_hash FROM users")
        finally:
            db.close()
    finally:
        admin_execute(
            pg_admin_url, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin_execute(pg_admin_url, sql.SQL("DROP ROLE {}").format(sql.Identifier(owner)))
