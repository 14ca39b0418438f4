"""Shared test data and helpers (importable from every test module)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone

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
