"""Writing collections: PUT of an item, DELETE, PROPPATCH. Each runs in the request's
transaction, inside a savepoint, after the owner's advisory lock; an item in a blocking calendar
updates the coach's busy time in the same transaction. The queries run here are in ``write.sql``
beside this module."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from radicale import item as radicale_item
from radicale import storage

from caldav_plugin import busy, session, store
from caldav_plugin.outcome import Refused
from caldav_plugin.read import CollectionPartRead
from officehours import sqlfiles
from officehours.db import Cursor

Q = sqlfiles.load(__name__)


class ReadOnlyCollection(Refused):
    """A write to a generated collection: 403."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"/{path}/ is made by officehours from your bookings and office hours, and is "
            "read-only; add your own events to a calendar of your own, such as busy.",
            403,
        )


class CollectionPartWrite(CollectionPartRead):
    """The writing verbs of a collection."""

    def _writer(self) -> Cursor:
        """The request's cursor after taking the owner's write lock.

        Raises RuntimeError outside a write request, ReadOnlyCollection for generated ones.
        """
        current = session.current()
        if current is None or not current.writable:
            raise RuntimeError("collections are written only inside acquire_lock('w')")
        if self._row is None or self.kind != "stored":
            raise ReadOnlyCollection(self.path)
        session.owner_lock(current, self._owner_and_name[0])
        return current.cur

    def _busy(self, cur: Cursor, hrefs_and_texts: list[tuple[str, str | None]]) -> None:
        """Replaces the busy time of some items when the collection blocks the coach's time
        (text None: the item is gone)."""
        if self.blocking:
            owner, name = self._owner_and_name
            busy.replace(
                cur,
                owner,
                ((busy.source_ref(owner, name, href), text) for href, text in hrefs_and_texts),
                self._storage.options.busy_instance_limit,
            )

    def upload(
        self, href: str, item: radicale_item.Item
    ) -> tuple[radicale_item.Item, radicale_item.Item | None]:
        """Stores ``item`` at ``href``; returns the stored item and the one it replaced."""
        cur = self._writer()
        owner, name = self._owner_and_name
        with session.savepoint(cur, "caldav_upload"):
            old = store.items(cur, owner, name, [href])
            revision = store.bump(cur, owner, name)
            store.put_items(cur, owner, name, [(href, item, None)], revision)
            self._busy(cur, [(href, item.serialize())])
            (row,) = store.items(cur, owner, name, [href])
        return self._make_item(row), (self._make_item(old[0]) if old else None)

    def delete(self, href: str | None = None) -> None:
        """Deletes the item ``href``, or the whole collection when ``href`` is None.

        Raises ComponentNotFoundError when the item does not exist.
        """
        cur = self._writer()
        owner, name = self._owner_and_name
        if href is None:
            with session.savepoint(cur, "caldav_delete"):
                if self.blocking:
                    busy.replace_collection(
                        cur, owner, name, False, self._storage.options.busy_instance_limit
                    )
                cur.execute(Q.delete_collection, (owner, name))
            return
        with session.savepoint(cur, "caldav_delete"):
            revision = store.bump(cur, owner, name)
            if not store.delete_items(cur, owner, name, [href], revision):
                raise storage.ComponentNotFoundError(href)
            self._busy(cur, [(href, None)])

    def set_meta(self, props: Mapping[str, str]) -> None:
        """Replaces the collection's properties; a change of the blocking flag adds or removes
        the busy time of every event in it.

        Raises Refused (403) for a change of the resource type (a calendar made an address
        book, or no calendar at all).
        """
        cur = self._writer()
        owner, name = self._owner_and_name
        if props.get("tag") != self.get_meta("tag"):
            raise Refused("A calendar stays a calendar: its resource type cannot change.", 403)
        with session.savepoint(cur, "caldav_set_meta"):
            cur.execute(Q.set_collection_props, (json.dumps(dict(props)), owner, name))
            updated = cur.fetchone()
            blocking = bool(updated and updated[0])
            if blocking != self.blocking:
                busy.replace_collection(
                    cur, owner, name, blocking, self._storage.options.busy_instance_limit
                )
        self._props = dict(props)
        assert self._row is not None
        self._row = dataclasses.replace(self._row, props=dict(props), blocking=blocking)
