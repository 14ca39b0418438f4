"""The generated collections: a coach's office hours, and a coach's or client's booked calls.

Their items are built by ``ics`` from the booking tables and kept in ``caldav_items`` like any
other item, so reads, time ranges and sync tokens work the same for every collection. Triggers
on the source tables (``caldav_appointments_changed``, ``caldav_office_hours_changed`` and
``caldav_user_changed``, through the SQL function ``caldav_mark_stale``) mark a collection stale
in the transaction that changes its source; the next request that discovers it rebuilds what
changed, as the collection's owner so row-level security decides what goes in. The queries are
in ``generated.sql`` beside this module.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from radicale import item as radicale_item

from caldav_plugin import store
from ics.event import appointment_uid
from ics.feed import appointment_item
from ics.keys import item_key
from ics.model import Appointment, DatedException, Person, WeeklyRule
from ics.office_hours import office_hours_items
from officehours import sqlfiles
from officehours.call_details import details_of
from officehours.db import Cursor

Q = sqlfiles.load(__name__)

log = logging.getLogger(__name__)

GENERATED = ("office-hours", "appointments")


def refresh(cur: Cursor, owner: str, name: str, uid_domain: str) -> store.CollectionRow | None:
    """Rebuilds a stale generated collection and returns its row (None if it is gone).

    Locks the collection row first, so two processes never rebuild it at once; the second
    finds it fresh and does nothing.
    """
    row = store.collection(cur, owner, name, for_update=True)
    if row is None or not row.stale:
        return row
    failed: set[str] = set()
    cur.execute(Q.item_source_keys, (owner, name))
    have: dict[str, str] = dict(cur.fetchall())
    if row.kind == "appointments":
        wanted = _appointments(cur, owner, name, uid_domain, failed, have)
    else:
        wanted = _office_hours(cur, owner, uid_domain)
    changed = [
        (href, text, key)
        for href, (text, key) in wanted.items()
        if text is not None and have.get(href) != key
    ]
    # An item that could not be built keeps its last version, if it has one.
    removed = [href for href in have if href not in wanted and href not in failed]
    if changed or removed:
        revision = store.bump(cur, owner, name)
        collection_path = f"{owner}/{name}"
        store.put_items(
            cur,
            owner,
            name,
            (
                (href, radicale_item.Item(collection_path=collection_path, text=text), key)
                for href, text, key in changed
            ),
            revision,
        )
        store.delete_items(cur, owner, name, removed, revision)
    cur.execute(Q.mark_collection_fresh, (owner, name))
    return store.collection(cur, owner, name)


def _appointments(
    cur: Cursor, owner: str, name: str, uid_domain: str, failed: set[str], have: dict[str, str]
) -> dict[str, tuple[str | None, str]]:
    """href -> (text, source key) of every booked call ``owner`` may see; the text is None
    for a call whose key is the one its stored item has (``have``: href -> key), which is not
    built again: the key covers everything the text is made from.

    A call whose item ``ics`` refuses to build (a stored name or address it does not take) is
    logged with its token and left out, its href added to ``failed``: the other calls are
    still served.
    """
    cur.execute(Q.booked_calls_of_user, {"owner": owner, "domain": uid_domain})
    result: dict[str, tuple[str | None, str]] = {}
    for row in cur.fetchall():
        token, key = row[0], row[-1]
        href = item_key(appointment_uid(token, uid_domain=uid_domain))
        if have.get(href) == key:
            result[href] = (None, key)
            continue
        try:
            result[href] = (_appointment_text(row, uid_domain), key)
        except ValueError as exc:
            log.error("appointment %s left out of /%s/%s/: %s", token, owner, name, exc)
            failed.add(href)
    return result


def _appointment_text(row: tuple[Any, ...], uid_domain: str) -> str:
    """The item text of one booked call, from a row of the query booked_calls_of_user."""
    (token, revision, status, start, end, updated_at, co_name, co_email, co_tz) = row[:9]
    (cl_name, cl_email, cl_tz, owner_is_coach) = row[9:13]
    (kind, value, details, note) = row[13:17]
    appointment = Appointment(
        token=token,
        revision=revision,
        status=status,
        start=start,
        end=end,
        coach=Person(name=co_name, email=co_email),
        client=Person(name=cl_name, email=cl_email),
        coach_tz=co_tz,
        client_tz=cl_tz,
        call=details_of(kind, value, details),
        # The note is for the coach: it goes into the coach's item only.
        note=note if owner_is_coach else None,
    )
    tz = co_tz if owner_is_coach else cl_tz
    # DTSTAMP is the last change, so the text (and the ETag) changes only when the call does.
    return appointment_item(appointment, uid_domain=uid_domain, tz=tz, now=updated_at).decode()


def _office_hours(cur: Cursor, owner: str, uid_domain: str) -> dict[str, tuple[str | None, str]]:
    """href -> (text, source key) of a coach's office hours, from today (their zone) on."""
    cur.execute(Q.zone_today_and_clock, (owner,))
    found = cur.fetchone()
    if found is None:
        return {}
    zone, today, now = found
    cur.execute(Q.weekly_office_hours, (owner,))
    rules = [WeeklyRule(weekday=w, start=s, end=e) for w, s, e in cur.fetchall()]
    cur.execute(Q.office_hours_exceptions_from, (owner, today))
    exceptions = [DatedException(day=d, start=s, end=e) for d, s, e in cur.fetchall()]
    key = _fingerprint(zone, uid_domain, rules, exceptions)
    items = office_hours_items(
        coach_slug=owner,
        coach_tz=zone,
        rules=rules,
        exceptions=exceptions,
        since=today,
        uid_domain=uid_domain,
        now=now if isinstance(now, datetime) else None,
    )
    built: dict[str, tuple[str | None, str]] = {
        item.key: (item.ics.decode(), key) for item in items
    }
    return built


def _fingerprint(*parts: Any) -> str:
    """One key for the whole set: office hours are few and change together."""
    return hashlib.md5(repr(parts).encode(), usedforsecurity=False).hexdigest()
