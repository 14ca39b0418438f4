"""Sync tokens after pruning: a client whose token needs a tombstone that prune() let go
(caldav_changes_kept) gets RFC 6578's DAV:valid-sync-token refusal (403 with
``<D:error><D:valid-sync-token/></D:error>``) and syncs again from empty; a token that needs
nothing pruned keeps working."""

from __future__ import annotations

from datetime import datetime, timedelta

import defusedxml.ElementTree as ET
from caldav.davclient import DAVClient
from caldav.elements import dav as dav_elements
from caldav.lib import error

from officehours.db import Database, one
from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login
from tests.lib.support import NOW

KEPT = timedelta(days=180)


def prune(db: Database, now: datetime) -> int:
    """Runs prune() by the rules' clock ``now``; the tombstones it let go."""
    with db.transaction(now=now) as cur:
        cur.execute("SELECT changes FROM prune()")
        return int(one(cur)[0])


def filled(dav: Dav) -> tuple[str, str, str]:
    """Coach X's busy calendar with b.ics, and a.ics deleted after ``old`` was taken: the
    calendar, ``old`` and the token after the deletion."""
    cal = f"/{dav.login.slug}/busy/"
    for name in ("a", "b"):
        text = h.event(name, "20270105T170000Z", "20270105T180000Z")
        assert dav("PUT", f"{cal}{name}.ics", text).status_code == 201
    old = h.token(dav("REPORT", cal, h.sync_collection(), Depth="1").data)
    assert dav("DELETE", f"{cal}a.ics").status_code == 200
    new = h.token(dav("REPORT", cal, h.sync_collection(), Depth="1").data)
    return cal, old, new


def test_a_token_older_than_the_pruned_tombstones_is_refused_with_valid_sync_token(
    dav: Dav, db: Database
) -> None:
    cal, old, new = filled(dav)
    assert prune(db, NOW + KEPT - timedelta(days=1)) == 0
    kept = dav("REPORT", cal, h.sync_collection(old), Depth="1")
    assert kept.status_code == 207 and h.gone(kept.data) == [f"{cal}a.ics"]

    assert prune(db, NOW + KEPT + timedelta(days=1)) == 1
    refused = dav("REPORT", cal, h.sync_collection(old), Depth="1")
    assert refused.status_code == 403
    root = ET.fromstring(refused.data)
    assert root.tag == "{DAV:}error" and root.find("D:valid-sync-token", h.NS) is not None
    # Nothing after the deletion was pruned: that token goes on; and a full sync starts over.
    assert dav("REPORT", cal, h.sync_collection(new), Depth="1").status_code == 207
    again = dav("REPORT", cal, h.sync_collection(), Depth="1")
    assert h.hrefs(again.data) == [f"{cal}b.ics"] and h.token(again.data) == new


def test_live_items_keep_their_change_rows(dav: Dav, db: Database) -> None:
    cal, _, _ = filled(dav)
    prune(db, NOW + 10 * KEPT)
    with db.transaction() as cur:
        cur.execute(
            "SELECT href, deleted FROM caldav_changes"
            " WHERE collection_id = caldav_collection(%s, 'busy')",
            (dav.login.slug,),
        )
        assert cur.fetchall() == [("b.ics", False)]
        cur.execute("SELECT sync_floor, revision FROM caldav_collections WHERE name = 'busy'")
        floor, revision = one(cur)
    assert 0 < floor <= revision
    assert h.token(dav("REPORT", cal, h.sync_collection(), Depth="1").data).endswith(f":{revision}")


def test_the_caldav_library_sees_the_expired_token_and_resyncs(
    caldav_url: str, coach: Login, dav: Dav, db: Database
) -> None:
    cal, old, _ = filled(dav)
    prune(db, NOW + KEPT + timedelta(days=1))
    with DAVClient(url=caldav_url, username=coach.email, password=coach.password) as client:
        calendar = client.calendar(url=f"{caldav_url}{cal}")
        try:
            calendar.objects_by_sync_token(sync_token=old, disable_fallback=True)
        except error.DAVError as exc:
            assert dav_elements.ValidSyncToken.tag in exc.preconditions
        else:
            raise AssertionError("the expired token was taken")
        # Without disable_fallback the library does what a calendar app does: starts over.
        fresh = calendar.objects_by_sync_token(sync_token=old)
        assert [str(o.url).rsplit("/", 1)[-1] for o in fresh] == ["b.ics"]
