"""Reading a stored calendar object: parsing, sanity checks, times to aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component

from .errors import InvalidCalendar

__all__ = ["TIME_PROPERTIES", "check_component", "parse", "to_utc"]

# Properties whose values decide when a component happens. A broken one (the library
# keeps unparsable values and records an error) makes the component's time unknown.
TIME_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
)


def parse(text: bytes | str) -> Calendar:
    """Parse one VCALENDAR from ``text`` (bytes are decoded as UTF-8).

    Raises:
        InvalidCalendar: if the text is not UTF-8, not iCalendar, or not exactly one
            VCALENDAR.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidCalendar(f"calendar data is not UTF-8: {exc}") from exc
    if not isinstance(text, str):
        raise InvalidCalendar(f"calendar data must be bytes or str, got {type(text).__name__}")
    if not text.strip():
        raise InvalidCalendar("calendar data is empty")
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        raise InvalidCalendar(f"not valid iCalendar data: {exc}") from exc
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        found = getattr(calendar, "name", type(calendar).__name__)
        raise InvalidCalendar(f"expected a VCALENDAR, found {found}")
    return calendar


def _kind(value: object) -> str:
    if isinstance(value, datetime):
        return "floating" if value.tzinfo is None else "zoned"
    return "date" if isinstance(value, date) else type(value).__name__


def check_component(component: Component) -> None:
    """Check that ``component``'s times can be read and make sense.

    Raises:
        InvalidCalendar: if a time property is broken, a VEVENT has no DTSTART (required
            in a stored object, RFC 5545 section 3.6.1), or DTEND is of another kind than
            DTSTART (a date against a date-time) or before it.
    """
    uid = component.get("UID", "(no UID)")
    broken = [(name, error) for name, error in component.errors if name in TIME_PROPERTIES]
    if broken:
        details = "; ".join(f"{name}: {error}" for name, error in broken)
        raise InvalidCalendar(f"{component.name} {uid} has unreadable {details}")
    if component.name == "VEVENT" and "DTSTART" not in component:
        raise InvalidCalendar(f"VEVENT {uid} has no DTSTART")
    if "DTSTART" in component and "DTEND" in component:
        start, end = component.decoded("DTSTART"), component.decoded("DTEND")
        if _kind(start) != _kind(end) and {_kind(start), _kind(end)} != {"zoned"}:
            raise InvalidCalendar(f"{component.name} {uid}: DTSTART and DTEND differ in kind")
        if end < start:
            raise InvalidCalendar(f"{component.name} {uid}: DTEND is before DTSTART")


def to_utc(value: date | datetime, default_zone: ZoneInfo) -> datetime:
    """Return ``value`` as an aware UTC datetime.

    A DATE is the start of that day, and a floating (naive) time is a wall-clock time,
    both in ``default_zone``.
    """
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=default_zone)
    return value.astimezone(UTC)
