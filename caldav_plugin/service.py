"""``officehours serve`` runs Radicale with these plugins at OFFICEHOURS_CALDAV, and keeps
recurring busy time expanded to the booking horizon (``caldav_plugin.refresh``) from a thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import radicale
from radicale import config

from caldav_plugin import options
from caldav_plugin.refresh import BusyRefresher
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
            # The login is an email address, which may hold ' * ? (o'brien@example.com):
            # Radicale's "minimal" check refuses them; caldav_plugin.auth checks the address.
            "server": {"validate_user_value": "none"},
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


class CaldavService:
    """Radicale with the plugins served from a thread, and the hourly refresh of recurring
    busy time beside it."""

    name = "caldav"

    def __init__(self, server: WsgiService, refresher: BusyRefresher, db: Database) -> None:
        self.server = server
        self.refresher = refresher
        self.db = db

    @property
    def url(self) -> str:
        """The server's URL, without the trailing slash."""
        return self.server.url

    def start(self) -> None:
        """Starts serving and refreshing; returns at once."""
        self.server.start()
        self.refresher.start()

    def stop(self) -> None:
        """Stops the refresh (after the one in hand) and the server, and waits for both."""
        self.refresher.stop()
        self.server.stop()
        options.forget_pool(self.db)

    def describe(self) -> str:
        """One line for the console: where CalDAV answers."""
        return self.server.describe()


def make_service(settings: Settings, db: Database) -> CaldavService:
    """The CalDAV service of ``officehours serve``: Radicale on ``settings.caldav``, and
    recurring busy time refreshed every hour."""
    options.register_pool(db)
    server = WsgiService("caldav", make_app(db.url), settings.caldav, "CalDAV (Radicale)")
    return CaldavService(server, BusyRefresher(db), db)
