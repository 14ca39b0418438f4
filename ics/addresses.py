"""What an email address and a display name may be: the one definition every part uses.

The database CHECKs (``is_email_address`` and ``is_display_name`` in
``sql/migrations/0030_addresses.sql``), the website and the command line (through
``officehours.accounts.add_user``), :class:`ics.model.Person` and the mailer all apply these
rules, and ``tests/sql/test_addresses.py`` runs one corpus through the database and through
this module. The module lives in ``ics`` because ``ics`` imports nothing of ours: every other
part already depends on it, so each may import this without a dependency running the wrong way.
It imports the standard library and ``email-validator`` only.

Email addresses
    Typed input goes through :func:`email_address`: ``email-validator`` (syntax only, no DNS),
    which returns the form that is stored. The choices:

    - no quoted local parts (``"a b"@example.com``) and no domain literals
      (``a@[192.0.2.1]``): no mail server of a small organisation needs them, and every mail
      header, SMTP envelope and ``mailto:`` URI can then carry the address as it is;
    - no SMTPUTF8: the part before the ``@`` is ASCII, so the mail goes through any relay;
    - internationalised domains are welcome and stored as their ASCII form (A-labels,
      ``user@xn--bcher-kva.de`` for ``user@bücher.de``), checked by IDNA 2008; the domain is
      stored in lower case; the part before the ``@`` keeps its case;
    - the address needs a dot after the ``@`` and a top-level domain ending in a letter, at
      most 64 characters before the ``@`` and 254 in all, and no special-use domain
      (``localhost``, ``.local``, ``.test``, ``.invalid``, ``.onion``, ``.arpa``).

    :func:`is_email_address` says whether a text is in that stored form. It is the twin of the
    SQL function, character for character, and what the parts that carry a stored address
    check (``Person``). It is our own pattern rather than ``email-validator`` because it must
    accept exactly what the CHECK accepts, and the one check a CHECK cannot make is IDNA's:
    that an ``xn--`` label decodes to a valid name. So the database takes ``a@xn--zz.com``
    (only a hand-written statement can store it; :func:`email_address` refuses it), and since
    it is plain ASCII every part can still carry it; the mail server refuses it for good.

Display names
    One to 200 characters, no white space at either end, and none of the characters that break
    a mail header or an iCalendar line or make a name show as something else: C0 and C1
    controls, the line and paragraph separators (U+2028, U+2029), the bidirectional marks,
    embeddings, overrides and isolates, the byte order mark, interlinear annotations and
    surrogates. Our own list, because no library defines "safe in a mail header and a calendar
    name", and because the SQL twin must name the very same characters (Unicode's categories
    change with each version; PostgreSQL cannot read them at all).
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

__all__ = [
    "AddressError",
    "display_name",
    "email_address",
    "email_problem",
    "is_display_name",
    "is_email_address",
    "name_problem",
]


class AddressError(ValueError):
    """The text is not an acceptable email address or display name; the message says why."""


# The stored form of an address, as the SQL twin writes it (sql/migrations/0030_addresses.sql).
_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_STORED = re.compile(
    rf"(?P<local>[{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@(?P<domain>{_LABEL}(?:\.{_LABEL})+)"
)
# "ab--" at the start of a label is reserved for IDNA (RFC 5891), except the A-labels' "xn--".
_RESERVED_LABEL = re.compile(r"(?:^|\.)(?!xn)[^.]{2}--", re.IGNORECASE)
_SPECIAL_USE = re.compile(r"(?:^|\.)(?:arpa|invalid|local|localhost|onion|test)$", re.IGNORECASE)
# Anything longer cannot be an address; refused before the validator's per-character work.
_LONGEST_INPUT = 1000

# Characters no display name may hold, and the white space it may not start or end with.
_NAME_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_NAME_SPACE = " \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_NAME_PADDED = re.compile(f"^[{_NAME_SPACE}]|[{_NAME_SPACE}]$")
NAME_MAX = 200


def email_problem(text: object) -> str | None:
    """Why ``text`` is not an address in the stored form, or None when it is (the SQL twin's
    verdict)."""
    if not isinstance(text, str):
        return "must be text"
    found = _STORED.fullmatch(text)
    if found is None:
        return "must be a plain address like a@example.org"
    local, domain = found["local"], found["domain"]
    if len(local) > 64 or len(domain) > 253 or len(text) > 254:
        return "is too long"
    if not domain[-1].isalpha():
        return "must end in a top-level domain"
    if _RESERVED_LABEL.search(domain):
        return "has a domain label reserved for IDNA"
    if _SPECIAL_USE.search(domain):
        return "has a special-use domain that takes no mail"
    return None


def is_email_address(text: object) -> bool:
    """True when ``text`` is an address in the form the database stores."""
    return email_problem(text) is None


def email_address(text: str) -> str:
    """The stored form of the address typed as ``text``: checked by ``email-validator``, its
    domain in lower-case ASCII (IDN as A-labels).

    Raises:
        AddressError: saying what is wrong, in the validator's words.
    """
    if not isinstance(text, str):
        raise AddressError("An email address is text.")
    if len(text) > _LONGEST_INPUT:
        raise AddressError("The email address is too long.")
    try:
        checked = validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
            strict=True,
            globally_deliverable=True,
            test_environment=False,
        )
    except EmailNotValidError as exc:
        raise AddressError(str(exc)) from exc
    stored = checked.ascii_email
    # The validator's output always passes the twin (a test runs both over a corpus and random
    # text); this keeps the promise that what we return the database takes, should they drift.
    problem = email_problem(stored)
    if stored is None or problem is not None:
        raise AddressError(f"The email address {problem or 'has no ASCII form'}.")
    return stored


def name_problem(text: object) -> str | None:
    """Why ``text`` is not an acceptable display name, or None when it is (the SQL twin's
    verdict)."""
    if not isinstance(text, str):
        return "must be text"
    if not 1 <= len(text) <= NAME_MAX:
        return f"must be 1 to {NAME_MAX} characters long"
    if _NAME_PADDED.search(text):
        return "must not start or end with a space"
    bad = _NAME_FORBIDDEN.search(text)
    if bad:
        return (
            "must not contain control characters, line separators or text-direction marks"
            f" (U+{ord(bad.group()):04X})"
        )
    return None


def is_display_name(text: object) -> bool:
    """True when ``text`` is an acceptable display name."""
    return name_problem(text) is None


def display_name(text: str) -> str:
    """``text``, when it is an acceptable display name.

    Raises:
        AddressError: saying what is wrong.
    """
    problem = name_problem(text)
    if problem is not None:
        raise AddressError(f"A name {problem}.")
    return text
