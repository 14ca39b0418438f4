"""An appointment as an iCalendar VEVENT (RFC 5545 section 3.6.1)."""

from __future__ import annotations

from datetime import datetime

from icalendar import Event, vCalAddress
from icalendar.enums import STATUS, TRANSP

from ._calendar import check_uid_domain, stamp
from .model import Appointment, Person, check_zone

__all__ = ["appointment_event", "appointment_uid", "common_name", "default_summary"]


def appointment_uid(token: str, *, uid_domain: str) -> str:
    """Return the UID of the appointment with public ``token``: ``<token>@<uid_domain>``.

    Every message and feed about one appointment uses this UID, which is how calendar
    apps know that an update or a cancellation refers to the event they already hold.

    Raises:
        ValueError: if ``uid_domain`` is not a host name or ``token`` is empty.
    """
    if not token:
        raise ValueError("token must not be empty")
    return f"{token}@{check_uid_domain(uid_domain)}"


def default_summary(appointment: Appointment) -> str:
    """Return the title used when the appointment has no summary of its own."""
    return f"Coaching call: {appointment.client.name} with {appointment.coach.name}"


def common_name(name: str) -> str:
    """Return ``name`` as it can travel in a CN parameter.

    Parameter values have no escapes in RFC 5545, and the library writes a backslash as
    it is, but parsers (icalendar's own, libical) read ``\\:`` or ``\\"`` as an escape
    and cut the value short. The look-alike U+29F5 (reverse solidus operator) keeps the
    name readable; quotes, commas and the like are left to the library (RFC 6868).
    """
    return name.replace("\\", "\u29f5")


def _organizer(coach: Person) -> vCalAddress:
    return vCalAddress.new(coach.email, cn=common_name(coach.name))


def _attendee(client: Person) -> vCalAddress:
    """The client as ATTENDEE: a required participant who has already accepted.

    The client booked the call themselves, so asking for an answer would be wrong:
    PARTSTAT=ACCEPTED records the answer they gave by booking, and RSVP=FALSE stops
    calendar apps from showing Accept/Decline buttons whose REPLY messages would go to
    the coach's address, where nothing processes them. The same values are kept in a
    cancellation: the client's answer did not change, the event's STATUS did.
    """
    return vCalAddress.new(
        client.email,
        cn=common_name(client.name),
        role="REQ-PARTICIPANT",
        partstat="ACCEPTED",
        rsvp=False,
    )


def appointment_event(
    appointment: Appointment,
    *,
    uid_domain: str,
    tz: str,
    now: datetime | None = None,
    with_attendee: bool = True,
) -> Event:
    """Build the VEVENT for ``appointment``, with start and end shown in zone ``tz``.

    Arguments:
        appointment: the call to describe.
        uid_domain: host name used on the right of the UID (see :func:`appointment_uid`).
        tz: IANA zone for DTSTART/DTEND, usually ``appointment.coach_tz`` or
            ``appointment.client_tz``; the calendar that holds the event needs a
            VTIMEZONE for it, which the calendar builders add.
        now: DTSTAMP, when the message or feed was made; defaults to the current time.
        with_attendee: whether to list the client as ATTENDEE. RFC 5546 forbids
            ATTENDEE in METHOD:PUBLISH, so the download file leaves it out.

    The event has SEQUENCE = revision, STATUS CONFIRMED or CANCELLED, TRANSP:OPAQUE (a
    call is busy time for both sides), the coach as ORGANIZER and URL when given. All
    text is escaped by the library when the calendar is serialised.

    Raises:
        ValueError: if ``tz`` is not an IANA zone, ``uid_domain`` is not a host name or
            ``now`` is naive.
    """
    zone = check_zone(tz)
    status = STATUS.CONFIRMED if appointment.status == "booked" else STATUS.CANCELLED
    return Event.new(
        uid=appointment_uid(appointment.token, uid_domain=uid_domain),
        stamp=stamp(now),
        sequence=appointment.revision,
        start=appointment.start.astimezone(zone),
        end=appointment.end.astimezone(zone),
        summary=appointment.summary or default_summary(appointment),
        organizer=_organizer(appointment.coach),
        attendees=[_attendee(appointment.client)] if with_attendee else None,
        status=status,
        transparency=TRANSP.OPAQUE,
        url=appointment.url,
    )
