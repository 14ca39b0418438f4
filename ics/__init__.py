"""iCalendar in and out for officehours: plain data in, RFC 5545 bytes out.

Nothing here touches a database, a web framework or a CalDAV server. The builders take
the frozen dataclasses of :mod:`ics.model` and return bytes; the readers take what a
CalDAV client stored and return busy time or an index entry.
"""

from .busy import busy_intervals
from .describe import EventSummary, describe
from .errors import InvalidCalendar, TooManyInstances
from .event import appointment_event, appointment_uid, default_summary
from .feed import appointment_item, feed
from .invite import download, invite, method_of
from .keys import item_key
from .model import Appointment, AppointmentStatus, DatedException, Person, WeeklyRule
from .office_hours import (
    OfficeHoursItem,
    exception_uid,
    office_hours_calendar,
    office_hours_items,
    rule_uid,
)

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "DatedException",
    "EventSummary",
    "InvalidCalendar",
    "OfficeHoursItem",
    "Person",
    "TooManyInstances",
    "WeeklyRule",
    "appointment_event",
    "appointment_item",
    "appointment_uid",
    "busy_intervals",
    "default_summary",
    "describe",
    "download",
    "exception_uid",
    "feed",
    "invite",
    "item_key",
    "method_of",
    "office_hours_calendar",
    "office_hours_items",
    "rule_uid",
]
