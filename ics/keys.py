"""Stable resource names for the calendar items we generate."""

from __future__ import annotations

import hashlib
import re

__all__ = ["item_key"]

_SAFE_LOCAL = re.compile(r"[A-Za-z0-9._~-]+")


def item_key(uid: str) -> str:
    """Return the resource name (last path segment, ending ``.ics``) for the item ``uid``.

    For our own UIDs (``<local>@<domain>`` with a plain local part, such as an
    appointment's ``<token>@<domain>``) it is ``<local>.ics``, readable and usable in a URL
    without escaping. Any other UID gets ``<sha256 of the UID>.ics``. The name depends on
    the UID only, so an item keeps its href for as long as it keeps its UID. Names are
    unique among UIDs that share one domain, which is how a collection's items are made.

    Raises:
        ValueError: if ``uid`` is empty.
    """
    if not uid:
        raise ValueError("uid must not be empty")
    local, at, _domain = uid.rpartition("@")
    if at and _SAFE_LOCAL.fullmatch(local) and local not in (".", ".."):
        return f"{local}.ics"
    return f"{hashlib.sha256(uid.encode('utf-8')).hexdigest()}.ics"
