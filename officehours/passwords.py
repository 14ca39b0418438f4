"""Website passwords: the policy every new password meets, and hashing with argon2.

The policy follows NIST SP 800-63B: long enough (12 characters), bounded (256, checked before
any hashing or scoring, so a 60 KB password costs nothing), not only spaces, and not common or
easily guessed. The last is zxcvbn's judgement: its lists of common passwords, words, names,
keyboard patterns, dates, repeats and sequences, plus the user's own name and email and the
service's name; we refuse what it scores below 3 (fewer than 10^8 guesses). No rule about
character classes, as NIST advises. The website, the command line and every other caller use
``check_password`` (through ``hash_password``), so there is one policy.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3
# zxcvbn's own bound: its cost grows fast with length (0.8 s for 256 characters), so it looks
# at the start of a longer password only, which must then be strong on its own.
_SCORED_LENGTH = 72
# Words anyone guessing an officehours password would try first.
SERVICE_WORDS = ("officehours", "office hours", "coach", "coaching")
# zxcvbn keeps the user's words in a module-level dictionary while it scores: two threads
# scoring at once would see each other's words.
_scoring = threading.Lock()


class WeakPassword(ValueError):
    """A password the policy refuses; the message says why, for the person choosing it."""


def _user_words(user_inputs: Iterable[str]) -> list[str]:
    """The user's name and email, whole and in pieces, as zxcvbn's user inputs."""
    words: list[str] = list(SERVICE_WORDS)
    for given in user_inputs:
        text = given.strip().lower()
        if not text:
            continue
        pieces = [p for p in re.split(r"[^\w]+", text) if len(p) >= 3]
        words += [text, "".join(pieces), *pieces]
    return words


def check_password(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raises WeakPassword, with a message for the user, unless the password meets the policy.

    user_inputs: the user's own email address and name, which the password must not be made of.
    """
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"A password can have at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise WeakPassword("A password cannot be only spaces.")
    with _scoring:
        verdict = zxcvbn(password[:_SCORED_LENGTH], user_inputs=_user_words(user_inputs))
    if verdict["score"] < MIN_SCORE:
        warning = verdict["feedback"].get("warning") or (
            "It is made of common words or patterns, or of your own name or email"
        )
        raise WeakPassword(
            f"That password is too easy to guess. {warning.rstrip('.')}. "
            "A few uncommon words together make a good one."
        )


def hash_password(password: str, *, user_inputs: Iterable[str] = ()) -> str:
    """The argon2 hash of a new password; raises WeakPassword (see check_password) first."""
    check_password(password, user_inputs=user_inputs)
    return _hasher.hash(password)


def rehash(password: str) -> str:
    """A hash with today's parameters of a password that just matched its stored hash. No
    policy check: the password was accepted when it was set, and may predate the policy."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash. A password longer than any the policy allows
    is refused without hashing it."""
    if len(password) > MAX_LENGTH:
        return False
    if not password_hash:
        # Spend the same time as a real check, so timing does not tell which emails exist.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
