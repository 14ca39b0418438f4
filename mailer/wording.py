"""What a mail says: subject, plain text and HTML, each time in the reader's own zone."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from mailer.call_details import facts as call_facts
from mailer.changes import change_facts
from mailer.job import Job

DASH = "\u2013"


def when(start: datetime, end: datetime, tz: str) -> str:
    """A call's time in zone ``tz``, with the zone named.

    For example ``Monday 15 March 2027, 09:00-10:00 PDT (America/Los_Angeles)`` (with an en
    dash).

    Raises:
        zoneinfo.ZoneInfoNotFoundError: if ``tz`` is not a known zone.
    """
    zone = ZoneInfo(tz)
    s, e = start.astimezone(zone), end.astimezone(zone)
    day = f"{s:%A} {s.day} {s:%B %Y}"
    s_abbr, e_abbr = s.tzname() or "", e.tzname() or ""
    if s.date() != e.date():
        return f"{day}, {s:%H:%M} {s_abbr} {DASH} {e:%A} {e.day} {e:%B} {e:%H:%M} {e_abbr} ({tz})"
    if s_abbr != e_abbr:
        return f"{day}, {s:%H:%M} {s_abbr} {DASH} {e:%H:%M} {e_abbr} ({tz})"
    return f"{day}, {s:%H:%M}{DASH}{e:%H:%M} {s_abbr} ({tz})"


def short_when(start: datetime, tz: str) -> str:
    """A call's start for a subject line: ``Mon 15 Mar 2027 09:00 PDT``."""
    s = start.astimezone(ZoneInfo(tz))
    return f"{s:%a} {s.day} {s:%b %Y %H:%M} {s.tzname() or ''}".rstrip()


@dataclass(frozen=True)
class Wording:
    """The words of one mail: a greeting, a lead paragraph, ``facts`` as label/value rows, the
    appointment's link and a closing line. All of it is plain text; :meth:`html` escapes it."""

    subject: str
    greeting: str
    lead: str
    facts: list[tuple[str, str]]
    url: str
    closing: str

    def text(self) -> str:
        """The text/plain body."""
        facts = "\n".join(f"{label}: {value}" for label, value in self.facts)
        return (
            f"{self.greeting}\n\n{self.lead}\n\n{facts}\n\n"
            f"See or change it: {self.url}\n\n{self.closing}\n\n-- \nofficehours\n"
        )

    def html(self) -> str:
        """The text/html body; every value that came from a user is escaped."""
        e = html.escape
        rows = "\n".join(
            f'<tr><th scope="row" align="left">{e(label)}</th><td>{e(value)}</td></tr>'
            for label, value in self.facts
        )
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{e(self.subject)}</title></head>\n<body>\n"
            f"<p>{e(self.greeting)}</p>\n<p>{e(self.lead)}</p>\n"
            f"<table>\n{rows}\n</table>\n"
            f'<p><a href="{e(self.url, quote=True)}">See or change it</a></p>\n'
            f"<p>{e(self.closing)}</p>\n<p>-- <br>officehours</p>\n</body></html>\n"
        )


def closing_line(kind: str, recipient: str, calls: int = 1) -> str:
    """The last line of a mail: what its attachments do (the client's), or where the coach finds
    the call (the coach's mail carries no invite: the coach is the ORGANIZER, and the event is
    in their officehours calendar already)."""
    them = "the call" if calls == 1 else "these calls"
    if recipient == "coach":
        if kind == "cancelled":
            return f"Your officehours calendar no longer shows {them}."
        return f"Your officehours calendar shows {them}: there is nothing to accept."
    if calls > 1:
        if kind == "cancelled":
            return "A cancellation for each call is attached: each removes its call."
        return "An invite for each call is attached: open each to add it to your calendar."
    if kind in ("moved", "updated"):
        return "The attached invite updates the call in your calendar."
    if kind == "cancelled":
        return "The attached cancellation removes the call from your calendar."
    if kind == "reminder":
        return "The invite is attached again, in case your calendar does not have it yet."
    return "The invite is attached: open it to add the call to your calendar."


