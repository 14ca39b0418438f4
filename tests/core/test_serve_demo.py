"""`officehours serve --demo-if-empty` (what `make run` runs) prints the demo logins on every
start while the database holds the demo, and never on a database that does not."""

from __future__ import annotations

import signal
from pathlib import Path

from officehours import accounts
from officehours.db import Database
from tests.core.serving import start_serve
from tests.core.test_serve import base_env


def test_every_start_on_the_demo_prints_its_logins(db_url: str, tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"DATABASE_URL": db_url}
    served = start_serve(env, "--demo-if-empty")
    assert served.stop(signal.SIGINT) == 0
    first = served.printed()
    assert "Seeded the demo" in first and "maya@example.com" in first
    served = start_serve(env, "--demo-if-empty")
    assert served.stop(signal.SIGINT) == 0
    again = served.printed()
    assert "Seeded the demo" not in again
    assert "The demo is in use" in again and "'maple lantern harbor'" in again
    for email in ("maya@example.com", "sam@example.com", "admin@example.com"):
        assert email in again


def test_a_database_that_is_not_the_demo_prints_no_logins(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url, max_connections=1)
    try:
        accounts.add_user(db, None, "maya@example.com", "Maya Okafor", "coach", "UTC")
    finally:
        db.close()
    served = start_serve(base_env(tmp_path) | {"DATABASE_URL": db_url}, "--demo-if-empty")
    assert served.stop(signal.SIGINT) == 0
    output = served.printed()
    assert "Sign in with" not in output and "maple lantern harbor" not in output
