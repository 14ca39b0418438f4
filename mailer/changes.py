"""Who changed a call and why: the lines a cancel or move mail adds when someone other than its
reader made the change (a coach, or an admin), and the client's link to book again."""

from __future__ import annotations

from mailer.job import Job

_ROLES = {"coach": "coach", "admin": "administrator"}


def change_facts(job: Job, base_url: str) -> list[tuple[str, str]]:
    """Label/value rows for the mail of ``job``: who cancelled or moved the call, their reason,
    and, for a client whose call was cancelled, where to book another. None for a booking, a
    reminder, or a change the reader made themself."""
    if job.kind not in ("cancelled", "moved") or job.changed_by_role not in _ROLES:
        return []
    if job.changed_by_role == job.recipient:
        return []  # the reader did it: a coach's own cancellation needs no "by you"
    rows: list[tuple[str, str]] = []
    role = _ROLES[job.changed_by_role]
    whose = "your" if job.recipient == "client" and role == "coach" else "an"
    verb = "Cancelled by" if job.kind == "cancelled" else "Moved by"
    rows.append((verb, f"{job.changed_by_name}, {whose} {role}"))
    rows.append(("Reason", job.reason or "None given"))
    if job.kind == "cancelled" and job.recipient == "client":
        rows.append(("Book another call", f"{base_url.rstrip('/')}/book"))
    return rows