def wording(job: Job, base_url: str) -> Wording:
    """The words of the mail for ``job``, addressed to its recipient in their zone."""
    me, other = job.to, job.other
    now_when = when(job.starts, job.ends, me.tz)
    subject_when = short_when(job.starts, me.tz)
    call = (
        f"your coaching call with {other.name}"
        if job.recipient == "client"
        else f"the coaching call with {other.name}"
    )
    facts: list[tuple[str, str]] = [("When", now_when)]
    facts.append(party_fact(job))
    if job.kind == "booked":
        subject = f"Booked: coaching call with {other.name}, {subject_when}"
        lead = (
            f"Your coaching call with {other.name} is booked."
            if job.recipient == "client"
            else f"{other.name} has a coaching call with you."
        )
    elif job.kind == "moved":
        subject = f"Moved: coaching call with {other.name}, now {subject_when}"
        lead = f"{call[0].upper()}{call[1:]} has moved to a new time."
        facts[0] = ("New time", now_when)
        if job.previous_starts is not None and job.previous_ends is not None:
            facts.insert(1, ("Was", when(job.previous_starts, job.previous_ends, me.tz)))
    elif job.kind == "updated":
        subject = f"Updated: how your coaching call with {other.name} happens, {subject_when}"
        lead = f"How {call} happens has changed; the time has not."
    elif job.kind == "cancelled":
        subject = f"Cancelled: coaching call with {other.name}, {subject_when}"
        lead = f"{call[0].upper()}{call[1:]} is cancelled."
    else:
        subject = f"Reminder: coaching call with {other.name}, {subject_when}"
        lead = f"A reminder: {call} is coming up."
    facts.extend(call_facts(job.call))
    facts.extend(change_facts(job, base_url))
    return Wording(
        subject=subject,
        greeting=f"Hello {me.name},",
        lead=lead,
        facts=facts,
        url=job.url(base_url),
        closing=closing_line(job.kind, job.recipient),
    )


def party_fact(job: Job) -> tuple[str, str]:
    """The row naming the other side: the coach for the client, the client (and their address)
    for the coach."""
    if job.recipient == "client":
        return ("Coach", job.other.name)
    return ("Client", f"{job.other.name} <{job.other.email}>")


def series_wording(jobs: Sequence[Job], base_url: str) -> Wording:
    """The words of one mail about several calls changed together (a series booked or
    cancelled), all to one recipient: one row per call, in the order given (by start).

    Raises:
        ValueError: if ``jobs`` is empty.
    """
    if not jobs:
        raise ValueError("a mail about calls needs at least one call")
    first = jobs[0]
    me, other = first.to, first.other
    kinds = {j.kind for j in jobs}
    kind = first.kind if len(kinds) == 1 else "changed"
    count = f"{len(jobs)} coaching calls with {other.name}"
    verb = {"booked": "Booked", "cancelled": "Cancelled", "moved": "Moved"}.get(kind, "Changed")
    subject = f"{verb}: {count}, from {short_when(first.starts, me.tz)}"
    if kind == "booked":
        lead = (
            f"Your {len(jobs)} monthly coaching calls with {other.name} are booked."
            if first.recipient == "client"
            else f"{other.name} has booked {len(jobs)} monthly coaching calls with you."
        )
    elif kind == "cancelled":
        lead = f"These {len(jobs)} coaching calls with {other.name} are cancelled."
    else:
        lead = f"These {len(jobs)} coaching calls with {other.name} have changed."
    facts = [
        (call_label(n, j.kind, kind), when(j.starts, j.ends, me.tz))
        for n, j in enumerate(jobs, start=1)
    ]
    facts.append(party_fact(first))
    return Wording(
        subject=subject,
        greeting=f"Hello {me.name},",
        lead=lead,
        facts=facts,
        url=first.url(base_url),
        closing=closing_line(kind, first.recipient, len(jobs)),
    )


def call_label(n: int, kind: str, batch_kind: str) -> str:
    """The label of the ``n``-th call's row in a mail about several calls; it names the change
    when the calls did not all change the same way."""
    return f"Call {n}" if kind == batch_kind else f"Call {n} ({kind})"
