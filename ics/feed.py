"""Calendar feeds of appointments, and one appointment as a CalDAV calendar object.

A feed is what a calendar app subscribes to (``webcal://``) or what a read-only CalDAV
collection serves. It carries no METHOD: it is a calendar, not an iTIP message.

Cancelled appointments are left out. A subscribed feed is a snapshot that apps replace
on every refresh, so an event that is no longer there is removed everywhere, whereas
several popular apps ignore ``STATUS:CANCELLED`` in subscriptions and would keep
showing the cancelled call as if it were on. The mailed ``METHOD:CANCEL`` is where
cancellation is announced.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import vDuration, vText

from ._calendar import add_timezones, new_calendar, set_names, stamp, to_bytes, vtimezone
from .event import appointment_event
from .model import Appointment, check_zone

__all__ = ["appointment_item", "feed"]

DEFAULT_REFRESH = timedelta(hours=1)


def feed(
    appointments: Iterable[Appointment],
    *,
    name: str,
    uid_domain: str,
    tz: str,
    now: datetime | None = None,
    refresh: timedelta = DEFAULT_REFRESH,
    description: str | None = None,
    x_wr_timezone: bool = True,
) -> bytes:
    """Return a subscribable VCALENDAR with every booked appointment in ``appointments``.

    Arguments:
        appointments: the feed owner's appointments; cancelled ones are skipped.
        name: the calendar's display name (NAME and X-WR-CALNAME).
        uid_domain: host name on the right of each UID.
        tz: IANA zone of the feed's owner; event times are given in it.
        now: DTSTAMP of every event; defaults to the current time. Pass a stable value
            (such as the latest change among the appointments) so that the bytes, and
            the ETags made from them, change only when the data does.
        refresh: how often apps should refetch (REFRESH-INTERVAL and X-PUBLISHED-TTL).
        description: optional DESCRIPTION and X-WR-CALDESC.
        x_wr_timezone: also name ``tz`` in X-WR-TIMEZONE, the display zone some apps use.

    Events are sorted by start time and token so the bytes change only when the data does.

    Raises:
        ValueError: if ``name`` is blank, ``refresh`` is not positive, ``tz`` is not an
            IANA zone, ``uid_domain`` is not a host name or ``now`` is naive.
    """
    if not name.strip():
        raise ValueError("name must not be blank")
    if refresh <= timedelta(0):
        raise ValueError(f"refresh must be a positive duration, got {refresh}")
    zone = check_zone(tz)
    calendar = new_calendar()
    set_names(calendar, name=name, description=description)
    # RFC 7986 section 5.7 requires the VALUE parameter even though DURATION is the only
    # type REFRESH-INTERVAL can have; the library leaves it out.
    calendar.add("REFRESH-INTERVAL", vDuration(refresh), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    if x_wr_timezone:
        calendar.add("X-WR-TIMEZONE", vText(tz))
    booked = sorted(
        (item for item in appointments if item.status == "booked"),
        key=lambda item: (item.start, item.token),
    )
    for appointment in booked:
        calendar.add_component(
            appointment_event(appointment, uid_domain=uid_domain, tz=tz, now=now)
        )
    days = [moment.astimezone(zone).date() for item in booked for moment in (item.start, item.end)]
    if days:
        add_timezones(calendar, days)
    else:
        # RFC 5545 wants at least one component in a calendar; the owner's VTIMEZONE is
        # a harmless one that an empty feed still has a use for.
        year = stamp(now).astimezone(zone).year
        calendar.add_component(vtimezone(tz, first=date(year, 1, 1), last=date(year + 1, 1, 1)))
    return to_bytes(calendar)


def appointment_item(
    appointment: Appointment, *, uid_domain: str, tz: str, now: datetime | None = None
) -> bytes:
    """Return ``appointment`` as one CalDAV calendar object resource.

    A CalDAV collection stores one UID per resource; this is that resource for a
    generated appointments collection: one VEVENT (with the client as ATTENDEE), its
    VTIMEZONE, and no METHOD. It is built for booked and cancelled appointments alike;
    a collection that follows the feed's rule leaves cancelled ones out. Name it with
    :func:`ics.keys.item_key` of the UID.

    Raises:
        ValueError: if ``tz`` is not an IANA zone, ``uid_domain`` is not a host name or
            ``now`` is naive.
    """
    # ``now`` should be stable here too (e.g. when the appointment last changed): the
    # resource's ETag is made from these bytes.
    zone = check_zone(tz)
    calendar = new_calendar()
    calendar.add_component(appointment_event(appointment, uid_domain=uid_domain, tz=tz, now=now))
    add_timezones(
        calendar,
        [appointment.start.astimezone(zone).date(), appointment.end.astimezone(zone).date()],
    )
    return to_bytes(calendar)
