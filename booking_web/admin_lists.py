"""The admin's long lists (users, clients with their coach), a page at a time, searchable.

A service has a million clients: no page lists them all, and no page is found by counting rows
from the start. Each page is the ``PAGE_SIZE`` rows after (or before) the row the previous page
ended with, by (name, slug), which an index serves directly (``admin_lists.sql``). The links
carry that row's slug; a slug that names no one is refused with a 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from officehours import accounts, errors, inputs, sqlfiles
from officehours.db import Database

Q: sqlfiles.Queries = sqlfiles.load(__name__)

PAGE_SIZE = 50
MAX_SEARCH = 200
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}", re.ASCII)
BAD_CURSOR = "That page of the list is out of date or mistyped: start again from the first page."


@dataclass(frozen=True)
class Listing:
    """What a list page was asked for: a search text, and the row a page starts after or ends
    before (a slug; at most one of the two)."""

    q: str = ""
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True)
class Client:
    """A row of the assignments page: an active client and their current coach, if any."""

    slug: str
    name: str
    email: str
    time_zone: str
    coach_slug: str | None
    coach_name: str | None


@dataclass(frozen=True)
class Page:
    """One page of a list, and the slugs the previous and next links carry (None: no link)."""

    rows: list[Any]
    before: str | None
    after: str | None


def parse_listing(args: Mapping[str, str]) -> Listing:
    """The search and cursor of a list page's query string. Raises InvalidInput (400) for a
    search too long or a cursor that is not a slug, or both cursors at once."""
    q = " ".join(args.get("q", "").split())
    inputs.refuse_zero_bytes("q", q)
    if len(q) > MAX_SEARCH:
        raise errors.invalid_input("q", f"Search with at most {MAX_SEARCH} characters.")
    cursors = {}
    for field in ("after", "before"):
        value = args.get(field) or None
        if value is not None and not SLUG.fullmatch(value):
            raise errors.invalid_input(field, BAD_CURSOR)
        cursors[field] = value
    if cursors["after"] and cursors["before"]:
        raise errors.invalid_input("after", BAD_CURSOR)
    return Listing(q, cursors["after"], cursors["before"])


def like_pattern(q: str) -> str | None:
    """The LIKE pattern that finds ``q`` anywhere in a lower-cased name or email, its own
    wildcards escaped; None for an empty search (everyone)."""
    if not q:
        return None
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page(
    db: Database, actor: str, listing: Listing, query: str, params: dict[str, Any], size: int
) -> tuple[list[tuple[Any, ...]], str | None, str | None]:
    """Rows of one page by keyset, with the slugs of the row before its first and after its
    last where there are such rows. Raises InvalidInput for a cursor that names no one."""
    cursor = listing.after or listing.before
    backward = listing.before is not None
    with db.transaction(actor) as cur:
        key: tuple[Any, ...] | None = None
        if cursor is not None:
            cur.execute(Q.cursor_key, {"slug": cursor})
            key = cur.fetchone()
            if key is None:
                raise errors.invalid_input("before" if backward else "after", BAD_CURSOR)
        name, slug = key if key is not None else (None, None)
        args = {**params, "name": name, "slug": slug, "backward": backward, "limit": size + 1}
        cur.execute(query, args)
        rows = cur.fetchall()
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
        more_before, more_after = more, True
    else:
        more_before, more_after = listing.after is not None, more
    first = rows[0][0] if rows and more_before else None
    last = rows[-1][0] if rows and more_after else None
    return rows, first, last


def users(
    db: Database, actor: str, listing: Listing, role: str | None = None, size: int = PAGE_SIZE
) -> Page:
    """A page of the users the actor may see (of one role, or all), matching the search, by
    name. Raises InvalidInput for a cursor that names no one."""
    params = {"role": role, "pattern": like_pattern(listing.q)}
    rows, before, after = _page(db, actor, listing, Q.users_page, params, size)
    return Page([accounts.User(*row) for row in rows], before, after)


def clients(db: Database, actor: str, listing: Listing, size: int = PAGE_SIZE) -> Page:
    """A page of the active clients matching the search, by name, each with their current
    coach. Raises InvalidInput for a cursor that names no one."""
    params = {"pattern": like_pattern(listing.q)}
    rows, before, after = _page(db, actor, listing, Q.clients_page, params, size)
    return Page([Client(*row) for row in rows], before, after)


def coach_named(db: Database, actor: str, who: str) -> accounts.User | None:
    """The coach with this slug or email, or None (no such user, or not a coach)."""
    try:
        with db.transaction(actor) as cur:
            cur.execute(Q.coach_named, {"who": who})
            row = cur.fetchone()
    except errors.UnknownUser:
        return None
    return accounts.User(*row) if row else None
