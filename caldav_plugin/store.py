"""The SQL of the CalDAV tables: one function per statement, used by reads, writes and the
rebuilding of generated collections. The statements are the named queries of ``store.sql``
beside this module. Collections are named by (owner slug, name); their serial ids stay inside
SQL (the SQL function ``caldav_collection(owner, name)`` finds them)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from radicale import item as radicale_item
from radicale.app.report import _fbtype_for_component
from radicale.item import filter as radicale_filter

from caldav_plugin.outcome import Refused
from officehours import sqlfiles
from officehours.db import Cursor

Q = sqlfiles.load(__name__)


@dataclass(frozen=True)
class ItemRow:
    """An item as stored: everything Radicale asks of an item, without parsing it."""

    href: str
    uid: str
    name: str
    component: str
    etag: str
    text: str
    start: int
    end: int
    modified_at: datetime
    exact: bool = False


@dataclass(frozen=True)
class ListedItem:
    """What a depth-1 PROPFIND tells of an item, read without its text: href, etag, last
    change, object and component name, and its length in UTF-8 bytes."""

    href: str
    etag: str
    modified_at: datetime
    name: str
    component: str
    length: int


@dataclass(frozen=True)
class CollectionRow:
    """A collection as stored."""

    owner: str
    name: str
    kind: str
    props: dict[str, str]
    sync_key: str
    revision: int
    stale: bool
    modified_at: datetime
    blocking: bool
    sync_floor: int = 0


def _item(row: tuple[Any, ...]) -> ItemRow:
    """An item from a row of the item queries (their columns are ItemRow's, in order)."""
    return ItemRow(*row)


def collection(
    cur: Cursor, owner: str, name: str, *, for_update: bool = False
) -> CollectionRow | None:
    """The collection /owner/name/, or None; with ``for_update`` its row stays locked until the
    transaction ends."""
    cur.execute(Q.collection_for_update if for_update else Q.collection, (owner, name))
    row = cur.fetchone()
    return CollectionRow(owner, *row) if row else None


def collections(cur: Cursor, owner: str) -> list[CollectionRow]:
    """Every collection of ``owner``, by name."""
    cur.execute(Q.collections_of_owner, (owner,))
    return [CollectionRow(owner, *row) for row in cur.fetchall()]


def items(cur: Cursor, owner: str, name: str, hrefs: list[str] | None = None) -> list[ItemRow]:
    """The items of a collection (only those named in ``hrefs`` when given), by href."""
    if hrefs is None:
        cur.execute(Q.items_of_collection, (owner, name))
    else:
        cur.execute(Q.items_with_hrefs, (owner, name, hrefs))
    return [_item(row) for row in cur.fetchall()]


def items_in_range(
    cur: Cursor,
    owner: str,
    name: str,
    component: str | None,
    start: int,
    end: int,
    *,
    unknown_busy_only: bool = False,
) -> list[ItemRow]:
    """Items whose enclosing range meets (start, end) as Radicale's own prefilter does
    (``istart < end and iend > start``), with the GiST index doing the coarse work; of items
    whose instances are known, only those with an instance in the range, flagged exact. With
    ``unknown_busy_only``, only those ``busy_periods`` cannot answer for."""
    if end < start:
        # A range that ends before it starts holds no time, so nothing meets it (as with
        # Radicale's own storage); SQL would refuse to build it.
        return []
    cur.execute(
        Q.items_in_range,
        (owner, name, component, component, start, end, end, start, start, end, unknown_busy_only),
    )
    return [_item(row) for row in cur.fetchall()]


def has_uid(cur: Cursor, owner: str, name: str, uid: str) -> bool:
    """Whether an item of the collection has this UID (an index lookup)."""
    cur.execute(Q.has_uid, (owner, name, uid))
    row = cur.fetchone()
    return bool(row and row[0])


def changes_since(cur: Cursor, owner: str, name: str, revision: int) -> list[str]:
    """The hrefs changed or deleted after ``revision``."""
    cur.execute(Q.hrefs_changed_since, (owner, name, revision))
    return [href for (href,) in cur.fetchall()]


def all_hrefs(cur: Cursor, owner: str, name: str) -> list[str]:
    """The hrefs of every item of a collection."""
    cur.execute(Q.all_hrefs, (owner, name))
    return [href for (href,) in cur.fetchall()]


def bump(cur: Cursor, owner: str, name: str) -> int:
    """Moves the collection to its next revision and returns it (the row stays locked)."""
    cur.execute(Q.bump_revision, (owner, name))
    row = cur.fetchone()
    if row is None:
        raise ValueError(f"no collection /{owner}/{name}/")
    return int(row[0])


def _log(
    cur: Cursor, owner: str, name: str, hrefs: list[str], revision: int, deleted: bool
) -> None:
    """Records that ``hrefs`` changed (or, with ``deleted``, went) at ``revision``, for sync
    tokens."""
    cur.execute(Q.log_changes, (revision, deleted, hrefs, owner, name))


def put_items(
    cur: Cursor,
    owner: str,
    name: str,
    entries: Iterable[tuple[str, radicale_item.Item, str | None]],
    revision: int,
) -> None:
    """Inserts or replaces items and logs them at ``revision``.

    entries: (href, prepared item, source key or None).
    Raises Refused for an item whose end comes before its start, which RFC 5545 forbids and
    the range of ``caldav_items.during`` cannot hold: told here, before the database refuses
    it with its own words.
    """
    entries = list(entries)
    for href, it, _ in entries:
        start, end = it.time_range
        if end < start:
            raise Refused(
                f"{href}: {it.component_name or 'the item'} {it.uid!r} ends before it starts "
                "(its DTEND or DUE is before its DTSTART)."
            )
    rows = [
        (
            href,
            it.uid,
            it.name,
            it.component_name,
            it.etag,
            it.serialize(),
            *it.time_range,
            key,
            instances(it),
            free_busy_type(it),
        )
        for href, it, key in entries
    ]
    if not rows:
        return
    cur.execute(
        Q.upsert_items,
        (json.dumps([dict(zip(_FIELDS, row, strict=True)) for row in rows]), owner, name),
    )
    _log(cur, owner, name, [row[0] for row in rows], revision, False)


# The keys of the JSON objects upsert_items reads (its jsonb_to_recordset columns), in the
# order of the tuples put_items builds.
_FIELDS = ("href", "uid", "name", "component", "etag", "body", "lo", "hi", "key", "inst", "fb")
# Items with more instances than this are left to Radicale's own filter.
MAX_INSTANCES = 1000


def instances(item: radicale_item.Item) -> list[tuple[float, float]] | None:
    """The ranges Radicale's time-range filter would test for ``item`` (found by Radicale's
    own visitor, so the answer is the same), or None when endless or too many."""
    if not item.component_name:
        return None
    found: list[tuple[float, float]] = []
    endless = False

    def on_range(start: datetime, end: datetime, is_recurrence: bool) -> bool:
        """Keeps one instance; True (stop) once there are more than MAX_INSTANCES."""
        found.append((start.timestamp(), end.timestamp()))
        return len(found) > MAX_INSTANCES

    def on_infinity(start: datetime) -> bool:
        """Notes that the item recurs without end, and stops the visit."""
        nonlocal endless
        endless = True
        return True

    try:
        radicale_filter.visit_time_ranges(
            item.vobject_item, item.component_name, on_range, on_infinity
        )
    except (ValueError, TypeError, OverflowError):
        return None
    if endless or len(found) > MAX_INSTANCES or not found or any(e < s for s, e in found):
        return None
    return found


def free_busy_type(item: radicale_item.Item) -> str | None:
    """The FBTYPE a free-busy report gives every instance of ``item`` ('TRANSPARENT' for
    none), found by Radicale's own reading of TRANSP and STATUS so the answer is the same;
    None for what is no event, or whose components (a recurrence and its overrides) differ:
    such an item is parsed when a report needs it."""
    if item.component_name != "VEVENT":
        return None
    try:
        kinds = {
            _fbtype_for_component(component) or "TRANSPARENT"
            for component in item.vobject_item.components()
            if component.name == "VEVENT"
        }
    except (ValueError, TypeError, AttributeError):
        return None
    return kinds.pop() if len(kinds) == 1 else None


def listing(cur: Cursor, owner: str, name: str) -> list[ListedItem]:
    """Every item of a collection as a PROPFIND lists it, by href, without its text."""
    cur.execute(Q.listing, (owner, name))
    return [ListedItem(*row) for row in cur.fetchall()]


def busy_periods(
    cur: Cursor, owner: str, name: str, start: float, end: float
) -> list[tuple[datetime, datetime, str]]:
    """(start, end, FBTYPE) of the events whose instances and free-busy type are columns,
    clipped to (start, end) and merged per type: a free-busy report without parsing them."""
    cur.execute(Q.busy_periods, (start, end, owner, name, start, end, start, end))
    return [(lo, hi, fbtype) for fbtype, lo, hi in cur.fetchall()]


def delete_items(cur: Cursor, owner: str, name: str, hrefs: list[str], revision: int) -> list[str]:
    """Deletes items, leaves tombstones at ``revision`` and returns the hrefs that existed."""
    cur.execute(Q.delete_items, (owner, name, hrefs))
    gone = [href for (href,) in cur.fetchall()]
    if gone:
        _log(cur, owner, name, gone, revision, True)
    return gone
