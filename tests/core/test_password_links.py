"""Links that set a password, at the core: one link used twice at once sets the password once,
and the answer to "forgot password" is the same whether or not the address has an account."""

from __future__ import annotations

import threading
import time

import pytest

from officehours import accounts, errors, password_links, passwords
from officehours.db import Database
from tests.lib.support import NOW, World

FIRST, SECOND = "lantern orchard velvet comet", "harbour quilt meadow cobalt"


def secret_of(db: Database) -> str:
    with db.transaction() as cur:
        cur.execute("SELECT link_secret FROM account_mail WHERE state = 'pending'")
        (secret,) = cur.fetchone() or ("",)
    return str(secret)


def test_a_link_used_twice_at_once_sets_one_password(world: World) -> None:
    password_links.request_link(world.db, "a@example.com", "192.0.2.1", NOW)
    secret = secret_of(world.db)
    first, second = (passwords.hash_password(p) for p in (FIRST, SECOND))
    outcome: list[object] = []

    def use_meanwhile() -> None:
        try:
            with world.db.transaction(now=NOW) as cur:
                cur.execute("SELECT use_password_link(%s, %s)", (secret, second))
                outcome.append(cur.fetchone())
        except errors.OfficeHoursError as exc:
            outcome.append(exc)

    with world.db.transaction(now=NOW) as cur:
        cur.execute("SELECT use_password_link(%s, %s)", (secret, first))
        assert cur.fetchone() == (world.a,)
        other = threading.Thread(target=use_meanwhile)
        other.start()
        wait_until_blocked(world.db)
    other.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], errors.LinkUsed), outcome
    found = accounts.login_lookup(world.db, "a@example.com")
    assert found is not None and passwords.verify_password(found[1], FIRST)


def wait_until_blocked(db: Database) -> None:
    """Returns once another backend of this database waits for a lock."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with db.transaction() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if (cur.fetchone() or (0,))[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the second use never waited for the first")


def test_the_answer_does_not_tell_whether_an_account_exists(world: World) -> None:
    for _ in range(3):
        password_links.request_link(world.db, "a@example.com", "192.0.2.1", NOW)
        password_links.request_link(world.db, "nobody@example.com", "192.0.2.1", NOW)
    for email in ("a@example.com", "nobody@example.com"):
        with pytest.raises(errors.TooManyAttempts) as refused:
            password_links.request_link(world.db, email, "192.0.2.1", NOW)
        assert refused.value.retry_after == 300
