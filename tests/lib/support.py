"""Shared test data and helpers (importable from every test module)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from officehours import accounts
from officehours.db import Database

# A Monday, far enough from any DST change: the tests' clock unless OFFICEHOURS_TEST_NOW moves it.
DEFAULT_NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)


def _test_now(value: str | None) -> datetime:
    """The clock of the rules in every test: OFFICEHOURS_TEST_NOW (an ISO 8601 instant with its
    offset, e.g. ``2029-12-03T12:00:00+00:00``) or, by default, Monday 2027-01-04 12:00 UTC.

    Moving it shows that no test depends on the wall-clock date (the suite must pass on any date
    up to 2030). Tests build their dates from it and assume it is a Monday at 12:00 UTC, so
    anything else is refused here rather than failing tests one by one; some write a local time
    as a UTC instant, so pick a Monday away from DST, as the default is (November to February).

    Raises:
        ValueError: naming OFFICEHOURS_TEST_NOW, when the value is not such an instant.
    """
    if not value:
        return DEFAULT_NOW
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"OFFICEHOURS_TEST_NOW is not an ISO 8601 instant: {value!r}") from exc
    if when.tzinfo is None:
        raise ValueError(f"OFFICEHOURS_TEST_NOW needs an offset such as Z: {value!r}")
    when = when.astimezone(timezone.utc)
    if when.weekday() != 0 or (when.hour, when.minute, when.second) != (12, 0, 0):
        raise ValueError(f"OFFICEHOURS_TEST_NOW must be a Monday at 12:00 UTC: {value!r}")
    return when


# A Monday at noon UTC: tests pass it as the clock of the rules.
NOW = _test_now(os.environ.get("OFFICEHOURS_TEST_NOW"))


_Day = TypeVar("_Day", date, datetime)


def moved(at: _Day) -> _Day:
    """``at``, written for DEFAULT_NOW, moved by the whole weeks NOW was moved by, at the same
    wall-clock time in its own zone: a Tuesday 09:00 in Los Angeles stays a Tuesday 09:00 there.

    Tests about the calendar itself (a month's n-th weekday, a year's DST changes) keep their dates
    and DEFAULT_NOW as their clock instead: they read no wall clock either.
    """
    shift = NOW.date() - DEFAULT_NOW.date()
    if isinstance(at, datetime):
        return (at.replace(tzinfo=None) + shift).replace(tzinfo=at.tzinfo)
    return at + shift


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
