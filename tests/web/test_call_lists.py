"""The call lists say whose rows they want, so an index serves them (row-level security still
decides): each role's query finds its rows by client_id or coach_id, never by a scan of every
appointment, and returns what it did before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from psycopg2 import sql

from booking_web import queries
from officehours import booking
from officehours.db import one
from tests.lib.support import NOW, World, moved

TUESDAY = moved(datetime.fromisoformat("2027-01-05T17:00:00+00:00"))  # 09:00 in Los Angeles


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of a JSON plan, InitPlans and SubPlans included."""
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def appointment_scans(
    world: World, actor: str, query: str | sql.Composed, params: Any
) -> list[dict[str, Any]]:
    """The plan nodes that read the appointments table for the list, as ``actor`` sees it,
    with sequential scans priced out: a query that says whose rows it wants gets an index
    condition on them; one that leaves it to row-level security cannot have one."""
    with world.db.transaction(actor, now=NOW) as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        text = sql.SQL(query) if isinstance(query, str) else query
        cur.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + text, params)
        plan = one(cur)[0][0]["Plan"]
    # The outermost scan of appointments is the list's own; the history policy's EXISTS
    # looks one up by id.
    return [
        n for n in nodes(plan) if n.get("Relation Name") == "appointments" and n.get("Alias") == "a"
    ]


HISTORY_PAGE = {"before": queries.FIRST_PAGE[0], "before_token": "", "limit": 10}
LISTS = [
    (role, name, params)
    for role in ("client", "coach")
    for name, params in (("upcoming", (10,)), ("past", (10,)), ("history", HISTORY_PAGE))
]
# Each list's template, as filled for each role.
FILLED: dict[str, dict[str, Any]] = {
    "upcoming": queries._UPCOMING,
    "past": queries._PAST,
    "history": queries._HISTORY,
}


@pytest.mark.parametrize(("role", "name", "params"), LISTS)
def test_each_list_finds_its_rows_through_an_index(
    world: World, role: str, name: str, params: Any
) -> None:
    actor = world.a if role == "client" else world.x
    column = "client_id" if role == "client" else "coach_id"
    scans = appointment_scans(world, actor, FILLED[name][role], params)
    assert scans, name
    for scan in scans:
        condition = scan.get("Index Cond", "") + scan.get("Recheck Cond", "")
        assert column in condition, (name, scan["Node Type"], condition)


def test_the_lists_show_the_same_calls_to_the_same_people(world: World) -> None:
    mine = booking.book(world.db, world.a, world.a, TUESDAY, now=NOW)
    theirs = booking.book(world.db, world.b, world.b, TUESDAY + timedelta(hours=1), now=NOW)
    other = booking.book(world.db, world.c, world.c, TUESDAY + timedelta(hours=-7), now=NOW)
    later = NOW + timedelta(days=30)

    def tokens(calls: list[queries.Call]) -> list[str]:
        return [c.token for c in calls]

    assert tokens(queries.upcoming(world.db, world.a, NOW)) == [mine.token]
    assert tokens(queries.upcoming(world.db, world.a, NOW, role="client")) == [mine.token]
    assert tokens(queries.upcoming(world.db, world.x, NOW)) == [mine.token, theirs.token]
    assert tokens(queries.upcoming(world.db, world.y, NOW, role="coach")) == [other.token]
    assert tokens(queries.upcoming(world.db, world.admin, NOW)) == sorted(
        [mine.token, theirs.token, other.token],
        key=lambda t: {mine.token: 1, theirs.token: 2, other.token: 0}[t],
    )
    # A role that is not the actor's finds nothing: row-level security still decides.
    assert queries.upcoming(world.db, world.a, NOW, role="coach") == []
    assert tokens(queries.past(world.db, world.a, later)) == [mine.token]
    assert tokens(queries.past(world.db, world.x, later)) == [theirs.token, mine.token]
    assert tokens(queries.past(world.db, world.admin, later)) == [
        theirs.token,
        mine.token,
        other.token,
    ]
