"""/healthz: 200 while the database answers, even when every connection is at work."""

from __future__ import annotations

import threading

from booking_web import create_app
from officehours.db import Database


def test_a_busy_pool_is_healthy(db_url: str) -> None:
    pool = Database(db_url, max_connections=1, wait_timeout=0.2)
    app = create_app({"DATABASE": pool, "SECRET_KEY": "test secret", "TESTING": True})
    held = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with pool.connection():
            held.set()
            done.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        answer = app.test_client().get("/healthz")
        assert answer.status_code == 200, answer.text
        assert "at work" in answer.text
    finally:
        done.set()
        holder.join(30)
        pool.close()
    assert app.test_client().get("/healthz").text == "ok\n"
