"""``officehours serve`` finds the CalDAV service through its entry point and it answers."""

from __future__ import annotations

import requests

from caldav_plugin.service import CaldavService
from officehours.db import Database
from officehours.services import discover
from officehours.settings import Settings
from tests.caldav.dav import Login


def test_service_serves_radicale_with_the_plugins(db: Database, coach: Login) -> None:
    settings = Settings.from_env({"DATABASE_URL": db.url, "OFFICEHOURS_CALDAV": "127.0.0.1:0"})
    service = discover()["caldav"](settings, db)
    service.start()
    try:
        url = service.describe().split(" at ", 1)[1]
        assert requests.request("PROPFIND", url, timeout=30).status_code == 401
        r = requests.request(
            "PROPFIND",
            f"{url}{coach.slug}/",
            auth=(coach.email, coach.password),
            headers={"Depth": "1"},
            timeout=30,
        )
        assert r.status_code == 207 and f"/{coach.slug}/busy/" in r.text
    finally:
        service.stop()


def test_service_refreshes_busy_time_at_start_and_stops_cleanly(db: Database) -> None:
    settings = Settings.from_env({"DATABASE_URL": db.url, "OFFICEHOURS_CALDAV": "127.0.0.1:0"})
    service = discover()["caldav"](settings, db)
    assert isinstance(service, CaldavService)
    service.start()
    try:
        assert service.refresher.wait(1, timeout=30)
        assert service.refresher.alive and service.refresher.interval == 3600
    finally:
        service.stop()
    assert not service.refresher.alive
