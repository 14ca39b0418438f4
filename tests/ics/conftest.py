"""Shared data for the ics tests: frozen clock, sample people and appointments, every
kind of output keyed by its golden file, and checkers (golden files, libical, vobject).

Golden files live in ``golden/<feature or RFC section>/``. Run with ``UPDATE_GOLDEN=1``
to rewrite them after a deliberate change, then review the diff.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ics import (
    Appointment,
    DatedException,
    Person,
    WeeklyRule,
    appointment_item,
    download,
    feed,
    invite,
    office_hours_calendar,
    office_hours_items,
)

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
LIBICAL_HELPER = HERE / "libical_check.py"
SYSTEM_PYTHON = "/usr/bin/python3"

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DOMAIN = "book.example.org"
LA = ZoneInfo("America/Los_Angeles")

# Commas, semicolons, quotes, markup and non-ASCII: the serializer must escape them all.
COACH = Person(name='<script>alert(1)</script>, "Doe; Jr."', email="coach@example.org")
CLIENT = Person(name="Zoë Ødegård", email="zoe@example.org")

BOOKED = Appointment(
    token="Zx3k9Qp2Lm7Rt5Vw_a-1",
    revision=1,
    status="booked",
    start=datetime(2027, 3, 15, 9, 0, tzinfo=LA),
    end=datetime(2027, 3, 15, 10, 0, tzinfo=LA),
    coach=COACH,
    client=CLIENT,
    coach_tz="America/Los_Angeles",
    client_tz="Europe/London",
    url=f"https://{DOMAIN}/appointments/Zx3k9Qp2Lm7Rt5Vw_a-1",
)
MOVED = replace(
    BOOKED,
    revision=2,
    start=datetime(2027, 3, 16, 11, 0, tzinfo=LA),
    end=datetime(2027, 3, 16, 12, 0, tzinfo=LA),
)
CANCELLED = replace(MOVED, revision=3, status="cancelled")
# After Los Angeles falls back (2027-11-07) and London too (2027-10-31).
AUTUMN = replace(
    BOOKED,
    token="Qm4Tn8Wr2Yp6Ks0Hd-b2",
    start=datetime(2027, 11, 8, 9, 0, tzinfo=LA),
    end=datetime(2027, 11, 8, 10, 0, tzinfo=LA),
    url=None,
    summary="Monthly check-in; notes, agenda\nand Zoë's goals",
)
OTHER_CLIENT = replace(
    BOOKED,
    token="Lp5Xc3Vb9Nm1Qa7Ze-c3",
    client=Person(name="Ann Client", email="ann@example.net"),
    client_tz="Asia/Kolkata",
    start=datetime(2027, 4, 5, 8, 0, tzinfo=LA),
    end=datetime(2027, 4, 5, 9, 0, tzinfo=LA),
    url=None,
)

RULES = (
    WeeklyRule(weekday=1, start=time(9, 0), end=time(17, 0)),
    WeeklyRule(weekday=3, start=time(13, 0), end=time(18, 30)),
)
EXCEPTIONS = (
    DatedException(day=date(2027, 3, 15)),  # a Monday off
    DatedException(day=date(2027, 3, 17), start=time(8, 0), end=time(10, 0)),
    DatedException(day=date(2027, 3, 17), start=time(14, 0), end=time(16, 0)),
    DatedException(day=date(2027, 3, 20), start=time(10, 0), end=time(12, 0)),  # a Saturday
    DatedException(day=date(2027, 2, 1)),  # before `since`: left out
)
SINCE = date(2027, 3, 10)
OFFICE_HOURS: dict[str, Any] = {
    "coach_slug": "jane-doe",
    "coach_tz": "America/Los_Angeles",
    "rules": RULES,
    "exceptions": EXCEPTIONS,
    "since": SINCE,
    "uid_domain": DOMAIN,
    "now": NOW,
}


def _invite(appointment: Appointment, tz: str) -> Callable[[], bytes]:
    return lambda: invite(appointment, uid_domain=DOMAIN, tz=tz, now=NOW)


def _download(appointment: Appointment, tz: str) -> Callable[[], bytes]:
    return lambda: download(appointment, uid_domain=DOMAIN, tz=tz, now=NOW)


INVITES: dict[str, Callable[[], bytes]] = {
    "rfc5546_request/booked_coach.ics": _invite(BOOKED, BOOKED.coach_tz),
    "rfc5546_request/booked_client.ics": _invite(BOOKED, BOOKED.client_tz),
    "rfc5546_request/moved.ics": _invite(MOVED, MOVED.client_tz),
    "rfc5546_request/autumn_coach.ics": _invite(AUTUMN, AUTUMN.coach_tz),
    "rfc5546_request/autumn_client.ics": _invite(AUTUMN, AUTUMN.client_tz),
    "rfc5546_request/utc.ics": _invite(BOOKED, "UTC"),
    "rfc5546_cancel/cancelled.ics": _invite(CANCELLED, CANCELLED.client_tz),
    "rfc5546_publish/download.ics": _download(BOOKED, BOOKED.client_tz),
    "rfc5546_publish/download_cancelled.ics": _download(CANCELLED, CANCELLED.coach_tz),
}


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _office_hours_items() -> dict[str, Callable[[], bytes]]:
    items = office_hours_items(**OFFICE_HOURS)
    return {f"office_hours/items/{item.key}": _constant(item.ics) for item in items}


OUTPUTS: dict[str, Callable[[], bytes]] = {
    **INVITES,
    "feed/coach.ics": lambda: feed(
        [CANCELLED, AUTUMN, OTHER_CLIENT, BOOKED],
        name=f"Calls of {COACH.name}",
        description="Booked coaching calls; read-only",
        uid_domain=DOMAIN,
        tz="America/Los_Angeles",
        now=NOW,
    ),
    "feed/client.ics": lambda: feed(
        [BOOKED, AUTUMN],
        name="Zoë's coaching calls",
        uid_domain=DOMAIN,
        tz="Europe/London",
        now=NOW,
        x_wr_timezone=False,
    ),
    "feed/empty.ics": lambda: feed(
        [CANCELLED], name="Nothing booked", uid_domain=DOMAIN, tz="Europe/London", now=NOW
    ),
    "caldav_item/booked.ics": lambda: appointment_item(
        BOOKED, uid_domain=DOMAIN, tz="America/Los_Angeles", now=NOW
    ),
    "office_hours/calendar.ics": lambda: office_hours_calendar(
        **OFFICE_HOURS, name="Office hours of Jane Doe"
    ),
    "office_hours/empty.ics": lambda: office_hours_calendar(
        **{**OFFICE_HOURS, "rules": (), "exceptions": ()}
    ),
    **_office_hours_items(),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``output_name`` over every output and ``invite_name`` over invites."""
    if "output_name" in metafunc.fixturenames:
        metafunc.parametrize("output_name", sorted(OUTPUTS))
    if "invite_name" in metafunc.fixturenames:
        metafunc.parametrize("invite_name", sorted(INVITES))


