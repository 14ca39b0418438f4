"""The booking website and JSON API: a Flask application over the officehours core.

``create_app(test_config=None)`` builds it. Without ``test_config`` the configuration comes from
the environment (``officehours.settings``); tests pass a mapping with at least ``DATABASE`` (an
``officehours.db.Database``) and ``SECRET_KEY``. Each blueprint is one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

from booking_web import (
    account,
    admin,
    admin_bookings,
    admin_users,
    api,
    appointments,
    auth,
    booking_pages,
    calendar,
    call_details,
    coach,
    coach_booking,
    errors,
    forms,
    health,
    password_links,
    security,
    series,
    timefmt,
)
from booking_web.config import config_from_settings


class PublicToken(BaseConverter):
    """A path segment holding a public identifier (appointment token, slug, handle): URL-safe
    base64 letters only, so '<token>.ics' and '<token>' never match the same path."""

    regex = r"[A-Za-z0-9_-]{1,100}"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI application.

    test_config: configuration to use instead of the environment's. Keys: DATABASE (required),
    SECRET_KEY (required), NOW (a fixed clock for the rules, tests only), BASE_URL, CALDAV_URL,
    PROXIES (how many reverse proxies' X-Forwarded-* headers to trust).
    """
    app = Flask(__name__)
    app.config.from_mapping(
        NOW=None,
        BASE_URL="http://127.0.0.1:8000",
        CALDAV_URL="http://127.0.0.1:5232",
        SESSION_COOKIE_NAME="officehours_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        MAX_FORM_PARTS=200,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config_from_settings() if test_config is None else test_config)
    if "DATABASE" not in app.config or not app.config.get("SECRET_KEY"):
        raise RuntimeError("the booking website needs DATABASE and SECRET_KEY")
    app.url_map.converters["token"] = PublicToken
    security.init_app(app)
    forms.init_app(app)
    timefmt.init_app(app)
    errors.init_app(app)
    for blueprint in (
        auth.bp,
        account.bp,
        booking_pages.bp,
        appointments.bp,
        calendar.bp,
        call_details.bp,
        coach.bp,
        coach_booking.bp,
        admin.bp,
        admin_users.bp,
        admin_bookings.bp,
        api.bp,
        health.bp,
        password_links.bp,
        series.bp,
    ):
        app.register_blueprint(blueprint)
    proxies = int(app.config.get("PROXIES", 0))
    if proxies:
        # Behind N proxies, the client's address and scheme are in their X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app
