"""How the call happens, and the client's note, in a mail: the rows of the mail's table of
facts. The claim query adds the columns (``call_kind``, ``call_value``, ``call_details`` and,
for the coach's mail only, ``call_note``); a claim row without them is a mail about a call with
no details."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ics.calls import CallDetails


@dataclass(frozen=True, kw_only=True)
class CallFacts:
    """What a mail says about how the call happens, and the note the client left the coach."""

    details: CallDetails | None = None
    note: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CallFacts:
        """Reads the call_* columns of a claim row.

        Raises:
            ValueError: if the stored details break the rules (a permanent problem).
        """
        kind, value, details = row.get("call_kind"), row.get("call_value"), row.get("call_details")
        found = None
        if kind is not None or details is not None:
            found = CallDetails(kind=kind, value=value, details=details)
        return cls(details=found, note=row.get("call_note"))


def facts(call: CallFacts) -> list[tuple[str, str]]:
    """Label/value rows for the mail: how to join, the coach's words, the client's note."""
    rows: list[tuple[str, str]] = []
    details = call.details
    if details is not None:
        if details.label and details.value:
            rows.append((details.label, details.value))
        if details.details:
            rows.append(("How the call happens", details.details))
    if call.note:
        rows.append(("Note from the client", call.note))
    return rows
