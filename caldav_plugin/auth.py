"""Radicale auth (``[auth] type = caldav_plugin.auth``): an email address and an app password.

App passwords are made on the website or with ``officehours app-password create``; PostgreSQL
keeps only their hashes. The login is the email, but Radicale's user is the principal's slug,
so paths never carry an email address.
"""

from __future__ import annotations

from radicale import auth, config

from caldav_plugin.options import Options
from officehours import accounts


class Auth(auth.BaseAuth):
    """Checks an email and app password against PostgreSQL."""

    def __init__(self, configuration: config.Configuration) -> None:
        super().__init__(configuration)
        self._db = Options.from_configuration(configuration).database()

    def _login(self, login: str, password: str) -> str:
        """The slug of the active user with this email and app password, or "" when none."""
        if not login or not password:
            return ""
        return accounts.user_for_app_password(self._db, login.strip(), password) or ""
