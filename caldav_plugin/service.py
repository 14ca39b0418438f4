"""``officehours serve`` runs Radicale with these plugins at OFFICEHOURS_CALDAV."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import radicale
from radicale import config

from caldav_plugin import options
from officehours.db import Database
from officehours.services import WsgiService
from officehours.settings import Settings


def configuration(
    database_url: str, extra: dict[str, dict[str, str]] | None = None
) -> config.Configuration:
    """Radicale's configuration for the plugins on ``database_url``, plus ``extra`` sections
    (e.g. ``{"storage": {"clock": ...}}`` in tests)."""
    conf = config.load()
    conf.update(
        {
            "auth": {"type": "caldav_plugin.auth", "realm": "officehours", "delay": "0"},
            "rights": {"type": "caldav_plugin.rights"},
            "storage": {"type": "caldav_plugin.storage", "database_url": database_url},
            "web": {"type": "none"},
            "logging": {"level": "warning", "mask_passwords": "True"},
        },
        "officehours",
    )
    for section, values in (extra or {}).items():
        conf.update({section: values}, "officehours (extra)")
    return conf


def make_app(
    database_url: str, extra: dict[str, dict[str, str]] | None = None
) -> Callable[..., Any]:
    """Radicale's WSGI application with the plugins."""
    return utf8_paths(radicale.Application(configuration(database_url, extra)))


def utf8_paths(app: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a WSGI app so PATH_INFO is read as UTF-8.

    WSGI servers (wsgiref, gunicorn) hand over PATH_INFO decoded as ISO-8859-1, as PEP 3333
    says; Radicale's own server decodes UTF-8 instead, and Radicale expects that. Without this,
    a calendar named "privé" would reach Radicale as "privÃ©".
    """

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        try:
            environ["PATH_INFO"] = path.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass  # already text, or not UTF-8: Radicale refuses a bad path itself
        return app(environ, start_response)

    return wrapped


def make_service(settings: Settings, db: Database) -> WsgiService:
    """The CalDAV service of ``officehours serve``: Radicale on ``settings.caldav``."""
    options.register_pool(db)
    return WsgiService("caldav", make_app(db.url), settings.caldav, "CalDAV (Radicale)")
