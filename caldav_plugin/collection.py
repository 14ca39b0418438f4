"""The collection class Radicale gets: the reading part and the writing part together."""

from __future__ import annotations

from caldav_plugin.write import CollectionPartWrite

__all__ = ["Collection"]


class Collection(CollectionPartWrite):
    """A collection of the PostgreSQL storage (see ``read`` and ``write``)."""
