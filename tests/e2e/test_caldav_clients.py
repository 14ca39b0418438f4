"""Real CalDAV clients against the server: the caldav library, vdirsyncer and khal."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from caldav.davclient import DAVClient

from officehours import booking
from tests.caldav.conftest import app, caldav_url, coach  # noqa: F401  (fixtures, reused)
from tests.caldav.dav import Login
from tests.lib.support import NOW, World

pytestmark = pytest.mark.slow
SLOT = datetime(2027, 1, 5, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_caldav_library_discovers_calendars_from_the_bare_url(
    caldav_url: str,  # noqa: F811
    coach: Login,  # noqa: F811
    world: World,
) -> None:
    call = booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    with DAVClient(url=caldav_url, username=coach.email, password=coach.password) as dav:
        principal = dav.principal()
        calendars = {cal.get_display_name(): cal for cal in principal.calendars()}
        assert set(calendars) == {"Busy", "Coaching calls", "Office hours"}
        found = calendars["Coaching calls"].search(
            start=datetime(2027, 1, 5, tzinfo=UTC), end=datetime(2027, 1, 6, tzinfo=UTC), event=True
        )
        assert len(found) == 1
        event = found[0].icalendar_component
        assert str(event["UID"]).startswith(call.token)
        assert "Ann Client" in str(event["SUMMARY"])


def test_vdirsyncer_and_khal_show_a_booked_call_at_local_time(
    caldav_url: str,  # noqa: F811
    coach: Login,  # noqa: F811
    world: World,
    tmp_path: Path,
) -> None:
    booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    local = tmp_path / "calendars"
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(
        f"""[general]
status_path = "{tmp_path}/status/"

[pair coach]
a = "coach_local"
b = "coach_remote"
collections = ["from b"]

[storage coach_local]
type = "filesystem"
path = "{local}/"
fileext = ".ics"

[storage coach_remote]
type = "caldav"
url = "{caldav_url}/"
username = "{coach.email}"
password = "{coach.password}"
"""
    )
    env = {**os.environ, "HOME": str(tmp_path)}

    def run(command: list[str], input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, input=input, capture_output=True, text=True, timeout=120, env=env, check=False
        )

    discovered = run([_tool("vdirsyncer"), "-c", str(config), "discover", "coach"], "y\n" * 10)
    assert discovered.returncode == 0, discovered.stderr
    synced = run([_tool("vdirsyncer"), "-c", str(config), "sync"])
    assert synced.returncode == 0, synced.stderr
    assert sorted(p.name for p in local.iterdir()) == ["appointments", "busy", "office-hours"]
    assert len(list((local / "appointments").glob("*.ics"))) == 1

    khal_config = tmp_path / "khal.conf"
    khal_config.write_text(
        f"""[calendars]
[[appointments]]
path = {local}/appointments/
type = calendar

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = America/Los_Angeles
default_timezone = America/Los_Angeles
"""
    )
    listed = run([_tool("khal"), "-c", str(khal_config), "list", "2027-01-05", "1d"])
    assert listed.returncode == 0, listed.stderr
    assert "09:00-10:00 Coaching call: Ann Client with Xavier Coach" in listed.stdout