@dataclass(frozen=True)
class Samples:
    """The module's sample data, handed to tests as a fixture."""

    now: datetime = NOW
    domain: str = DOMAIN
    coach: Person = COACH
    client: Person = CLIENT
    booked: Appointment = BOOKED
    moved: Appointment = MOVED
    cancelled: Appointment = CANCELLED
    autumn: Appointment = AUTUMN
    other_client: Appointment = OTHER_CLIENT
    office_hours: Any = None


@pytest.fixture(scope="session")
def samples() -> Samples:
    return Samples(office_hours=dict(OFFICE_HOURS))


@pytest.fixture
def outputs() -> dict[str, Callable[[], bytes]]:
    return OUTPUTS


@pytest.fixture
def invites() -> dict[str, Callable[[], bytes]]:
    return INVITES


@pytest.fixture
def check_golden() -> Callable[[str, bytes], None]:
    """Compare bytes with ``golden/<name>``; with UPDATE_GOLDEN=1, write them instead."""

    def check(name: str, data: bytes) -> None:
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path}; run with UPDATE_GOLDEN=1 to create it")
        expected = path.read_bytes()
        if data != expected:
            diff = difflib.unified_diff(
                expected.decode("utf-8").splitlines(),
                data.decode("utf-8").splitlines(),
                f"golden/{name}",
                "generated",
                lineterm="",
            )
            pytest.fail(
                f"output differs from golden/{name} (UPDATE_GOLDEN=1 rewrites it):\n"
                + "\n".join(diff)
            )

    return check


def run_libical(data: bytes) -> dict[str, Any]:
    """Run libical's parser and iTIP restriction check on ``data`` via the system Python.

    Fails the test (never skips) when the system Python or libical's bindings are absent.
    """
    if not os.path.exists(SYSTEM_PYTHON):
        pytest.fail(f"{SYSTEM_PYTHON} not found: the libical check needs the system Python")
    result = subprocess.run(
        [SYSTEM_PYTHON, str(LIBICAL_HELPER)],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode == 3:
        pytest.fail(
            "libical's GObject bindings are missing for the system Python: "
            "apt-get install gir1.2-ical-3.0 python3-gi\n" + result.stderr.decode()
        )
    if result.returncode not in (0, 1):
        pytest.fail(f"libical helper crashed ({result.returncode}):\n{result.stderr.decode()}")
    report: dict[str, Any] = json.loads(result.stdout)
    report["ok"] = result.returncode == 0
    return report


@pytest.fixture
def libical() -> Callable[[bytes], dict[str, Any]]:
    return run_libical
