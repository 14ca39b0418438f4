"""The booking website as a service of `officehours serve`."""

from __future__ import annotations

from booking_web import create_app
from booking_web.config import config_from_settings
from officehours.db import Database
from officehours.services import Service, WsgiService
from officehours.settings import Settings


def make_service(settings: Settings, db: Database) -> Service:
    """Serves the website at settings.web (127.0.0.1:8000 by default) on the shared pool."""
    app = create_app(config_from_settings(settings, db))
    return WsgiService("web", app, settings.web, "Booking website")
