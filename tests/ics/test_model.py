"""The plain-data model refuses nonsense with a message naming the field."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from ics import Appointment, DatedException, Person, WeeklyRule


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"token": "short"}, "token must be at least 16"),
        ({"token": "has spaces in it, sadly"}, "token must be"),
        ({"token": "1234567890123456789"}, "not a numeric id"),
        ({"revision": 0}, "revision must be 1 or more"),
        ({"revision": True}, "revision must be an int"),
        ({"revision": 1.0}, "revision must be an int"),
        ({"status": "pending"}, "status must be"),
        ({"start": datetime(2027, 3, 15, 9)}, "start must be timezone-aware"),
        ({"end": datetime(2027, 3, 15, 10)}, "end must be timezone-aware"),
        ({"end": datetime(2027, 3, 15, 16, tzinfo=UTC)}, "must be after start"),
        ({"start": date(2027, 3, 15)}, "start must be a datetime"),
        ({"coach_tz": "America/Springfield"}, "coach_tz is not a known IANA"),
        ({"client_tz": " UTC"}, "client_tz must be an IANA"),
        ({"url": "javascript:alert(1)"}, "url must be an absolute http"),
        ({"url": "https://example.org/a b"}, "url must be"),
        ({"summary": "  "}, "summary must be None or a non-empty"),
        ({"client": "zoe@example.org"}, "client must be a Person"),
    ],
)
def test_appointment_validation(samples: Any, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(samples.booked, **changes)


def test_appointment_is_frozen_and_keyword_only(samples: Any) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        samples.booked.revision = 2
    with pytest.raises(TypeError):
        Appointment("Zx3k9Qp2Lm7Rt5Vw_a-1", 1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("", "a@example.org", "name must be a non-empty"),
        ("   ", "a@example.org", "name must be a non-empty"),
        ("Zoë\nBCC", "a@example.org", "control characters"),
        ("Zoë", "not-an-address", "email must be a plain address"),
        ("Zoë", "mailto:a@example.org", "email must be a plain address"),
        ("Zoë", "a@example.org, b@example.org", "email must be a plain address"),
        ("Zoë", "a@localhost", "email must be a plain address"),
    ],
)
def test_person_validation(name: str, email: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Person(name=name, email=email)


@pytest.mark.parametrize(
    ("weekday", "start", "end", "message"),
    [
        (0, time(9), time(17), "weekday must be 1"),
        (8, time(9), time(17), "weekday must be 1"),
        (True, time(9), time(17), "weekday must be an int"),
        (1, time(17), time(9), "must be after start"),
        (1, time(9), time(9), "must be after start"),
        (1, time(9, tzinfo=UTC), time(17), "local time without tzinfo"),
        (1, "09:00", time(17), "start must be a time"),
    ],
)
def test_weekly_rule_validation(weekday: Any, start: Any, end: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WeeklyRule(weekday=weekday, start=start, end=end)


def test_dated_exception_is_a_day_off_or_an_interval() -> None:
    assert DatedException(day=date(2027, 12, 24)).is_day_off
    extra = DatedException(day=date(2027, 12, 24), start=time(9), end=time(12))
    assert not extra.is_day_off
    with pytest.raises(ValueError, match="both be set"):
        DatedException(day=date(2027, 12, 24), start=time(9))
    with pytest.raises(ValueError, match="must be after start"):
        DatedException(day=date(2027, 12, 24), start=time(12), end=time(9))
    with pytest.raises(ValueError, match="day must be a date"):
        DatedException(day=datetime(2027, 12, 24, tzinfo=UTC))
