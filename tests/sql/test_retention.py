"""Retention: prune() deletes what the rules let go, and nothing a rule still promises."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import pytest

from officehours import accounts, booking, errors
from officehours.db import Database, one
from tests.lib.support import NOW, World

LA = ZoneInfo("America/Los_Angeles")
# The Tuesday after NOW (a Monday), 09:00 in Los Angeles: inside x's office hours.
TUESDAY_9 = datetime.combine(NOW.date() + timedelta(days=1), time(9), LA)


def prune(db: Database, now: datetime, batch: int = 10000) -> tuple[int, int]:
    with db.transaction(now=now) as cur:
        cur.execute("SELECT mail, calls FROM prune(%s)", (batch,))
        mail, calls = one(cur)
        return int(mail), int(calls)


def counts(db: Database) -> dict[str, int]:
    with db.transaction() as cur:
        cur.execute("""
            SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM appointment_history),
                   (SELECT count(*) FROM mail_outbox),
                   (SELECT count(*) FROM mail_outbox WHERE state = 'pending')""")
        calls, history, mail, pending = one(cur)
    return {"calls": calls, "history": history, "mail": mail, "pending": pending}


def send_all(db: Database) -> None:
    with db.transaction(now=NOW) as cur:
        cur.execute(
            "UPDATE mail_outbox SET state = 'sent', finished_at = clock() WHERE due_at <= clock()"
        )


def test_finished_mail_goes_after_mail_kept_and_pending_mail_never(world: World) -> None:
    booking.book(world.db, world.a, world.a, TUESDAY_9, now=NOW)
    send_all(world.db)
    before = counts(world.db)
    assert before["mail"] == 4 and before["pending"] == 2  # booking mail sent, reminders due later
    assert prune(world.db, NOW + timedelta(days=89)) == (0, 0)
    assert prune(world.db, NOW + timedelta(days=91)) == (2, 0)
    after = counts(world.db)
    assert after == {**before, "mail": 2}


def test_calls_go_with_their_history_and_mail_only_after_calls_kept_and_history_shown(
    world: World,
) -> None:
    accounts.set_rule(world.db, None, "calls_kept", "30 days")
    call = booking.book(world.db, world.a, world.a, TUESDAY_9, now=NOW)
    booking.book(world.db, world.b, world.b, TUESDAY_9 + timedelta(days=63), now=NOW)
    ended = call.end
    # history_shown (180 days) is longer than calls_kept: it wins.
    assert prune(world.db, ended + timedelta(days=179))[1] == 0
    mail, calls = prune(world.db, ended + timedelta(days=181))
    assert calls == 1 and mail == 0
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM appointments WHERE token = %s", (call.token,))
        assert one(cur)[0] == 0
        cur.execute(
            "SELECT count(*) FROM appointment_history h"
            " LEFT JOIN appointments a ON a.id = h.appointment_id WHERE a.id IS NULL"
        )
        assert one(cur)[0] == 0
    assert counts(world.db)["calls"] == 1


def test_prune_works_in_batches(world: World) -> None:
    accounts.set_rule(world.db, None, "calls_kept", "30 days")
    accounts.set_rule(world.db, None, "history_shown", "0")
    for client, day in ((world.a, 0), (world.a, 1), (world.b, 2)):
        booking.book(world.db, client, client, TUESDAY_9 + timedelta(days=day), now=NOW)
    later = NOW + timedelta(days=40)
    assert [prune(world.db, later, batch=2)[1] for _ in range(3)] == [2, 1, 0]


def test_only_prune_deletes_calls(world: World) -> None:
    booking.book(world.db, world.a, world.a, TUESDAY_9, now=NOW)
    with pytest.raises(errors.AppointmentImmutable), world.db.transaction() as cur:
        cur.execute("SELECT set_config('officehours.pruning', 'off', true)")
        cur.execute("DELETE FROM appointments")
    with pytest.raises(psycopg2.Error), world.db.transaction(world.admin) as cur:
        cur.execute("SELECT * FROM prune()")


def test_retention_rules_are_global_and_bounded(world: World) -> None:
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, "mail_kept", "10 days", coach=world.x)
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, "calls_kept", "1 day")


def test_the_command_prunes_every_batch(world: World) -> None:
    from officehours import retention

    booking.book(world.db, world.a, world.a, TUESDAY_9, now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "UPDATE mail_outbox SET state = 'sent', finished_at = now() - INTERVAL '100 days'"
        )
    assert retention.prune(world.db, batch=1) == retention.Pruned(mail=4, calls=0)
    assert counts(world.db)["mail"] == 0


def test_serve_prunes_in_the_background(world: World) -> None:
    from officehours import retention

    booking.book(world.db, world.a, world.a, TUESDAY_9, now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "UPDATE mail_outbox SET state = 'sent', finished_at = now() - INTERVAL '100 days'"
        )
    service = retention.make_service(None, world.db)
    service.start()
    try:
        assert service.pruner.wait(1, timeout=30)
        assert service.pruner.last == retention.Pruned(mail=4, calls=0)
        assert service.pruner.alive and "Retention" in service.describe()
    finally:
        service.stop()
    assert not service.pruner.alive


def _tombstones(db: Database, owner: str, at: list[tuple[int, datetime]]) -> None:
    """A stored calendar of ``owner`` at revision 10, with a tombstone per (revision, time)
    and one live item's change row."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO caldav_collections (owner_id, name, props, revision)"
            " SELECT id, 'cal', '{}', 10 FROM users WHERE slug = %s",
            (owner,),
        )
        rows = [(f"gone-{n}.ics", rev, True, moment) for n, (rev, moment) in enumerate(at)]
        rows.append(("live.ics", 1, False, NOW - timedelta(days=3000)))
        for href, revision, deleted, moment in rows:
            cur.execute(
                "INSERT INTO caldav_changes (collection_id, owner_id, href, revision, deleted,"
                " changed_at) SELECT c.id, c.owner_id, %s, %s, %s, %s FROM caldav_collections c"
                " WHERE c.id = caldav_collection(%s, 'cal')",
                (href, revision, deleted, moment, owner),
            )


