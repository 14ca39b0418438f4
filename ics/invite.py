"""iTIP messages about one appointment (RFC 5546), and the single-event download file.

Every message about an appointment carries the same UID and SEQUENCE = the appointment's
revision, so a calendar app replaces what it holds when the revision grows:

- booked, or moved to a new time: ``METHOD:REQUEST`` (RFC 5546 section 3.2.2), the moved
  one with a higher SEQUENCE;
- cancelled: ``METHOD:CANCEL`` (section 3.2.5) with ``STATUS:CANCELLED`` and the
  cancelled revision's (higher) SEQUENCE. Sending a cancellation as REQUEST, or with the
  old SEQUENCE, leaves the event in people's calendars.
"""

from __future__ import annotations

from datetime import datetime

from ._calendar import add_timezones, new_calendar, to_bytes
from .event import appointment_event
from .model import Appointment, check_zone

__all__ = ["download", "invite", "method_of"]


def method_of(appointment: Appointment) -> str:
    """Return the iTIP METHOD of the invite for ``appointment``: REQUEST or CANCEL.

    Mail code uses it for the ``text/calendar; method=...`` content type, which must match
    the METHOD inside the file.
    """
    return "REQUEST" if appointment.status == "booked" else "CANCEL"


def _single(
    appointment: Appointment,
    *,
    method: str,
    uid_domain: str,
    tz: str,
    now: datetime | None,
    with_attendee: bool,
) -> bytes:
    zone = check_zone(tz)
    calendar = new_calendar(method=method)
    calendar.add_component(
        appointment_event(
            appointment, uid_domain=uid_domain, tz=tz, now=now, with_attendee=with_attendee
        )
    )
    add_timezones(
        calendar,
        [appointment.start.astimezone(zone).date(), appointment.end.astimezone(zone).date()],
    )
    return to_bytes(calendar)


def invite(
    appointment: Appointment, *, uid_domain: str, tz: str, now: datetime | None = None
) -> bytes:
    """Return the iTIP invite to mail about ``appointment``'s current state.

    A booked appointment gives a ``METHOD:REQUEST`` (also for a move: same UID, higher
    SEQUENCE); a cancelled one gives ``METHOD:CANCEL`` with ``STATUS:CANCELLED``. The coach
    is ORGANIZER and the client ATTENDEE in both, as RFC 5546 requires. Times are in zone
    ``tz`` (the recipient's, usually), with its VTIMEZONE. ``now`` is the DTSTAMP.

    Raises:
        ValueError: if ``tz`` is not an IANA zone, ``uid_domain`` is not a host name or
            ``now`` is naive.
    """
    return _single(
        appointment,
        method=method_of(appointment),
        uid_domain=uid_domain,
        tz=tz,
        now=now,
        with_attendee=True,
    )


def download(
    appointment: Appointment, *, uid_domain: str, tz: str, now: datetime | None = None
) -> bytes:
    """Return the ``.ics`` file behind the website's download button.

    It is a ``METHOD:PUBLISH`` calendar (RFC 5546 section 3.2.1) holding the one event with
    the same UID and SEQUENCE as the invites, so importing it next to a mailed invite
    does not make a duplicate. PUBLISH does not allow ATTENDEE, so the file lists none
    (the default summary names the client). A cancelled appointment downloads with
    ``STATUS:CANCELLED``.

    Raises:
        ValueError: as :func:`invite`.
    """
    return _single(
        appointment,
        method="PUBLISH",
        uid_domain=uid_domain,
        tz=tz,
        now=now,
        with_attendee=False,
    )
