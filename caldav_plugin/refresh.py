"""Recurring busy time follows the booking horizon, whether or not the coach's app connects.

A recurring event of a blocking calendar is expanded to the booking horizon plus a margin
(``busy.MARGIN``); ``busy.refresh_due`` expands it again once the horizon reaches that point, at
the start of each of the coach's CalDAV requests. A coach whose calendar app never connects
would see their weekly busy time run out; ``refresh_all`` does the same for every coach that is
due. ``officehours caldav refresh-busy`` (cron, systemd timers) and a thread of
``officehours serve`` (``BusyRefresher``, hourly) run it.

Each coach is refreshed in a transaction of its own, under the locks a CalDAV write of that
coach takes, in the same order (the owner's CalDAV lock, then ``lock_coach``): runs on several
hosts at once, requests and bookings serialize with it, and a second run finds nothing due.
The queries are in ``refresh.sql`` beside this module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from caldav_plugin import busy, session
from caldav_plugin.options import PLUGIN_CONFIG_SCHEMA
from officehours import sqlfiles
from officehours.db import Database
from officehours.periodic import Periodic

Q = sqlfiles.load(__name__)

log = logging.getLogger(__name__)

# The storage's default [storage] busy_instance_limit.
DEFAULT_LIMIT = int(PLUGIN_CONFIG_SCHEMA["storage"]["busy_instance_limit"]["value"])
HOURLY = 3600.0


@dataclass(frozen=True)
class Refreshed:
    """What one ``refresh_all`` did."""

    events: int = 0
    """Recurring events expanded again."""
    coaches: int = 0
    """Coaches they belong to."""
    failed: dict[str, str] = field(default_factory=dict)
    """Coach slug -> why their events could not be expanded (their old busy time is kept)."""


def due_coaches(db: Database, *, now: datetime | None = None) -> list[str]:
    """The slugs of the coaches with a recurring busy event whose expansion the booking horizon
    has reached (now: the rules' clock; None for the real time)."""
    with db.transaction(now=now) as cur:
        cur.execute(Q.due_coaches)
        return [slug for (slug,) in cur.fetchall()]


def refresh_coach(
    db: Database, coach: str, limit: int = DEFAULT_LIMIT, *, now: datetime | None = None
) -> int:
    """Expands again the due recurring busy events of one coach; returns how many.

    limit: the most instances one event may have (as ``[storage] busy_instance_limit``).
    Raises busy.BusyTimeRefused when an event cannot be expanded; nothing is changed then.
    """
    with db.transaction(now=now) as cur:
        session.lock_owner(cur, coach)
        cur.execute(Q.lock_coach, (coach,))
        return busy.refresh_due(cur, coach, limit)


def refresh_all(
    db: Database, limit: int = DEFAULT_LIMIT, *, now: datetime | None = None
) -> Refreshed:
    """Expands again the due recurring busy events of every coach, one transaction per coach.

    A coach whose events cannot be expanded is listed in ``failed`` and the others go on.
    Raises psycopg2.Error when the database cannot be reached.
    """
    events = coaches = 0
    failed: dict[str, str] = {}
    for coach in due_coaches(db, now=now):
        try:
            count = refresh_coach(db, coach, limit, now=now)
        except busy.BusyTimeRefused as exc:
            log.warning("busy time of %s not extended: %s", coach, exc)
            failed[coach] = str(exc)
            continue
        if count:
            events += count
            coaches += 1
    if events:
        log.info("%d recurring busy events of %d coaches expanded again", events, coaches)
    return Refreshed(events, coaches, failed)


class BusyRefresher(Periodic[Refreshed]):
    """Runs ``refresh_all`` from a thread: once at start, then every ``interval`` seconds.

    clock: the rules' clock (tests and demos); None for the real time.
    """

    def __init__(
        self,
        db: Database,
        *,
        limit: int = DEFAULT_LIMIT,
        interval: float = HOURLY,
        clock: datetime | None = None,
    ) -> None:
        self.db = db
        self.limit = limit
        self.clock = clock
        super().__init__(
            "caldav-busy-refresh",
            lambda: refresh_all(self.db, self.limit, now=self.clock),
            interval=interval,
            what="refreshing recurring busy time",
        )
