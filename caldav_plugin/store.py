"""The SQL of the CalDAV tables: one function per statement, used by reads, writes and the
rebuilding of generated collections. Collections are named by (owner slug, name); their serial
ids stay inside SQL (see ``caldav_collection()`` in sql/migrations/0010_caldav.sql)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from radicale import item as radicale_item
from radicale.item import filter as radicale_filter

from officehours.db import Cursor

ITEM_COLUMNS = (
    "href, uid, name, component, etag, body,"
    " extract(epoch FROM lower(during))::bigint, extract(epoch FROM upper(during))::bigint,"
    " modified_at"
)
COLLECTION_COLUMNS = (
    "c.name, c.kind, c.props, c.sync_key, c.revision, c.stale, c.modified_at, c.blocking"
)


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


def _item(row: tuple[Any, ...]) -> ItemRow:
    return ItemRow(*row)


def collection(
    cur: Cursor, owner: str, name: str, *, for_update: bool = False
) -> CollectionRow | None:
    """The collection /owner/name/, or None."""
    cur.execute(
        f"SELECT {COLLECTION_COLUMNS} FROM caldav_collections c"
        " WHERE c.id = caldav_collection(%s, %s)" + (" FOR UPDATE" if for_update else ""),
        (owner, name),
    )
    row = cur.fetchone()
    return CollectionRow(owner, *row) if row else None


def collections(cur: Cursor, owner: str) -> list[CollectionRow]:
    """Every collection of ``owner``, by name."""
    cur.execute(
        f"SELECT {COLLECTION_COLUMNS} FROM caldav_collections c JOIN users u ON u.id = c.owner_id"
        " WHERE u.slug = %s ORDER BY c.name",
        (owner,),
    )
    return [CollectionRow(owner, *row) for row in cur.fetchall()]


def items(cur: Cursor, owner: str, name: str, hrefs: list[str] | None = None) -> list[ItemRow]:
    """The items of a collection (only those named in ``hrefs`` when given), by href."""
    where = "" if hrefs is None else " AND href = ANY(%s)"
    args: tuple[Any, ...] = (owner, name) if hrefs is None else (owner, name, hrefs)
    cur.execute(
        f"SELECT {ITEM_COLUMNS} FROM caldav_items WHERE collection_id = caldav_collection(%s, %s)"
        f"{where} ORDER BY href",
        args,
    )
    return [_item(row) for row in cur.fetchall()]


def items_in_range(
    cur: Cursor, owner: str, name: str, component: str | None, start: int, end: int
) -> list[ItemRow]:
    """Items whose enclosing range meets (start, end) as Radicale's own prefilter does
    (``istart < end and iend > start``), with the GiST index doing the coarse work; of items
    whose instances are known, only those with an instance in the range, flagged exact."""
    cur.execute(
        f"SELECT {ITEM_COLUMNS}, instances IS NOT NULL FROM caldav_items"
        " WHERE collection_id = caldav_collection(%s, %s)"
        " AND (%s::text IS NULL OR component = %s)"
        " AND during && tstzrange(to_timestamp(%s), to_timestamp(%s), '[]')"
        " AND lower(during) < to_timestamp(%s) AND upper(during) > to_timestamp(%s)"
        " AND (instances IS NULL"
        "      OR instances && tstzrange(to_timestamp(%s), to_timestamp(%s), '[)'))"
        " ORDER BY href",
        (owner, name, component, component, start, end, end, start, start, end),
    )
    return [_item(row) for row in cur.fetchall()]


def has_uid(cur: Cursor, owner: str, name: str, uid: str) -> bool:
    """Whether an item of the collection has this UID (an index lookup)."""
    cur.execute(
        "SELECT EXISTS (SELECT 1 FROM caldav_items"
        " WHERE collection_id = caldav_collection(%s, %s) AND uid = %s AND uid <> '')",
        (owner, name, uid),
    )
    row = cur.fetchone()
    return bool(row and row[0])


def changes_since(cur: Cursor, owner: str, name: str, revision: int) -> list[str]:
    """The hrefs changed or deleted after ``revision``."""
    cur.execute(
        "SELECT href FROM caldav_changes WHERE collection_id = caldav_collection(%s, %s)"
        " AND revision > %s ORDER BY revision, href",
        (owner, name, revision),
    )
    return [href for (href,) in cur.fetchall()]


def all_hrefs(cur: Cursor, owner: str, name: str) -> list[str]:
    """The hrefs of every item of a collection."""
    cur.execute(
        "SELECT href FROM caldav_items WHERE collection_id = caldav_collection(%s, %s)"
        " ORDER BY href",
        (owner, name),
    )
    return [href for (href,) in cur.fetchall()]


def bump(cur: Cursor, owner: str, name: str) -> int:
    """Moves the collection to its next revision and returns it (the row stays locked)."""
    cur.execute(
        "UPDATE caldav_collections SET revision = revision + 1, modified_at = now()"
        " WHERE id = caldav_collection(%s, %s) RETURNING revision",
        (owner, name),
    )
    row = cur.fetchone()
    if row is None:
        raise ValueError(f"no collection /{owner}/{name}/")
    return int(row[0])


def _log(
    cur: Cursor, owner: str, name: str, hrefs: list[str], revision: int, deleted: bool
) -> None:
    cur.execute(
        "INSERT INTO caldav_changes (collection_id, owner_id, href, revision, deleted)"
        " SELECT c.id, c.owner_id, h, %s, %s FROM caldav_collections c, unnest(%s::text[]) AS h"
        " WHERE c.id = caldav_collection(%s, %s)"
        " ON CONFLICT (collection_id, href)"
        " DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted",
        (revision, deleted, hrefs, owner, name),
    )


def put_items(
    cur: Cursor,
    owner: str,
    name: str,
    entries: Iterable[tuple[str, radicale_item.Item, str | None]],
    revision: int,
) -> None:
    """Inserts or replaces items and logs them at ``revision``.

    entries: (href, prepared item, source key or None).
    """
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
        )
        for href, it, key in entries
    ]
    if not rows:
        return
    cur.execute(
        "INSERT INTO caldav_items (collection_id, owner_id, href, uid, name, component, etag,"
        " body, during, source_key, instances)"
        " SELECT c.id, c.owner_id, r.href, r.uid, r.name, r.component, r.etag, r.body,"
        " tstzrange(to_timestamp(r.lo), to_timestamp(r.hi), '[]'), r.key,"
        " (SELECT range_agg(tstzrange(to_timestamp((i ->> 0)::float8),"
        "                             to_timestamp((i ->> 1)::float8), '[)'))"
        "  FROM jsonb_array_elements(r.inst) AS i)"
        " FROM caldav_collections c, jsonb_to_recordset(%s::jsonb) AS r (href text, uid text,"
        " name text, component text, etag text, body text, lo bigint, hi bigint, key text,"
        " inst jsonb)"
        " WHERE c.id = caldav_collection(%s, %s)"
        " ON CONFLICT (collection_id, href) DO UPDATE SET uid = excluded.uid,"
        " name = excluded.name, component = excluded.component, etag = excluded.etag,"
        " body = excluded.body, during = excluded.during, source_key = excluded.source_key,"
        " instances = excluded.instances,"
        " modified_at = now()",
        (json.dumps([dict(zip(_FIELDS, row, strict=True)) for row in rows]), owner, name),
    )
    _log(cur, owner, name, [row[0] for row in rows], revision, False)


_FIELDS = ("href", "uid", "name", "component", "etag", "body", "lo", "hi", "key", "inst")
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
        found.append((start.timestamp(), end.timestamp()))
        return len(found) > MAX_INSTANCES

    def on_infinity(start: datetime) -> bool:
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


def delete_items(cur: Cursor, owner: str, name: str, hrefs: list[str], revision: int) -> list[str]:
    """Deletes items, leaves tombstones at ``revision`` and returns the hrefs that existed."""
    cur.execute(
        "DELETE FROM caldav_items WHERE collection_id = caldav_collection(%s, %s)"
        " AND href = ANY(%s) RETURNING href",
        (owner, name, hrefs),
    )
    gone = [href for (href,) in cur.fetchall()]
    if gone:
        _log(cur, owner, name, gone, revision, True)
    return gone
