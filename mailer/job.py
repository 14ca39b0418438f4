"""One claimed mail: what ``mail_claim()`` returns, and the appointment it describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from ics.model import Appointment, Person
from mailer.call_details import CallFacts

Kind = Literal["booked", "moved", "cancelled", "reminder", "updated"]
Recipient = Literal["client", "coach"]


@dataclass(frozen=True, kw_only=True)
class Party:
    """A coach or client as they are when the mail is sent."""

    name: str
    email: str
    tz: str


@dataclass(frozen=True, kw_only=True)
class Job:
    """A mail to send about one change of one appointment, to one side of it.

    ``revision``, ``starts``/``ends`` and ``previous_*`` come from the appointment's history
    row of that change, so a mail always describes its own change, never a later one.
    ``changed_at`` is when the change was made (the invite's DTSTAMP); ``changed_by_name`` and
    ``changed_by_role`` say who made it (None: the owner, an operator or the system), and
    ``reason`` why, when they said.
    """

    public_id: str
    kind: Kind
    recipient: Recipient
    attempts: int
    token: str
    revision: int
    changed_at: datetime
    starts: datetime
    ends: datetime
    previous_starts: datetime | None
    previous_ends: datetime | None
    coach: Party
    client: Party
    call: CallFacts = field(default_factory=CallFacts)
    changed_by_name: str | None = None
    changed_by_role: str | None = None
    reason: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        """Builds a job from a ``mail_claim()`` row (a dict of its columns)."""
        return cls(
            public_id=row["public_id"],
            kind=row["kind"],
            recipient=row["recipient"],
            attempts=row["attempts"],
            token=row["token"],
            revision=row["revision"],
            changed_at=row["changed_at"],
            starts=row["starts"],
            ends=row["ends"],
            previous_starts=row["previous_starts"],
            previous_ends=row["previous_ends"],
            coach=Party(name=row["coach_name"], email=row["coach_email"], tz=row["coach_tz"]),
            client=Party(name=row["client_name"], email=row["client_email"], tz=row["client_tz"]),
            call=CallFacts.from_row(row),
            changed_by_name=row.get("changed_by_name"),
            changed_by_role=row.get("changed_by_role"),
            reason=row.get("reason"),
        )

    @property
    def to(self) -> Party:
        """The person this mail goes to."""
        return self.client if self.recipient == "client" else self.coach

    @property
    def other(self) -> Party:
        """The other side of the call."""
        return self.coach if self.recipient == "client" else self.client

    def url(self, base_url: str) -> str:
        """The appointment's page on the website."""
        return f"{base_url.rstrip('/')}/appointments/{quote(self.token, safe='')}"

    def appointment(self, base_url: str) -> Appointment:
        """The appointment as the invite builders take it, in the state of this change.

        Raises:
            ValueError: if a name, address, zone or the URL is not acceptable in an invite.
        """
        return Appointment(
            token=self.token,
            revision=self.revision,
            status="cancelled" if self.kind == "cancelled" else "booked",
            start=self.starts,
            end=self.ends,
            coach=Person(name=self.coach.name, email=self.coach.email),
            client=Person(name=self.client.name, email=self.client.email),
            coach_tz=self.coach.tz,
            client_tz=self.client.tz,
            url=self.url(base_url),
            call=self.call.details,
            note=self.call.note,
        )
