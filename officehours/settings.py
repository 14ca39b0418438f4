"""Settings, read once from the environment. Every setting has a default that works on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit


class Setting(NamedTuple):
    """One documented environment variable."""

    name: str
    default: str
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "",
        "PostgreSQL connection URL. Unset: an embedded PostgreSQL 18 is started with its data "
        "in OFFICEHOURS_DATA_DIR.",
    ),
    Setting(
        "OFFICEHOURS_DATA_DIR",
        "/var/lib/officehours as root, else ~/.local/share/officehours",
        "Where the embedded PostgreSQL keeps its data (never under /root).",
    ),
    Setting("OFFICEHOURS_WEB", "127.0.0.1:8000", "Address of the booking website."),
    Setting("OFFICEHOURS_CALDAV", "127.0.0.1:5232", "Address of the CalDAV server."),
    Setting(
        "OFFICEHOURS_BASE_URL",
        "http://127.0.0.1:8000",
        "Public URL of the booking website, used in links in mail and invites.",
    ),
    Setting(
        "OFFICEHOURS_CALDAV_URL",
        "http://127.0.0.1:5232",
        "Public URL of the CalDAV server, shown to coaches on their calendar page.",
    ),
    Setting(
        "OFFICEHOURS_SECRET_KEY",
        "a random key stored in OFFICEHOURS_DATA_DIR",
        "Key that signs session cookies. Set it to the same value on every web server.",
    ),
    Setting(
        "SMTP_URL",
        "",
        "Mail server, e.g. smtp://user:password@mail.example.com:587 (STARTTLS) or smtps://... "
        "Its certificate is verified; a private CA goes in SSL_CERT_FILE. "
        "Unset: mail is written as .eml files into OFFICEHOURS_OUTBOX_DIR.",
    ),
    Setting(
        "OFFICEHOURS_OUTBOX_DIR",
        "OFFICEHOURS_DATA_DIR/outbox",
        "Where mail goes as .eml files when SMTP_URL is unset.",
    ),
    Setting("OFFICEHOURS_MAIL_FROM", "officehours@localhost", "Sender address of mail."),
    Setting("OFFICEHOURS_POOL_SIZE", "10", "Most database connections one process keeps open."),
    Setting(
        "OFFICEHOURS_PROXIES",
        "0",
        "How many reverse proxies stand in front of the website; their X-Forwarded-For, -Proto "
        "and -Host are then trusted (client addresses for sign-in rate limits, https links).",
    ),
)


def default_data_dir() -> Path:
    """The per-user data folder: /var/lib/officehours for root, XDG data home otherwise."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/officehours")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "officehours"


def uid_domain(base_url: str) -> str:
    """The host on the right of every appointment's iCalendar UID: the website's host.

    The mailed invite, the website's download and the CalDAV item must agree on it, or
    calendars would hold one call as two events. Raises ValueError when the URL has no host.
    """
    host = urlsplit(base_url).hostname
    if not host:
        raise ValueError(f"OFFICEHOURS_BASE_URL has no host name: {base_url!r}")
    return host


def parse_address(value: str, name: str) -> tuple[str, int]:
    """Splits HOST:PORT; raises ValueError naming the setting when it is malformed."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{name} must look like HOST:PORT, not {value!r}")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class Settings:
    """The configuration of one officehours process."""

    database_url: str | None
    data_dir: Path
    web: tuple[str, int]
    caldav: tuple[str, int]
    base_url: str
    caldav_url: str
    secret_key: str | None
    smtp_url: str | None
    outbox_dir: Path
    mail_from: str
    pool_size: int
    proxies: int = 0

    @property
    def uid_domain(self) -> str:
        """See ``uid_domain``."""
        return uid_domain(self.base_url)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Reads the settings; raises ValueError with the setting's name when one is malformed."""
        e = dict(os.environ if env is None else env)
        data_dir = Path(e.get("OFFICEHOURS_DATA_DIR") or default_data_dir())
        pool = e.get("OFFICEHOURS_POOL_SIZE", "10")
        if not pool.isdigit() or int(pool) < 1:
            raise ValueError(f"OFFICEHOURS_POOL_SIZE must be a positive number, not {pool!r}")
        proxies = e.get("OFFICEHOURS_PROXIES", "0")
        if not proxies.isdigit():
            raise ValueError(f"OFFICEHOURS_PROXIES must be a number, not {proxies!r}")
        return cls(
            database_url=e.get("DATABASE_URL") or None,
            data_dir=data_dir,
            web=parse_address(e.get("OFFICEHOURS_WEB", "127.0.0.1:8000"), "OFFICEHOURS_WEB"),
            caldav=parse_address(
                e.get("OFFICEHOURS_CALDAV", "127.0.0.1:5232"), "OFFICEHOURS_CALDAV"
            ),
            base_url=e.get("OFFICEHOURS_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            caldav_url=e.get("OFFICEHOURS_CALDAV_URL", "http://127.0.0.1:5232").rstrip("/"),
            secret_key=e.get("OFFICEHOURS_SECRET_KEY") or None,
            smtp_url=e.get("SMTP_URL") or None,
            outbox_dir=Path(e.get("OFFICEHOURS_OUTBOX_DIR") or data_dir / "outbox"),
            mail_from=e.get("OFFICEHOURS_MAIL_FROM", "officehours@localhost"),
            pool_size=int(pool),
            proxies=int(proxies),
        )
