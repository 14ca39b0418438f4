"""PostgreSQL and Python must agree on every time zone officehours shows.

The rules expand office hours and check bookings with PostgreSQL's zone database (the embedded
server ships its own); pages, mail and VTIMEZONEs use Python's (the tzdata package). After a
country changes its rules the two can disagree by an hour until both are updated, and a call
would then show at another hour than the one booked. ``disagreements`` compares them for every
zone in use over the booking window; ``warn_on_disagreement`` runs at start-up and says so
loudly.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from officehours import sqlfiles
from officehours.db import Database, one

log = logging.getLogger(__name__)
Q = sqlfiles.load(__name__)


@dataclass(frozen=True)
class Disagreement:
    """The first instant at which the two zone databases give one zone different offsets."""

    zone: str
    at: datetime
    postgres: timedelta
    python: timedelta

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M} UTC"
        return (
            f"{self.zone} at {when}: PostgreSQL says UTC{_hours(self.postgres)},"
            f" Python says UTC{_hours(self.python)}"
        )


def _hours(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def disagreements(
    db: Database,
    *,
    start: datetime | None = None,
    python_zone: Callable[[str], ZoneInfo] = ZoneInfo,
) -> list[Disagreement]:
    """Each zone in use on which PostgreSQL and Python disagree between ``start`` (default now)
    and the longest booking horizon after it, with the first instant they do.

    python_zone: how Python's rules for a zone are found (ZoneInfo; another source in tests).
    """
    begin = (start or datetime.now(timezone.utc)).astimezone(timezone.utc)
    with db.transaction() as cur:
        cur.execute(Q.zones_in_use)
        zones, horizon = one(cur)
        if not zones:
            return []
        end = begin + (horizon or timedelta(days=90)) + timedelta(days=1)
        cur.execute(Q.offsets, {"zones": zones, "start": begin, "end": end})
        rows = cur.fetchall()
    found: dict[str, Disagreement] = {}
    for zone, at, offset_s in rows:
        ours = timedelta(seconds=offset_s)
        theirs = at.astimezone(python_zone(zone)).utcoffset()
        if zone not in found and theirs != ours:
            found[zone] = Disagreement(zone, at.astimezone(timezone.utc), ours, theirs)
    return sorted(found.values(), key=lambda d: d.zone)


def warn_on_disagreement(
    db: Database, *, python_zone: Callable[[str], ZoneInfo] = ZoneInfo
) -> list[Disagreement]:
    """Logs an error (and prints to stderr) for every zone the two databases disagree on, from
    now over the booking horizon; returns them."""
    found = disagreements(db, python_zone=python_zone)
    for d in found:
        message = (
            f"TIME ZONE RULES DISAGREE: {d}. Calls in this zone may show at the wrong hour: "
            "update the tzdata package and PostgreSQL's zone data to the same release."
        )
        log.error(message)
        print(message, file=sys.stderr)
    return found
