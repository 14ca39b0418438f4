"""PostgreSQL's and Python's zone databases are compared for every zone in use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from officehours import accounts, zones
from tests.lib.support import NOW, World


def test_the_two_zone_databases_agree_on_every_zone_in_use(world: World) -> None:
    # Zones with odd offsets and half-hour DST; not Africa/Casablanca, on which the embedded
    # server's data and the tzdata package disagree today (the start-up check reports it).
    for zone in ("Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu"):
        accounts.add_user(world.db, None, f"{zone.lower()}@example.com", zone, "client", zone)
    assert zones.disagreements(world.db, start=NOW) == []


def test_a_zone_whose_rules_differ_is_found(world: World) -> None:
    def berlin_for_london(name: str) -> ZoneInfo:
        return ZoneInfo("Europe/Berlin" if name == "Europe/London" else name)

    found = zones.disagreements(world.db, start=NOW, python_zone=berlin_for_london)
    assert [d.zone for d in found] == ["Europe/London"]
    assert found[0].postgres == timedelta(0) and found[0].python == timedelta(hours=1)
    assert "Europe/London" in str(found[0]) and "UTC+01:00" in str(found[0])


def test_a_change_at_another_hour_of_the_same_day_is_found(world: World) -> None:
    # Havana and New York keep the same offsets but change them at other hours of the same
    # days: comparing once a day would never see it.
    def havana_for_new_york(name: str) -> ZoneInfo:
        return ZoneInfo("America/Havana" if name == "America/New_York" else name)

    found = zones.disagreements(world.db, start=NOW, python_zone=havana_for_new_york)
    assert [d.zone for d in found] == ["America/New_York"]
    assert found[0].at.date() == datetime(2027, 3, 14, tzinfo=timezone.utc).date()


def test_start_up_says_so_loudly(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    def berlin_for_london(name: str) -> ZoneInfo:
        return ZoneInfo("Europe/Berlin" if name == "Europe/London" else name)

    found = zones.warn_on_disagreement(world.db, python_zone=berlin_for_london)
    assert found
    assert "TIME ZONE RULES DISAGREE: Europe/London" in capsys.readouterr().err
