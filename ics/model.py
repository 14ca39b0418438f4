"""Plain data that the iCalendar builders take in.

Every class is a frozen, keyword-only dataclass that checks its own values on construction
and raises :class:`ValueError` with a message naming the field, so a builder never has to
guess whether its input makes sense. Nothing here knows about databases or web frameworks:
the caller copies rows into these objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .addresses import email_problem, name_problem
from .calls import CallDetails, text_problem

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "CallDetails",
    "DatedException",
    "Person",
    "WeeklyRule",
    "check_zone",
]

AppointmentStatus = Literal["booked", "cancelled"]

# Tokens end up in UIDs, file names and URLs, so only RFC 3986 "unreserved" characters.
_TOKEN = re.compile(r"[A-Za-z0-9._~-]{16,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_zone(name: str, field: str = "tz") -> ZoneInfo:
    """Return the IANA time zone called ``name``.

    Raises:
        ValueError: if ``name`` is not a known IANA zone name (the message names ``field``).
    """
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"{field} must be an IANA time zone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{field} is not a known IANA time zone: {name!r}") from exc


def _check_aware(value: object, field: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{field} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware, got naive {value.isoformat()}")


def _check_local_time(value: object, field: str) -> None:
    if not isinstance(value, time):
        raise ValueError(f"{field} must be a time, got {type(value).__name__}")
    if value.tzinfo is not None:
        raise ValueError(f"{field} must be a local time without tzinfo, got {value!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Person:
    """A coach or a client as a calendar user: display name and email address, as the
    database stores them (see :mod:`ics.addresses`)."""

    name: str
    email: str

    def __post_init__(self) -> None:
        # The rules the database checks (ics.addresses): whatever it stores, a Person can carry.
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("name must be a non-empty string")
        problem = name_problem(self.name)
        if problem is not None:
            raise ValueError(f"name {problem}: {self.name!r}")
        problem = email_problem(self.email)
        if problem is not None:
            raise ValueError(f"email {problem}: {self.email!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Appointment:
    """One coaching call, as the calendar files describe it.

    ``token`` is the appointment's random public identifier (never a database id);
    ``revision`` counts changes from 1 and becomes the iCalendar SEQUENCE, so it must grow
    whenever the appointment is moved or cancelled. ``coach_tz`` and ``client_tz`` are IANA
    zone names; ``url`` is the page where the appointment is managed; ``summary`` replaces
    the default title when given. ``call`` says how the call happens (a video link, a phone
    number or a place, and the coach's words); ``note`` is the client's note for the coach, given
    only in what the coach sees.
    """

    token: str
    revision: int
    status: AppointmentStatus
    start: datetime
    end: datetime
    coach: Person
    client: Person
    coach_tz: str
    client_tz: str
    url: str | None = None
    summary: str | None = None
    call: CallDetails | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.token, str) or not _TOKEN.fullmatch(self.token):
            raise ValueError(
                f"token must be at least 16 characters of A-Z a-z 0-9 . _ ~ -, got {self.token!r}"
            )
        if self.token.isdigit():
            raise ValueError("token must be the random public token, not a numeric id")
        if isinstance(self.revision, bool) or not isinstance(self.revision, int):
            raise ValueError(f"revision must be an int, got {self.revision!r}")
        if self.revision < 1:
            raise ValueError(f"revision must be 1 or more, got {self.revision}")
        if self.status not in ("booked", "cancelled"):
            raise ValueError(f"status must be 'booked' or 'cancelled', got {self.status!r}")
        _check_aware(self.start, "start")
        _check_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) must be after start")
        for field, person in (("coach", self.coach), ("client", self.client)):
            if not isinstance(person, Person):
                raise ValueError(f"{field} must be a Person, got {type(person).__name__}")
        check_zone(self.coach_tz, "coach_tz")
        check_zone(self.client_tz, "client_tz")
        if self.url is not None and (
            not isinstance(self.url, str)
            or not self.url.startswith(("https://", "http://"))
            or _CONTROL.search(self.url)
            or " " in self.url
        ):
            raise ValueError(f"url must be an absolute http(s) URL, got {self.url!r}")
        if self.summary is not None and (
            not isinstance(self.summary, str) or not self.summary.strip()
        ):
            raise ValueError("summary must be None or a non-empty string")
        if self.call is not None and not isinstance(self.call, CallDetails):
            raise ValueError(f"call must be CallDetails, got {type(self.call).__name__}")
        problem = text_problem(self.note)
        if problem is not None:
            raise ValueError(f"note {problem}")


@dataclass(frozen=True, kw_only=True, slots=True)
class WeeklyRule:
    """Weekly office hours: every ISO ``weekday`` (1 = Monday) from ``start`` to ``end``.

    Times are local to the coach's time zone and the interval lies within one day.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int):
            raise ValueError(f"weekday must be an int, got {self.weekday!r}")
        if not 1 <= self.weekday <= 7:
            raise ValueError(f"weekday must be 1 (Monday) to 7 (Sunday), got {self.weekday}")
        _check_local_time(self.start, "start")
        _check_local_time(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")


@dataclass(frozen=True, kw_only=True, slots=True)
class DatedException:
    """Office hours on one date that replace that date's weekly hours.

    ``start`` and ``end`` both None means a day off. A date may carry several exceptions;
    each one with times is an interval of office hours on that date.
    """

    day: date
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise ValueError(f"day must be a date, got {type(self.day).__name__}")
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end must both be set, or both be None for a day off")
        if self.start is not None and self.end is not None:
            _check_local_time(self.start, "start")
            _check_local_time(self.end, "end")
            if self.end <= self.start:
                raise ValueError(f"end ({self.end}) must be after start ({self.start})")

    @property
    def is_day_off(self) -> bool:
        """True when this exception removes the date's office hours without adding any."""
        return self.start is None
