"""Shared test data and helpers (importable from every test module)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timezone
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from officehours import accounts
from officehours.db import Database

# A Monday, far enough from any DST change: tests pass it as the clock of the rules.
NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)


@dataclass
class World:
    """Users for a test: an admin, coaches X (Los Angeles) and Y (London), clients A (Kolkata) and
    B (New York) of X, C (London) of Y. Attributes hold slugs."""

    db: Database
    admin: str
    x: str
    y: str
    a: str
    b: str
    c: str


def weekdays(start: str, end: str, days: range = range(1, 6)) -> list[accounts.WeeklyHours]:
    """Weekly rules for the given ISO weekdays from start to end ('HH:MM')."""
    return [
        accounts.WeeklyHours(d, time.fromisoformat(start), time.fromisoformat(end)) for d in days
    ]


_counter = itertools.count()


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def admin_execute(url: str, statement: sql.Composable) -> None:
    """Runs one statement outside a transaction (CREATE/DROP DATABASE)."""
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@contextmanager
def fresh_database(admin_url: str, template_url: str) -> Iterator[str]:
    """A new database copied from the migrated template; dropped afterwards."""
    template = urlsplit(template_url).path.lstrip("/")
    name = f"officehours_test_{os.getpid()}_{next(_counter)}"
    admin_execute(
        admin_url,
        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template)
        ),
    )
    try:
        yield with_database(admin_url, name)
    finally:
        admin_execute(
            admin_url, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
        )
