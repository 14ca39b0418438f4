"""The booking website as a service of `officehours serve`."""

from __future__ import annotations

from booking_web import create_app
from booking_web.config import config_from_settings
from officehours.db import Database
from officehours.services import HttpLimits, Service, WsgiService
from officehours.settings import Settings

# Larger bodies than the application takes (MAX_CONTENT_LENGTH, 64 KiB) still reach it, so
# that it answers them with its own 413; far larger ones the server refuses unread.
MAX_BODY_BYTES = 1024 * 1024


def make_service(settings: Settings, db: Database) -> Service:
    """Serves the website at settings.web (127.0.0.1:8000 by default) on the pool ``db``."""
    config = config_from_settings(settings, db)
    if settings.clock is not None:
        config["NOW"] = settings.clock
    app = create_app(config)
    limits = HttpLimits.from_settings(settings, max_body_bytes=MAX_BODY_BYTES)
    return WsgiService("web", app, settings.web, "Booking website", limits=limits)
