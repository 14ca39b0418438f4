"""Settings, read once from the environment. Every setting has a default that works on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
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
    Setting(
        "OFFICEHOURS_POOL_SIZE",
        "10",
        "Most database connections one pool keeps open: per worker process under gunicorn (keep "
        "it at least WEB_THREADS or CALDAV_THREADS); under `officehours serve` the website and "
        "CalDAV each have a pool of this size or OFFICEHOURS_THREADS, whichever is larger, and "
        "the mailer one of 2.",
    ),
    Setting(
        "OFFICEHOURS_THREADS",
        "16",
        "Request threads of each HTTP server of `officehours serve` (the website, CalDAV). Slow "
        "or idle clients hold none: they cost a socket until OFFICEHOURS_HTTP_IDLE_TIMEOUT.",
    ),
    Setting(
        "OFFICEHOURS_POOL_TIMEOUT",
        "5",
        "Seconds a request waits for a free database connection before it is answered 503 busy.",
    ),
    Setting(
        "OFFICEHOURS_LOCK_TIMEOUT",
        "5",
        "Seconds a request waits for a lock (a coach's calendar, while a booking or a calendar "
        "upload of that coach runs) before it is answered 503 busy with Retry-After; 0: no limit.",
    ),
    Setting(
        "OFFICEHOURS_STATEMENT_TIMEOUT",
        "30",
        "Seconds one SQL statement of a request may run before it is cancelled (503 busy); "
        "0: no limit.",
    ),
    Setting(
        "OFFICEHOURS_HTTP_IDLE_TIMEOUT",
        "30",
        "Seconds `officehours serve` keeps a connection that sends nothing (idle keep-alive, or "
        "a client stalled in its request) before closing it; also how long a request's head "
        "may take to arrive (its whole body: ten times that), so a client trickling bytes "
        "(slowloris) is cut off too.",
    ),
    Setting(
        "OFFICEHOURS_CLOCK",
        "",
        "Freezes the rules' clock of the website, CalDAV and the mailer of `officehours serve` "
        "at this ISO time with a UTC offset (tests and demos only). Unset: the real time.",
    ),
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
    threads: int = 16
    pool_timeout: float = 5.0
    lock_timeout: float = 5.0
    statement_timeout: float = 30.0
    http_idle_timeout: float = 30.0
    clock: datetime | None = None

    @property
    def uid_domain(self) -> str:
        """See ``uid_domain``."""
        return uid_domain(self.base_url)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Reads the settings; raises ValueError with the setting's name when one is malformed."""
        e = dict(os.environ if env is None else env)
        data_dir = Path(e.get("OFFICEHOURS_DATA_DIR") or default_data_dir())
        pool = _count(e, "OFFICEHOURS_POOL_SIZE", "10", least=1)
        proxies = _count(e, "OFFICEHOURS_PROXIES", "0", least=0)
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
            pool_size=pool,
            proxies=proxies,
            threads=_count(e, "OFFICEHOURS_THREADS", "16", least=1),
            pool_timeout=_seconds(e, "OFFICEHOURS_POOL_TIMEOUT", "5", zero_ok=False),
            lock_timeout=_seconds(e, "OFFICEHOURS_LOCK_TIMEOUT", "5"),
            statement_timeout=_seconds(e, "OFFICEHOURS_STATEMENT_TIMEOUT", "30"),
            http_idle_timeout=_seconds(e, "OFFICEHOURS_HTTP_IDLE_TIMEOUT", "30", zero_ok=False),
            clock=_clock(e.get("OFFICEHOURS_CLOCK", "")),
        )


def _count(env: dict[str, str], name: str, default: str, *, least: int) -> int:
    """A whole number of at least ``least``; raises ValueError naming the setting."""
    text = env.get(name, default).strip() or default
    if not text.isdigit() or int(text) < least:
        kind = "a positive number" if least > 0 else "a number"
        raise ValueError(f"{name} must be {kind}, not {text!r}")
    return int(text)


def _seconds(env: dict[str, str], name: str, default: str, *, zero_ok: bool = True) -> float:
    """A number of seconds (fractions allowed, at most a day); raises ValueError naming the
    setting."""
    text = env.get(name, default).strip() or default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (0 < value <= 86400 or (zero_ok and value == 0)):
        least = "0" if zero_ok else "more than 0"
        raise ValueError(f"{name} must be seconds, from {least} to 86400, not {text!r}")
    return value


def _clock(text: str) -> datetime | None:
    """OFFICEHOURS_CLOCK: None when unset; raises ValueError unless an ISO time with offset."""
    if not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"OFFICEHOURS_CLOCK must be an ISO time, not {text!r}") from exc
    if value.utcoffset() is None:
        raise ValueError(f"OFFICEHOURS_CLOCK needs a UTC offset: {text!r}")
    return value
