"""``officehours serve`` runs Radicale with these plugins at OFFICEHOURS_CALDAV, and keeps
recurring busy time expanded to the booking horizon (``caldav_plugin.refresh``) from a thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from radicale import config
from radicale import log as radicale_log

from caldav_plugin import auth, options, outcome
from caldav_plugin.app import Application
from caldav_plugin.refresh import BusyRefresher
from officehours.db import Database, service_errors
from officehours.errors import Busy, DatabaseUnavailable, OfficeHoursError
from officehours.services import HttpLimits, WsgiService
from officehours.settings import Settings

# Radicale's own limit on a request body ([server] max_content_length): a whole calendar of a
# few thousand events is a few megabytes.
MAX_BODY_BYTES = 100_000_000


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
    """Radicale's WSGI application with the plugins, our answers at its edge
    (``caldav_plugin.app``) and the sign-in guard (``caldav_plugin.auth.guard``)."""
    return serving(auth.guard(Application(configuration(database_url, extra))))


def serving(app: Callable[..., Any]) -> Callable[..., Any]:
    """Radicale as every server runs it: UTF-8 paths, and 503 while the database cannot
    serve."""
    if not any(isinstance(f, _ServiceErrorsInOneLine) for f in radicale_log.logger.filters):
        radicale_log.logger.addFilter(_ServiceErrorsInOneLine())
    return unavailable_as_503(utf8_paths(app))


class _ServiceErrorsInOneLine(logging.Filter):
    """Radicale logs every exception of a request with its traceback; for a database that is
    down or busy (answered 503) the one line of the message says it all, and an outage would
    otherwise fill the log with the same traceback for every request."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, (DatabaseUnavailable, Busy)):
            record.exc_info = None
            record.exc_text = None
        return True


def unavailable_as_503(app: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps Radicale so a request that failed because the database is down or too busy is
    answered 503 with Retry-After, whatever status Radicale gave it.

    ``caldav_plugin.app`` turns the 500s of an outage into 503s; this layer also catches the
    answers Radicale makes of an outage that are not 500s (a sign-in whose check could not
    reach the database is a 401 to Radicale).

    Radicale turns every exception of a plugin into an answer of its own (500, or what the
    storage maps it to), so the cause is gone by the time the answer leaves it; the pool
    records it (``officehours.db.service_errors``) and this layer reads it. Radicale's answers
    are whole byte strings already, so holding one back costs nothing.
    """

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        answer: dict[str, Any] = {}
        written: list[bytes] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return written.append

        with service_errors() as seen:
            body = app(environ, keep)
            try:
                chunks = written + list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        status = str(answer.get("status", "500"))
        if seen and int(status.split()[0]) >= 400:
            return _unavailable(start_response, seen[-1])
        start_response(status, answer.get("headers", []))
        return chunks

    return wrapped


def _unavailable(start_response: Callable[..., Any], error: OfficeHoursError) -> list[bytes]:
    status, headers, body = outcome.unavailable_answer(error)
    start_response(status, headers)
    return body


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
    extra = {"storage": {"clock": settings.clock.isoformat()}} if settings.clock else None
    limits = HttpLimits.from_settings(settings, max_body_bytes=MAX_BODY_BYTES)
    server = WsgiService(
        "caldav", make_app(db.url, extra), settings.caldav, "CalDAV (Radicale)", limits=limits
    )
    return CaldavService(server, BusyRefresher(db, clock=settings.clock), db)
