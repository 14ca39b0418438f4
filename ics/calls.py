"""How a call happens, and the client's note: the one definition every part uses.

A coach says how their calls happen: a video link, a phone number or a place (the *kind* and
its *value*), plus free text ("I will call you on the number you give"); one call may have its
own. A client may leave a note for the coach. The database CHECKs (``call_value_problem`` and
``call_text_problem`` in ``sql/migrations/0051_call_details.sql``) are the twins of
:func:`value_problem` and :func:`text_problem` here, and ``tests/sql/test_call_details.py`` runs
one corpus through both, as ``ics.addresses`` does for names and email addresses.

The rules, and why:

- a video link is an ``https://`` URL of at most 500 characters, ASCII only, with a host name and
  nothing a URI may not hold: it becomes a link on pages and in mails and the RFC 7986
  CONFERENCE property of the invites, and plain http would send people to a call in the clear;
- a phone number has 5 to 15 digits (E.164 allows 15), with an optional ``+`` in front and
  spaces, dashes, dots or brackets between; one that starts with ``+`` is also given to calendar
  apps as a ``tel:`` URI;
- a place is at most 300 characters;
- each of these is one line, without C0 or C1 controls, line separators or text-direction marks,
  and without white space at either end;
- free text (the coach's words, the client's note) is at most 1000 characters and may hold line
  breaks (LF) but no other control characters or text-direction marks.

Our own patterns rather than a URL or phone library: the SQL twin must accept exactly the same
texts, and no library offers a rule PostgreSQL can run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "TEXT_MAX",
    "CallDetails",
    "CallKind",
    "clean_text",
    "tel_uri",
    "text_problem",
    "value_problem",
]

CallKind = Literal["video", "phone", "place"]
KINDS: tuple[CallKind, ...] = ("video", "phone", "place")
TEXT_MAX = 1000

_FORBIDDEN = (
    "\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff"
)
_ONE_LINE_FORBIDDEN = re.compile(f"[\x00-\x1f{_FORBIDDEN}]")
_TEXT_FORBIDDEN = re.compile(f"[\x00-\x09\x0b-\x1f{_FORBIDDEN}]")
# PostgreSQL's \s: space, tab, line feed, vertical tab, form feed, carriage return.
_PADDED = re.compile(r"^[ \t\n\v\f\r]|[ \t\n\v\f\r]$")
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HTTPS = re.compile(
    rf"https://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*)?"
)
_PHONE = re.compile(r"\+?[0-9(][0-9 ().-]*[0-9]")

_MISSING = {
    "video": "Give the link of the video call.",
    "phone": "Give the phone number to call.",
    "place": "Give the place where you meet.",
}


def value_problem(kind: object, value: object) -> str | None:
    """Why ``kind`` and ``value`` do not go together, or None when they do (both None is fine:
    no details). The SQL twin's verdict, word for word."""
    if kind is None and value is None:
        return None
    if kind not in KINDS:
        return "Choose whether calls happen by video, by phone or at a place."
    if not isinstance(value, str) or value == "":
        return _MISSING[str(kind)]
    if _ONE_LINE_FORBIDDEN.search(value):
        return (
            "The link, number or place must be one line, without control characters or"
            " text-direction marks."
        )
    if _PADDED.search(value):
        return "The link, number or place must not start or end with a space."
    if kind == "video":
        if len(value) > 500:
            return "A video link is at most 500 characters."
        if not _HTTPS.fullmatch(value):
            return "A video link is an https:// address, like https://meet.example.org/room."
    elif kind == "phone":
        digits = sum(ch.isascii() and ch.isdigit() for ch in value)
        if not _PHONE.fullmatch(value) or not 5 <= digits <= 15 or len(value) > 40:
            return (
                "A phone number has 5 to 15 digits, with an optional + in front and spaces,"
                " dashes, dots or brackets between."
            )
    elif len(value) > 300:
        return "A place is at most 300 characters."
    return None


def text_problem(text: object, limit: int = TEXT_MAX) -> str | None:
    """Why ``text`` is not acceptable free text about a call, or None when it is (None is fine:
    no text). The wording completes "The note ..." or "The text ..."."""
    if text is None:
        return None
    if not isinstance(text, str):
        return "must be text"
    if len(text) > limit:
        return f"is at most {limit} characters"
    if not text.strip(" \t\n\v\f\r"):
        return "must not be blank"
    if _PADDED.search(text):
        return "must not start or end with a space"
    if _TEXT_FORBIDDEN.search(text):
        return "must not contain control characters or text-direction marks (line breaks are fine)"
    return None


def clean_text(text: str | None) -> str | None:
    """Typed free text as it is stored: line ends as LF, white space around it taken off, and
    None for nothing at all. The setters in SQL do the same."""
    if text is None:
        return None
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip(" \t\n\v\f\r")
    return cleaned or None


def tel_uri(number: str) -> str | None:
    """The ``tel:`` URI (RFC 3966) of a global phone number (one that starts with ``+``), or None
    for a local one, which a URI cannot carry without knowing its country."""
    if not number.startswith("+"):
        return None
    return "tel:+" + "".join(ch for ch in number if ch.isascii() and ch.isdigit())


_LABELS = {"video": "Video call", "phone": "Phone", "place": "Place"}


@dataclass(frozen=True, kw_only=True, slots=True)
class CallDetails:
    """How one call happens: ``kind`` and ``value`` (both None when only ``details`` is given)
    and the coach's free text.

    Raises:
        ValueError: if the values break the rules above (the message says which).
    """

    kind: CallKind | None
    value: str | None
    details: str | None = None

    def __post_init__(self) -> None:
        problem = value_problem(self.kind, self.value)
        if problem is not None:
            raise ValueError(problem)
        problem = text_problem(self.details)
        if problem is not None:
            raise ValueError(f"details {problem}")
        if self.kind is None and self.details is None:
            raise ValueError("call details need a kind and value, or free text")

    @property
    def label(self) -> str | None:
        """What the value is, for people: "Video call", "Phone" or "Place"."""
        return _LABELS[self.kind] if self.kind else None

    def lines(self) -> list[str]:
        """The details as plain-text lines, for a DESCRIPTION or a mail."""
        found = [f"{self.label}: {self.value}"] if self.kind else []
        if self.details:
            found.append(self.details)
        return found
