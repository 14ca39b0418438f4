"""An appointment as an iCalendar VEVENT (RFC 5545 section 3.6.1)."""

from __future__ import annotations

from datetime import datetime

from icalendar import Conference, Event, vCalAddress
from icalendar.enums import STATUS, TRANSP

from ._calendar import check_uid_domain, stamp
from .calls import tel_uri
from .model import Appointment, Person, check_zone

__all__ = [
    "appointment_event",
    "appointment_uid",
    "common_name",
    "default_summary",
    "description",
]


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


def description(appointment: Appointment) -> str | None:
    """Return the DESCRIPTION of the event: how the call happens, the client's note (when the
    appointment carries one, which is only in what the coach sees) and the page of the call.
    None when there is neither details nor a note, so the event stays as short as it was."""
    if appointment.call is None and appointment.note is None:
        return None
    parts: list[str] = []
    if appointment.call is not None:
        parts.append("\n".join(appointment.call.lines()))
    if appointment.note is not None:
        parts.append(f"Note from {appointment.client.name}:\n{appointment.note}")
    if appointment.url is not None:
        parts.append(f"See or change the call: {appointment.url}")
    return "\n\n".join(parts)


def _conferences(appointment: Appointment) -> list[Conference] | None:
    """RFC 7986 CONFERENCE: the video link (FEATURE=VIDEO), or a global phone number as a tel:
    URI (FEATURE=PHONE), which calendar apps offer as a Join or Call button."""
    call = appointment.call
    if call is None or call.kind is None or call.value is None:
        return None
    if call.kind == "video":
        return [Conference(call.value, feature="VIDEO", label="Video call")]
    uri = tel_uri(call.value) if call.kind == "phone" else None
    return [Conference(uri, feature="PHONE", label="Phone")] if uri else None


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
    call is busy time for both sides), the coach as ORGANIZER and URL when given. When the
    appointment says how the call happens, LOCATION holds the link, number or place, a video
    link or global phone number is also a CONFERENCE (RFC 7986), and DESCRIPTION says it in
    words with the note (see :func:`description`); without a page URL, a video link is the URL.
    All text is escaped by the library when the calendar is serialised.

    Raises:
        ValueError: if ``tz`` is not an IANA zone, ``uid_domain`` is not a host name or
            ``now`` is naive.
    """
    zone = check_zone(tz)
    status = STATUS.CONFIRMED if appointment.status == "booked" else STATUS.CANCELLED
    call = appointment.call
    url = appointment.url
    if url is None and call is not None and call.kind == "video":
        url = call.value
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
        url=url,
        location=call.value if call is not None else None,
        description=description(appointment),
        conferences=_conferences(appointment),
    )
