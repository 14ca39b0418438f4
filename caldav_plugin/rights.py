"""Radicale rights (``[rights] type = caldav_plugin.rights``): a principal sees only its own
collections; the generated ones are read-only and the busy calendar cannot be deleted.

Decided from the path alone, because Radicale asks before it opens the storage. The database
is the second line: row-level security shows a user only their own rows, and only coaches may
keep calendars of their own (the row-level security policies ``caldav_collections_own``,
``caldav_items_own`` and ``caldav_changes_own``).
"""

from __future__ import annotations

from radicale import pathutils, rights

from caldav_plugin.generated import GENERATED

BUSY = "busy"


class Rights(rights.BaseRights):
    """Own collections only; see the module docstring."""

    def authorization(self, user: str, user_groups: set[str], path: str) -> str:
        """Radicale's permission letters for ``user`` on ``path`` (see radicale.rights)."""
        if not user:
            return ""
        parts = pathutils.strip_path(path).split("/") if pathutils.strip_path(path) else []
        if not parts:
            return "R"
        if parts[0] != user:
            return ""
        if len(parts) == 1:
            return "R"
        if len(parts) == 2:
            if parts[1] in GENERATED:
                return "r"
            if parts[1] == BUSY:
                return "rwd"
            return "rw"
        return ""
