"""Busy time: events in a coach's blocking calendars become rows of ``busy_intervals``.

Written in the transaction of the PUT, DELETE, MOVE or PROPPATCH that changed them, under the
coach's advisory lock (``lock_coach``), which is the lock every booking takes too: a booking
either sees the new busy time or commits before it. Recurring events are expanded from the
rules' clock to the coach's booking horizon plus a margin (``caldav_items.busy_until``);
``refresh_due``, run at the start of each of the coach's requests, expands them again when the
horizon reaches that point.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from ics.busy import busy_intervals
from ics.errors import InvalidCalendar, TooManyInstances
from officehours.db import Cursor

log = logging.getLogger(__name__)

# Expanded this far beyond the horizon, so that re-expanding is needed about once a month.
MARGIN = timedelta(days=31)


class BusyTimeRefused(ValueError):
    """An event of a blocking calendar cannot be turned into busy time (unreadable times, or
    more instances than the limit). Radicale answers 400; nothing is stored."""


def source_ref(owner: str, collection: str, href: str) -> str:
    """The ``busy_intervals.source_ref`` of an item: its path, which the coach recognises."""
    return f"/{owner}/{collection}/{href}"


def _window(cur: Cursor, owner: str) -> tuple[str, datetime, datetime] | None:
    """Locks the coach's calendar and returns (zone, window start, window end), or None
    when ``owner`` is not a coach (only coaches have busy time)."""
    cur.execute(
        "SELECT lock_coach(u.id), u.time_zone, clock(),"
        " clock() + rule_duration('booking_horizon', u.id)"
        " FROM users u WHERE u.slug = %s AND u.role = 'coach'",
        (owner,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    _, zone, now, horizon = row
    return zone, now - timedelta(days=1), horizon + MARGIN


def replace(
    cur: Cursor, owner: str, refs_and_texts: Iterable[tuple[str, str | None]], limit: int
) -> None:
    """Replaces the busy intervals of some items of ``owner``'s calendars.

    refs_and_texts: (source_ref, item text) pairs; text None only removes the old intervals.
    limit: the most instances one item may have in the window.
    Raises BusyTimeRefused when an item's events cannot be expanded.
    """
    pairs = list(refs_and_texts)
    if not pairs:
        return
    window = _window(cur, owner)
    if window is None:
        return
    zone, start, end = window
    cur.execute(
        "DELETE FROM busy_intervals WHERE source = 'caldav' AND source_ref = ANY(%s)",
        ([ref for ref, _ in pairs],),
    )
    refs: list[str] = []
    starts: list[datetime] = []
    ends: list[datetime] = []
    for ref, text in pairs:
        if text is None:
            continue
        try:
            found = busy_intervals(
                text, window_start=start, window_end=end, default_tz=zone, max_instances=limit
            )
        except (InvalidCalendar, TooManyInstances) as exc:
            raise BusyTimeRefused(f"{ref}: {exc}") from exc
        for lo, hi in found:
            refs.append(ref)
            starts.append(lo)
            ends.append(hi)
    recurring = [ref for ref, text in pairs if text is not None and _recurs(text)]
    cur.execute(
        "UPDATE caldav_items i SET busy_until = CASE WHEN r = ANY(%s) THEN %s::timestamptz END"
        " FROM caldav_collections c, users u, unnest(%s::text[]) AS r"
        " WHERE c.id = i.collection_id AND u.id = c.owner_id AND u.slug = %s"
        " AND r = '/' || u.slug || '/' || c.name || '/' || i.href",
        (recurring, end, [ref for ref, _ in pairs], owner),
    )
    if refs:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source, source_ref)"
            " SELECT u.id, tstzrange(s, e, '[)'), 'caldav', r"
            " FROM users u, unnest(%s::text[], %s::timestamptz[], %s::timestamptz[]) AS x (r, s, e)"
            " WHERE u.slug = %s",
            (refs, starts, ends, owner),
        )
    log.debug("busy time of %s: %d intervals from %d items", owner, len(refs), len(pairs))


def _recurs(text: str) -> bool:
    return "\nRRULE" in text or "\nRDATE" in text


def refresh_due(cur: Cursor, owner: str, limit: int) -> int:
    """Expands again the recurring busy events of ``owner`` whose expansion the booking horizon
    has reached; returns how many. Cheap when there are none (an index lookup)."""
    cur.execute(
        "SELECT c.name, i.href, i.body FROM caldav_items i"
        " JOIN caldav_collections c ON c.id = i.collection_id"
        " JOIN users u ON u.id = i.owner_id"
        " WHERE u.slug = %s AND i.owner_id = u.id AND i.busy_until IS NOT NULL"
        " AND i.busy_until < clock() + rule_duration('booking_horizon', u.id) AND c.blocking",
        (owner,),
    )
    due = [(source_ref(owner, name, href), body) for name, href, body in cur.fetchall()]
    if due:
        replace(cur, owner, due, limit)
    return len(due)


def replace_collection(cur: Cursor, owner: str, name: str, blocking: bool, limit: int) -> None:
    """Rebuilds the busy intervals of every item of one collection (after its blocking flag
    changed, or before it is deleted with ``blocking=False``)."""
    cur.execute(
        "SELECT href, body FROM caldav_items WHERE collection_id = caldav_collection(%s, %s)",
        (owner, name),
    )
    replace(
        cur,
        owner,
        ((source_ref(owner, name, href), body if blocking else None) for href, body in cur),
        limit,
    )
