"""Busy time: events in a coach's blocking calendars become rows of ``busy_intervals``.

Written in the transaction of the PUT, DELETE, MOVE or PROPPATCH that changed them, under the
coach's advisory lock (``lock_coach``), which is the lock every booking takes too: a booking
either sees the new busy time or commits before it. Recurring events are expanded from the
rules' clock to the coach's booking horizon plus a margin (``caldav_items.busy_until``);
``refresh_due``, run at the start of each of the coach's requests, expands them again when the
horizon reaches that point. The queries are in ``busy.sql`` beside this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from caldav_plugin.outcome import Refused
from ics.busy import busy_intervals
from ics.errors import InvalidCalendar, TooManyInstances
from officehours import sqlfiles
from officehours.db import Cursor

Q = sqlfiles.load(__name__)

log = logging.getLogger(__name__)

# Expanded this far beyond the horizon, so that re-expanding is needed about once a month.
MARGIN = timedelta(days=31)


class BusyTimeRefused(Refused):
    """An event of a blocking calendar cannot be turned into busy time (unreadable times, or
    more instances than the limit): 400 with the reason; nothing is stored."""


def source_ref(owner: str, collection: str, href: str) -> str:
    """The ``busy_intervals.source_ref`` of an item: its path, which the coach recognises."""
    return f"/{owner}/{collection}/{href}"


def _window(cur: Cursor, owner: str) -> tuple[str, datetime, datetime] | None:
    """Locks the coach's calendar and returns (zone, window start, window end), or None
    when ``owner`` is not a coach (only coaches have busy time)."""
    cur.execute(Q.lock_coach_and_window, (owner,))
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
    cur.execute(Q.delete_caldav_busy_intervals, ([ref for ref, _ in pairs],))
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
            raise BusyTimeRefused(f"{ref} cannot block time: {exc}") from exc
        for lo, hi in found:
            refs.append(ref)
            starts.append(lo)
            ends.append(hi)
    recurring = [ref for ref, text in pairs if text is not None and _recurs(text)]
    cur.execute(Q.set_busy_until, (recurring, end, [ref for ref, _ in pairs], owner))
    if refs:
        cur.execute(Q.insert_busy_intervals, (refs, starts, ends, owner))
    log.debug("busy time of %s: %d intervals from %d items", owner, len(refs), len(pairs))


def _recurs(text: str) -> bool:
    """Whether an item's text has a recurrence (RRULE or RDATE), so its busy time must be
    expanded again as the booking horizon moves."""
    return "\nRRULE" in text or "\nRDATE" in text


def refresh_due(cur: Cursor, owner: str, limit: int) -> int:
    """Expands again the recurring busy events of ``owner`` whose expansion the booking horizon
    has reached; returns how many. Cheap when there are none (an index lookup)."""
    cur.execute(Q.items_due_for_busy_refresh, (owner,))
    due = [(source_ref(owner, name, href), body) for name, href, body in cur.fetchall()]
    if due:
        replace(cur, owner, due, limit)
    return len(due)


def replace_collection(cur: Cursor, owner: str, name: str, blocking: bool, limit: int) -> None:
    """Rebuilds the busy intervals of every item of one collection (after its blocking flag
    changed, or before it is deleted with ``blocking=False``)."""
    cur.execute(Q.item_texts_of_collection, (owner, name))
    replace(
        cur,
        owner,
        ((source_ref(owner, name, href), body if blocking else None) for href, body in cur),
        limit,
    )
