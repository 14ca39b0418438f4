"""Configuration of the website from ``officehours.settings`` (the one way in: the environment)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from officehours.db import Database
from officehours.runtime import service_pool
from officehours.settings import Settings

KEY_FILE = "web-secret-key"


def secret_key(settings: Settings) -> str:
    """OFFICEHOURS_SECRET_KEY, else a random key kept in the data folder, so that restarting
    the server keeps everyone signed in."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / KEY_FILE
    try:
        key = path.read_text().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together agree on whichever key was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def config_from_settings(
    settings: Settings | None = None, db: Database | None = None
) -> dict[str, Any]:
    """The Flask configuration for these settings (from the environment when None).

    db: the pool to use; when None one is opened on DATABASE_URL.
    Raises RuntimeError when there is neither a pool nor DATABASE_URL.
    """
    settings = settings or Settings.from_env()
    if db is None:
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL must be set to run the booking website on its own")
        db = service_pool(settings, settings.database_url, "web")
    return {
        "DATABASE": db,
        "SECRET_KEY": secret_key(settings),
        "BASE_URL": settings.base_url,
        "CALDAV_URL": settings.caldav_url,
        "PROXIES": settings.proxies,
    }