def _caldav_state(db: Database, owner: str) -> tuple[list[str], int]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT href FROM caldav_changes WHERE collection_id = caldav_collection(%s, 'cal')"
            " ORDER BY href",
            (owner,),
        )
        hrefs = [href for (href,) in cur.fetchall()]
        cur.execute("SELECT sync_floor FROM caldav_collections WHERE name = 'cal'")
        return hrefs, int(one(cur)[0])


def _prune_all(db: Database, now: datetime, batch: int = 10000) -> tuple[int, int]:
    with db.transaction(now=now) as cur:
        cur.execute("SELECT changes, sign_ins FROM prune(%s)", (batch,))
        changes, sign_ins = one(cur)
        return int(changes), int(sign_ins)


def test_caldav_tombstones_go_after_caldav_changes_kept_and_raise_the_sync_floor(
    world: World,
) -> None:
    old = NOW - timedelta(days=200)
    _tombstones(world.db, world.x, [(3, old), (5, old), (4, old), (9, NOW - timedelta(days=10))])
    assert _caldav_state(world.db, world.x) == (
        ["gone-0.ics", "gone-1.ics", "gone-2.ics", "gone-3.ics", "live.ics"],
        0,
    )
    # 180 days by default: the one of 10 days ago and the live item's row stay.
    assert [_prune_all(world.db, NOW, batch=2)[0] for _ in range(3)] == [2, 1, 0]
    assert _caldav_state(world.db, world.x) == (["gone-3.ics", "live.ics"], 5)
    accounts.set_rule(world.db, None, "caldav_changes_kept", "5 days")
    assert _prune_all(world.db, NOW)[0] == 1
    assert _caldav_state(world.db, world.x) == (["live.ics"], 9)


def test_sign_in_counters_go_once_their_scope_forgets_them(world: World) -> None:
    with world.db.transaction() as cur:
        for key, age in (("old", timedelta(hours=2)), ("new", timedelta(minutes=30))):
            cur.execute(
                "INSERT INTO sign_in_counters (scope, key, failures, last_failure_at)"
                " VALUES ('app-password', %s, 3, %s)",
                (key, NOW - age),
            )
    assert _prune_all(world.db, NOW) == (0, 1)
    with world.db.transaction() as cur:
        cur.execute("SELECT key FROM sign_in_counters")
        assert cur.fetchall() == [("new",)]
    assert _prune_all(world.db, NOW + timedelta(hours=1)) == (0, 1)


def test_caldav_changes_kept_is_global_and_bounded(world: World) -> None:
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, "caldav_changes_kept", "10 days", coach=world.x)
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, "caldav_changes_kept", "1 hour")
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, "caldav_changes_kept", "4000 days")


def test_the_command_counts_tombstones_and_sign_in_counters(world: World) -> None:
    from officehours import retention

    _tombstones(world.db, world.x, [(2, datetime.now(NOW.tzinfo) - timedelta(days=365))])
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO sign_in_counters (scope, key, failures, last_failure_at)"
            " VALUES ('password-remote', '192.0.2.1', 1, now() - INTERVAL '1 day')"
        )
    assert retention.prune(world.db, batch=1) == retention.Pruned(changes=1, sign_ins=1)
