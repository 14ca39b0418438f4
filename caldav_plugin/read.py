"""Reading collections: the root, a principal, or a calendar of a principal.

A ``Collection`` is made by ``Storage.discover`` inside the request's transaction and carries
what Radicale reads after it has unlocked the storage (properties, ctag, sync token, last
modification), so answering never needs the database again. Item reads go to SQL; writes are in
``caldav_plugin.write``, which completes the class.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, overload
from xml.etree import ElementTree as ET

from radicale import item as radicale_item
from radicale import storage
from radicale.item import filter as radicale_filter

from caldav_plugin import store
from officehours.db import Cursor

if TYPE_CHECKING:
    from caldav_plugin.storage import Storage

SYNC_PREFIX = "urn:x-officehours:sync:"


def http_date(moment: datetime) -> str:
    """An HTTP date (RFC 9110) for Last-Modified."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


class CollectionPartRead(storage.BaseCollection):
    """A collection at ``/<owner>/<name>/`` (or the root, or a principal when ``row`` is None)."""

    def __init__(
        self,
        storage_: Storage,
        path: str,
        row: store.CollectionRow | None = None,
        *,
        principal_props: Mapping[str, str] | None = None,
        modified_at: datetime | None = None,
    ) -> None:
        self._storage = storage_
        self._path = path
        self._row = row
        self._props: dict[str, str] = dict(row.props if row else principal_props or {})
        self._modified_at = row.modified_at if row else modified_at

    # What Radicale reads after unlocking: all from the row read at discover time.

    @property
    def path(self) -> str:
        return self._path

    @property
    def kind(self) -> str:
        """'stored', 'office-hours', 'appointments', or '' for the root and principals."""
        return self._row.kind if self._row else ""

    @property
    def blocking(self) -> bool:
        """Whether events in this calendar are busy time."""
        return bool(self._row and self._row.blocking)

    @property
    def _owner_and_name(self) -> tuple[str, str]:
        owner, _, name = self._path.partition("/")
        return owner, name

    @overload
    def get_meta(self, key: None = None) -> Mapping[str, str]: ...

    @overload
    def get_meta(self, key: str) -> str | None: ...

    def get_meta(self, key: str | None = None) -> Mapping[str, str] | str | None:
        return dict(self._props) if key is None else self._props.get(key)

    @property
    def etag(self) -> str:
        digest = hashlib.sha256()
        if self._row:
            digest.update(f"{self._row.sync_key}/{self._row.revision}/".encode())
        digest.update(json.dumps(self._props, sort_keys=True).encode())
        return f'"{digest.hexdigest()}"'

    @property
    def last_modified(self) -> str:
        moment = self._modified_at or datetime.fromtimestamp(0, UTC)
        return http_date(moment)

    @property
    def sync_token(self) -> str:
        """The current sync token: the collection's random key and its revision."""
        if self._row is None:
            return f"{SYNC_PREFIX}none:0"
        return f"{SYNC_PREFIX}{self._row.sync_key}:{self._row.revision}"

    def _parse_token(self, token: str) -> int:
        if self._row is None or not token.startswith(SYNC_PREFIX):
            raise ValueError(f"malformed sync token: {token!r}")
        key, _, revision = token[len(SYNC_PREFIX) :].rpartition(":")
        if key != self._row.sync_key or not revision.isdigit():
            raise ValueError(f"sync token of another collection: {token!r}")
        if int(revision) > self._row.revision:
            raise ValueError(f"sync token from the future: {token!r}")
        if int(revision) < self._row.sync_floor:
            # Deletions it would need were pruned (caldav_changes_kept): Radicale answers
            # DAV:valid-sync-token and the client syncs again from empty (RFC 6578 3.2).
            raise ValueError(f"sync token older than the changes kept: {token!r}")
        return int(revision)

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        """The current token and the hrefs changed since ``old_token`` (all when empty).

        Raises ValueError for a token this collection did not issue (Radicale answers
        valid-sync-token). The hrefs are read lazily: PROPFIND asks for the token only.
        """
        old = self._parse_token(old_token) if old_token else None
        token = self.sync_token
        if old is not None and self._row is not None and old == self._row.revision:
            return token, ()
        return token, self._lazy_hrefs(old)

    def _lazy_hrefs(self, old: int | None) -> Iterator[str]:
        owner, name = self._owner_and_name
        with self._cursor() as cur:
            hrefs = (
                store.all_hrefs(cur, owner, name)
                if old is None
                else store.changes_since(cur, owner, name, old)
            )
        yield from hrefs

    # Item reads.

    def _cursor(self) -> AbstractContextManager[Cursor]:
        return self._storage.cursor(self._owner_and_name[0])

    def _make_item(self, row: store.ItemRow) -> radicale_item.Item:
        return radicale_item.Item(
            collection=self,
            href=row.href,
            last_modified=http_date(row.modified_at),
            etag=row.etag,
            text=row.text,
            uid=row.uid,
            name=row.name,
            component_name=row.component,
            time_range=(row.start, row.end),
        )

    def _rows(self, hrefs: list[str] | None = None) -> list[store.ItemRow]:
        if self._row is None:
            return []
        owner, name = self._owner_and_name
        with self._cursor() as cur:
            return store.items(cur, owner, name, hrefs)

    def get_multi(self, hrefs: Iterable[str]) -> Iterable[tuple[str, radicale_item.Item | None]]:
        wanted = list(dict.fromkeys(hrefs))
        if not wanted:
            return []
        found = {row.href: self._make_item(row) for row in self._rows(wanted)}
        return [(href, found.get(href)) for href in wanted]

    def get_all(self) -> Iterable[radicale_item.Item]:
        return [self._make_item(row) for row in self._rows()]

    def get_filtered(
        self, filters: Iterable[ET.Element]
    ) -> Iterable[tuple[radicale_item.Item, bool]]:
        """Items that may match ``filters``; the time range and component are matched in SQL.

        As Radicale's own storage does, the flag says whether the simplified filter is the
        whole filter, so Radicale can skip parsing those items.
        """
        return self.filtered(filters)

    def filtered(
        self, filters: Iterable[ET.Element], *, unknown_busy_only: bool = False
    ) -> list[tuple[radicale_item.Item, bool]]:
        """``get_filtered``; with ``unknown_busy_only``, only the items whose free-busy time
        ``busy_periods`` cannot tell."""
        if not self.tag or self._row is None:
            return []
        tag, start, end, simple = radicale_filter.simplify_prefilters(filters, self.tag)
        owner, name = self._owner_and_name
        with self._cursor() as cur:
            rows = store.items_in_range(
                cur, owner, name, tag, start, end, unknown_busy_only=unknown_busy_only
            )
        return [
            (
                self._make_item(row),
                simple
                and ((tag is not None and row.exact) or start <= row.start or row.end <= end),
            )
            for row in rows
        ]

    def listing(self) -> list[store.ListedItem]:
        """Every item as a depth-1 PROPFIND lists it, without reading its text."""
        if self._row is None:
            return []
        owner, name = self._owner_and_name
        with self._cursor() as cur:
            return store.listing(cur, owner, name)

    def busy_periods(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
        """The free-busy time within (start, end) of the events whose instances and free-busy
        type are stored, merged per FBTYPE; the others are in ``filtered(...,
        unknown_busy_only=True)``."""
        if self._row is None:
            return []
        owner, name = self._owner_and_name
        with self._cursor() as cur:
            return store.busy_periods(cur, owner, name, start.timestamp(), end.timestamp())

    def has_uid(self, uid: str) -> bool:
        if self._row is None:
            return False
        owner, name = self._owner_and_name
        with self._cursor() as cur:
            return store.has_uid(cur, owner, name, uid)
