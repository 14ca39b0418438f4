"""Errors raised when reading a coach's own calendar data."""

from __future__ import annotations

__all__ = ["InvalidCalendar", "TooManyInstances"]


class InvalidCalendar(ValueError):
    """The text is not an iCalendar object whose times can be read; the message says why."""


class TooManyInstances(ValueError):
    """A recurring event has more instances than the caller's limit allows.

    Raised instead of returning a shortened list: a list cut off part-way would quietly
    show the coach as free after the cut. The data itself may be perfectly valid (an event
    every minute), so this is not an :class:`InvalidCalendar`; the caller decides what
    such an event means, for example busy for the whole window.

    Attributes:
        uid: the UID of the recurring event.
        limit: the number of instances that was exceeded.
    """

    def __init__(self, message: str, *, uid: str, limit: int) -> None:
        super().__init__(message)
        self.uid = uid
        self.limit = limit
