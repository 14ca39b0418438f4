"""The plugin's own Radicale options, and the one database pool per process they point to.

Radicale passes every plugin the same configuration object. The options below are declared in
``PLUGIN_CONFIG_SCHEMA`` (Radicale's convention for plugin options) under ``[storage]``; the
auth plugin reads the database URL from there too, so it is written down once.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from radicale import config

from officehours.db import Database
from officehours.runtime import service_pool
from officehours.settings import Settings

PLUGIN_CONFIG_SCHEMA: dict[str, dict[str, dict[str, Any]]] = {
    "storage": {
        "database_url": {
            "value": "",
            "help": "PostgreSQL URL; empty: the DATABASE_URL environment variable",
            "type": str,
        },
        "pool_size": {
            "value": "10",
            "help": "most database connections this process keeps open",
            "type": int,
        },
        "uid_domain": {
            "value": "",
            "help": "host name on the right of generated UIDs; empty: the host of "
            "OFFICEHOURS_BASE_URL",
            "type": str,
        },
        "busy_instance_limit": {
            "value": "1000",
            "help": "most busy intervals one recurring event may produce",
            "type": int,
        },
        "clock": {
            "value": "",
            "help": "freeze the rules' clock at this ISO time (tests and demos); empty: real time",
            "type": str,
        },
    }
}

_pools: dict[str, Database] = {}
_pools_lock = threading.Lock()


@dataclass(frozen=True)
class Options:
    """The plugin options, read and checked once."""

    database_url: str
    pool_size: int
    uid_domain: str
    busy_instance_limit: int
    clock: datetime | None

    @classmethod
    def from_configuration(cls, configuration: config.Configuration) -> Options:
        """Reads the options; raises RuntimeError naming the option that is wrong."""
        conf = configuration.copy(PLUGIN_CONFIG_SCHEMA)
        url = conf.get("storage", "database_url") or os.environ.get("DATABASE_URL", "")
        if not url:
            raise RuntimeError(
                "set [storage] database_url or the DATABASE_URL environment variable"
            )
        domain = conf.get("storage", "uid_domain") or Settings.from_env().uid_domain
        clock_text = conf.get("storage", "clock")
        try:
            clock = datetime.fromisoformat(clock_text) if clock_text else None
        except ValueError as exc:
            raise RuntimeError(f"[storage] clock is not an ISO time: {clock_text!r}") from exc
        if clock is not None and clock.utcoffset() is None:
            raise RuntimeError("[storage] clock needs a UTC offset")
        limit = conf.get("storage", "busy_instance_limit")
        if limit < 1:
            raise RuntimeError("[storage] busy_instance_limit must be positive")
        return cls(url, conf.get("storage", "pool_size"), domain, limit, clock)

    def database(self) -> Database:
        """The process's pool for this URL (shared by storage and auth)."""
        return pool_for(self.database_url, self.pool_size)


def pool_for(url: str, size: int = 10) -> Database:
    """The one pool of this process for ``url``, made on first use."""
    with _pools_lock:
        db = _pools.get(url)
        if db is None:
            # The settings' limits on waiting (OFFICEHOURS_LOCK_TIMEOUT and the others).
            db = _pools[url] = service_pool(Settings.from_env(), url, "caldav", size)
        return db


def register_pool(db: Database) -> None:
    """Lets the plugins use a pool made elsewhere (``officehours serve`` passes its own)."""
    with _pools_lock:
        _pools.setdefault(db.url, db)


def forget_pool(db: Database) -> None:
    """Undoes ``register_pool`` (when the service that made the pool stops)."""
    with _pools_lock:
        if _pools.get(db.url) is db:
            del _pools[db.url]
