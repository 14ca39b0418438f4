"""Retention: prune() deletes what the rules let go, and nothing a rule still promises."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import pytest

from officehours import accounts, booking, errors, password_links
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


@pytest.mark.parametrize("rule", ["caldav_changes_kept", "account_links_kept"])
def test_retention_rule_is_global_and_from_a_day_to_3660_days(world: World, rule: str) -> None:
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, rule, "10 days", coach=world.x)
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, rule, "1 hour")
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, rule, "4000 days")
    accounts.set_rule(world.db, None, rule, "3660 days")


def test_the_command_counts_tombstones_and_sign_in_counters(world: World) -> None:
    from officehours import retention

    _tombstones(world.db, world.x, [(2, datetime.now(NOW.tzinfo) - timedelta(days=365))])
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO sign_in_counters (scope, key, failures, last_failure_at)"
            " VALUES ('password-remote', '192.0.2.1', 1, now() - INTERVAL '1 day')"
        )
    assert retention.prune(world.db, batch=1) == retention.Pruned(changes=1, sign_ins=1)


def _links(db: Database) -> list[tuple[str, str | None]]:
    """Each password link left (its user's slug) with its mail's state (None: no mail)."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT u.slug, m.state::text FROM account_links l JOIN users u ON u.id = l.user_id"
            " LEFT JOIN account_mail m ON m.link_id = l.id ORDER BY l.id"
        )
        return [(slug, state) for slug, state in cur.fetchall()]


def _mail_sent(db: Database, slug: str, at: datetime) -> None:
    with db.transaction(now=at) as cur:
        cur.execute(
            "UPDATE account_mail SET state = 'sent', link_secret = NULL, finished_at = clock()"
            " WHERE state = 'pending' AND user_id = (SELECT id FROM users WHERE slug = %s)",
            (slug,),
        )


def _prune_links(db: Database, now: datetime) -> int:
    with db.transaction(now=now) as cur:
        cur.execute("SELECT links FROM prune()")
        return int(one(cur)[0])


def test_password_links_go_account_links_kept_after_they_expired_with_their_mail(
    world: World,
) -> None:
    expires = password_links.send_link(world.db, None, world.a, "password_reset", now=NOW)
    _mail_sent(world.db, world.a, NOW)
    # 30 days by default, counted from when the link expired: at the boundary it stays.
    assert _prune_links(world.db, expires + timedelta(days=30)) == 0
    assert _links(world.db) == [(world.a, "sent")]
    assert _prune_links(world.db, expires + timedelta(days=30, minutes=1)) == 1
    assert _links(world.db) == []
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM account_mail")
        assert one(cur)[0] == 0


def test_a_used_or_replaced_link_counts_from_then_and_a_valid_one_stays(world: World) -> None:
    accounts.set_rule(world.db, None, "account_links_kept", "1 day")
    # b's first link is replaced a day later by a second (whose mail is sent): the first's mail
    # was superseded, and both of a's and b's second links still work for a week.
    password_links.send_link(world.db, None, world.b, "welcome", now=NOW)
    password_links.send_link(world.db, None, world.b, "welcome", now=NOW + timedelta(days=1))
    _mail_sent(world.db, world.b, NOW + timedelta(days=1))
    password_links.send_link(world.db, None, world.a, "welcome", now=NOW)
    _mail_sent(world.db, world.a, NOW)
    assert _prune_links(world.db, NOW + timedelta(days=2)) == 0
    assert _prune_links(world.db, NOW + timedelta(days=2, minutes=1)) == 1
    # Six days on, a's link is older than account_links_kept but still works: it stays.
    assert _prune_links(world.db, NOW + timedelta(days=6)) == 0
    assert _links(world.db) == [(world.b, "sent"), (world.a, "sent")]
    with world.db.transaction(now=NOW + timedelta(days=6)) as cur:
        cur.execute(
            "UPDATE account_links SET used_at = clock()"
            " WHERE user_id = (SELECT id FROM users WHERE slug = %s)",
            (world.a,),
        )
    assert _prune_links(world.db, NOW + timedelta(days=7)) == 0
    assert _prune_links(world.db, NOW + timedelta(days=7, minutes=1)) == 1
    assert _links(world.db) == [(world.b, "sent")]


def test_a_link_whose_mail_is_pending_stays_and_its_mail_with_it(world: World) -> None:
    password_links.send_link(world.db, None, world.a, "password_reset", now=NOW)
    # As when a mailer held the mail while a newer link was made: the link no longer works,
    # but its mail may still go out.
    with world.db.transaction(now=NOW) as cur:
        cur.execute("UPDATE account_links SET revoked_at = clock()")
    assert _prune_links(world.db, NOW + timedelta(days=400)) == 0
    assert _links(world.db) == [(world.a, "pending")]
    with world.db.transaction(now=NOW) as cur:
        cur.execute(
            "UPDATE account_mail SET state = 'failed', link_secret = NULL, finished_at = clock()"
        )
    assert _prune_links(world.db, NOW + timedelta(days=400)) == 1
    assert _links(world.db) == []


def test_a_link_with_mail_cannot_be_deleted_before_its_mail(world: World) -> None:
    password_links.send_link(world.db, None, world.a, "password_reset", now=NOW)
    _mail_sent(world.db, world.a, NOW)
    # No cascade: prune deletes the mail first; a link alone never takes its mail with it.
    with pytest.raises(errors.Conflict), world.db.transaction() as cur:
        cur.execute("DELETE FROM account_links")
    assert _links(world.db) == [(world.a, "sent")]


def test_a_second_pruner_meanwhile_returns_at_once(world: World) -> None:
    for who in (world.a, world.b):
        password_links.send_link(world.db, None, who, "password_reset", now=NOW)
        _mail_sent(world.db, who, NOW)
    later = NOW + timedelta(days=40)
    with world.db.transaction(now=later) as first:
        first.execute("SELECT links FROM prune()")
        assert one(first)[0] == 2
        # The first has not committed: the second neither waits nor fails, nor deletes.
        assert _prune_all(world.db, later) == (0, 0)
        assert _prune_links(world.db, later) == 0
    assert _links(world.db) == []
    assert _prune_links(world.db, later) == 0
