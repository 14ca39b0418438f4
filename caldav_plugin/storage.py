"""A Radicale storage over PostgreSQL (``[storage] type = caldav_plugin.storage``).

One request is one transaction: ``acquire_lock`` opens it as the signed-in user (row-level
security applies) and takes a per-user advisory lock for writes; ``caldav_plugin.app`` commits
it once Radicale's answer is a success and rolls it back otherwise (under Radicale's own
application it commits when Radicale leaves the lock). Several processes and hosts can serve
the same database. Paths are
``/<user slug>/<collection>/<item>``; a principal sees only its own collections. The queries
run here are in ``storage.sql`` beside this module.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from radicale import config, pathutils, storage, types
from radicale import item as radicale_item

from caldav_plugin import busy, generated, outcome, session, store
from caldav_plugin.collection import Collection
from caldav_plugin.options import PLUGIN_CONFIG_SCHEMA, Options
from caldav_plugin.outcome import Refused
from caldav_plugin.write import ReadOnlyCollection
from officehours import sqlfiles
from officehours.db import Cursor

Q = sqlfiles.load(__name__)

__all__ = ["PLUGIN_CONFIG_SCHEMA", "Collection", "Storage"]

log = logging.getLogger(__name__)

# Characters XML 1.0 cannot carry: a display name stored with one would make every PROPFIND
# of the principal unreadable to a calendar app.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Storage(storage.BaseStorage):
    """Collections, properties and items in PostgreSQL; see the module docstring."""

    _is_collision_free = True
    _supports_unicode = True
    _supports_trailing_whitespace = True
    _supports_problematic_chars = True

    def __init__(self, configuration: config.Configuration) -> None:
        super().__init__(configuration)
        self.options = Options.from_configuration(configuration)
        self.db = self.options.database()

    # The request's transaction.

    @types.contextmanager
    def acquire_lock(self, mode: str, user: str = "", *args: Any, **kwargs: Any) -> Iterator[None]:
        """Opens the request's transaction (or joins the one already open in this thread).

        mode: "r" or "w"; a write takes the user's advisory lock before anything is read.
        Under ``caldav_plugin.app.Application`` the transaction outlives the lock: the
        application commits it once Radicale's answer is a success and rolls it back
        otherwise, so a refused request never changes a row; a later lock of the same
        request joins it, but a write after reads gets a transaction of its own. Elsewhere
        (Radicale's own application) it commits when Radicale leaves the lock.
        """
        existing = session.current()
        request = outcome.current()
        held = request.held if request is not None else None
        if existing is not None and held is not None and existing.depth == 0:
            if mode == "w" and not existing.writable:
                # A read held for the answer is ended before a write: the write takes the
                # owner's lock first, in a transaction of its own, as every writer does.
                held.close()
                existing = None
        if existing is not None:
            with _open(existing):
                if mode == "w":
                    existing.writable = True
                    if existing.user:
                        session.owner_lock(existing, existing.user)
                yield
            return
        # An empty actor sees nothing: anonymous requests never run as the owner.
        transaction = _noting(self.db.transaction(user or "", now=self.options.clock))
        if held is not None:
            cur = held.enter_context(transaction)
            current = held.enter_context(session.bound(session.Session(cur, user)))
            with _open(current):
                self._begin(current, mode)
                yield
            return
        with transaction as cur, session.bound(session.Session(cur, user)) as current:
            with _open(current):
                self._begin(current, mode)
                yield

    def _begin(self, current: session.Session, mode: str) -> None:
        """What every request does first: a write takes the owner's lock; a signed-in user's
        standard calendars are made if missing and their due busy time expanded again."""
        user = current.user
        current.writable = mode == "w"
        if user and mode == "w":
            session.owner_lock(current, user)
        if user:
            current.cur.execute(Q.ensure_home)
            self._refresh_busy(current.cur, user)

    def _refresh_busy(self, cur: Cursor, user: str) -> None:
        """Expands again the user's recurring busy time that the booking horizon reached. An
        event that cannot be expanded now (a zone Python does not know, more instances than
        the limit) keeps its busy time as it was, and is logged: the request goes on, and
        ``officehours caldav refresh-busy`` reports it too."""
        try:
            with session.savepoint(cur, "caldav_refresh"):
                busy.refresh_due(cur, user, self.options.busy_instance_limit)
        except ValueError as exc:
            if isinstance(exc, Refused):
                outcome.withdraw(exc)
            log.error("recurring busy time of %s not extended: %s", user, exc)

    def cursor(self, owner: str) -> AbstractContextManager[Cursor]:
        """The request's cursor, or (when Radicale reads after unlocking) a short read-only
        transaction as ``owner``."""
        current = session.current()
        if current is not None:
            return _as_is(current.cur)
        return _noting(self.db.transaction(owner))

    # Discovery.

    def discover(
        self,
        path: str,
        depth: str = "0",
        child_context_manager: Callable[[str, str | None], AbstractContextManager[None]]
        | None = None,
        user_groups: set[str] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Iterable[types.CollectionOrItem]:
        """The collection or item at ``path`` and, with depth "1", its children."""
        current = session.current()
        if current is None:
            raise RuntimeError("discover() runs only inside acquire_lock()")
        cur = current.cur
        parts = [part for part in pathutils.strip_path(path).split("/") if part]
        if len(parts) > 3:
            return []
        if not parts:
            found: list[types.CollectionOrItem] = [Collection(self, "")]
            if depth != "0" and current.user:
                principal = self._principal(cur, current.user)
                found.extend([principal] if principal else [])
            return found
        owner = parts[0]
        if owner != current.user:
            return []
        if len(parts) == 1:
            principal = self._principal(cur, owner)
            if principal is None:
                return []
            found = [principal]
            if depth != "0":
                found.extend(self._collection(cur, each) for each in store.collections(cur, owner))
            return found
        found_row = store.collection(cur, owner, parts[1])
        if found_row is None:
            return []
        collection = self._collection(cur, found_row)
        if len(parts) == 3:
            return [item for _, item in collection.get_multi([parts[2]]) if item is not None]
        if depth == "0":
            return [collection]
        return [collection, *collection.get_all()]

    def _principal(self, cur: Cursor, slug: str) -> Collection | None:
        """The principal /<slug>/ when it is the signed-in user, else None."""
        cur.execute(Q.principal, (slug,))
        row = cur.fetchone()
        if row is None:
            return None
        name = _NOT_XML.sub("\ufffd", row[0])
        return Collection(self, slug, principal_props={"D:displayname": name}, modified_at=row[1])

    def _collection(self, cur: Cursor, row: store.CollectionRow) -> Collection:
        """The collection of ``row``, a stale generated one rebuilt first.

        A rebuild that fails on a stored value (one the database or ``ics`` refuses) is
        undone and logged, and the collection is served as it was last built: one bad row
        never takes a calendar, or the principal that lists it, offline.
        """
        if row.stale and row.kind in generated.GENERATED:
            try:
                with session.savepoint(cur, "caldav_refresh"):
                    fresh = generated.refresh(cur, row.owner, row.name, self.options.uid_domain)
            except ValueError as exc:
                if isinstance(exc, Refused):
                    outcome.withdraw(exc)
                log.error("/%s/%s/ not rebuilt, served as last built: %s", row.owner, row.name, exc)
            else:
                if fresh is not None:
                    row = fresh
        return Collection(self, f"{row.owner}/{row.name}", row)

    # Writes that span collections.

    def create_collection(
        self,
        href: str,
        items: Iterable[radicale_item.Item] | None = None,
        props: Mapping[str, str] | None = None,
    ) -> tuple[Collection, dict[str, radicale_item.Item], list[str]]:
        """Creates /<owner>/<name>/, or replaces its properties and items (PUT of a whole
        calendar). The principal itself always exists. Raises ValueError when refused."""
        current = session.current()
        if current is None or not current.writable:
            raise RuntimeError("create_collection() runs only inside acquire_lock('w')")
        parts = [part for part in pathutils.strip_path(href).split("/") if part]
        if not parts or parts[0] != current.user or len(parts) > 2:
            raise Refused("Calendars are made only at /<your name>/<calendar>/.", 403)
        owner = parts[0]
        cur = current.cur
        if len(parts) == 1:
            principal = self._principal(cur, owner)
            if principal is None:
                raise Refused(f"There is no principal /{owner}/.", 403)
            return principal, {}, []
        name = parts[1]
        session.owner_lock(current, owner)
        with session.savepoint(cur, "caldav_create"):
            return self._create(cur, owner, name, items, props)

    def _create(
        self,
        cur: Cursor,
        owner: str,
        name: str,
        items: Iterable[radicale_item.Item] | None,
        props: Mapping[str, str] | None,
    ) -> tuple[Collection, dict[str, radicale_item.Item], list[str]]:
        """``create_collection`` of /<owner>/<name>/ inside its savepoint: returns the
        collection, the items replaced (by href) and the hrefs of the new ones."""
        existing = store.collection(cur, owner, name, for_update=True)
        if existing is not None and existing.kind != "stored":
            raise ReadOnlyCollection(f"{owner}/{name}")
        if (props or {}).get("tag") != "VCALENDAR":
            # An empty PUT on a calendar reads as an empty address book to Radicale: it would
            # wipe the calendar and its busy time.
            raise Refused(
                "officehours keeps calendars only: make one with MKCALENDAR, or PUT a "
                "VCALENDAR with at least one event.",
                403,
            )
        if existing is None:
            cur.execute(Q.insert_collection, (name, store_json(props or {}), owner))
        elif props is not None:
            # The PUT's properties (name, description) replace those; the others, such as the
            # blocking flag, which is a booking rule, stay.
            merged = {**existing.props, **props}
            cur.execute(Q.replace_collection_props, (store_json(merged), owner, name))
        replaced: dict[str, radicale_item.Item] = {}
        new_hrefs: list[str] = []
        row = store.collection(cur, owner, name)
        assert row is not None
        collection = Collection(self, f"{owner}/{name}", row)
        if items is not None:
            suffix = ".vcf" if (props or {}).get("tag") == "VADDRESSBOOK" else ".ics"
            old = {item.href: item for item in collection.get_all() if item.href}
            revision = store.bump(cur, owner, name)
            store.delete_items(cur, owner, name, list(old), revision)
            entries = [(_href_for(item.uid, suffix), item, None) for item in items]
            store.put_items(cur, owner, name, entries, revision)
            for href, _, _ in entries:
                if href in old:
                    replaced[href] = old[href]
                else:
                    new_hrefs.append(href)
            if row.blocking:
                busy.replace(
                    cur,
                    owner,
                    [(busy.source_ref(owner, name, h), None) for h in old]
                    + [(busy.source_ref(owner, name, h), i.serialize()) for h, i, _ in entries],
                    self.options.busy_instance_limit,
                )
            row = store.collection(cur, owner, name)
            assert row is not None
            collection = Collection(self, f"{owner}/{name}", row)
        return collection, replaced, new_hrefs

    def move(
        self, item: radicale_item.Item, to_collection: storage.BaseCollection, to_href: str
    ) -> None:
        """Moves an item between (or within) the user's stored collections."""
        source = item.collection
        if not isinstance(source, Collection) or not isinstance(to_collection, Collection):
            raise ValueError("items move only between collections of this storage")
        if not item.href:
            raise ValueError("item without href")
        current = session.current()
        if current is None or not current.writable:
            raise RuntimeError("move() runs only inside acquire_lock('w')")
        cur = current.cur
        with session.savepoint(cur, "caldav_move"):
            source.delete(item.href)
            to_collection.upload(to_href, item)

    def verify(self) -> bool:
        """Checks that the database answers and the CalDAV tables are there."""
        with self.db.transaction() as cur:
            cur.execute(Q.count_collections)
            log.info("%s collections", (cur.fetchone() or ("no",))[0])
        return True


def store_json(props: Mapping[str, str]) -> str:
    """Properties as the JSON object kept in ``caldav_collections.props``."""
    return json.dumps(dict(props), sort_keys=True)


def _href_for(uid: str, suffix: str) -> str:
    """A resource name for an item of a whole-collection PUT: its UID when that is a safe
    path component, else the SHA-256 of the UID."""
    name = uid if uid.lower().endswith(suffix) else uid + suffix
    if uid and pathutils.is_safe_filesystem_path_component(name) and len(name) <= 255:
        return name
    return radicale_item.get_etag(uid).strip('"') + suffix


@contextmanager
def _open(current: session.Session) -> Iterator[None]:
    """Counts a lock of Radicale's as open on the session while the block runs (locks taken
    inside it join the transaction), and notes the failures that leave it (see
    ``_noting``)."""
    current.depth += 1
    try:
        yield
    except Exception as exc:
        outcome.note(exc)
        raise
    finally:
        current.depth -= 1


@contextmanager
def _noting(transaction: AbstractContextManager[Cursor]) -> Iterator[Cursor]:
    """A transaction whose failures are noted in the request's outcome as they leave it
    (so an outage is answered 503, see ``caldav_plugin.app``)."""
    try:
        with transaction as cur:
            yield cur
    except Exception as exc:
        outcome.note(exc)
        raise


@contextmanager
def _as_is(cur: Cursor) -> Iterator[Cursor]:
    """The request's own cursor as a context manager that leaves its transaction open."""
    yield cur
