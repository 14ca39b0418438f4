"""Where messages go: an SMTP server (``SMTP_URL``), or ``.eml`` files in a folder."""

from __future__ import annotations

import ipaddress
import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


class PermanentError(Exception):
    """Sending this message can never succeed (e.g. the server refused every recipient)."""


class Transport(Protocol):
    """Delivers one message at a time; may keep a connection open between messages."""

    def send(self, msg: EmailMessage, *, sender: str, recipient: str) -> None:
        """Hands ``msg`` over for delivery, returning only once it was accepted.

        Raises:
            PermanentError: when trying again is pointless.
            OSError, smtplib.SMTPException: for anything that may pass (retried later).
        """

    def close(self) -> None:
        """Releases any connection; the next send opens a new one."""

    def describe(self) -> str:
        """Where mail goes, without secrets."""


@dataclass(frozen=True)
class SmtpUrl:
    """A parsed ``SMTP_URL``: ``smtp://[user[:password]@]host[:port]`` (STARTTLS when the
    server offers it; port 25 by default) or ``smtps://...`` (TLS from the start; port 465)."""

    implicit_tls: bool
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpUrl:
        """Parses ``url``.

        Raises:
            ValueError: naming SMTP_URL, when the scheme, host or port is wrong.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {url!r}")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError("SMTP_URL has an invalid port") from exc
        if not parts.hostname:
            raise ValueError("SMTP_URL has no host")
        implicit = parts.scheme == "smtps"
        return cls(
            implicit_tls=implicit,
            host=parts.hostname,
            port=port or (465 if implicit else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def describe(self) -> str:
        """The URL without the password."""
        user = f"{self.username}@" if self.username else ""
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{user}{self.host}:{self.port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpTransport:
    """Sends over SMTP, one connection reused for a run of messages."""

    def __init__(self, url: SmtpUrl, *, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        conn: smtplib.SMTP
        if self.url.implicit_tls:
            conn = smtplib.SMTP_SSL(
                self.url.host, self.url.port, timeout=self.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(self.url.host, self.url.port, timeout=self.timeout)
        try:
            conn.ehlo()
            encrypted = self.url.implicit_tls
            if not encrypted and conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
                encrypted = True
            if self.url.username is not None:
                if not encrypted and not _is_loopback(self.url.host):
                    raise PermanentError(
                        f"{self.url.host} offers no TLS: the SMTP password is not sent in clear"
                    )
                conn.login(self.url.username, self.url.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, msg: EmailMessage, *, sender: str, recipient: str) -> None:
        """Sends ``msg`` to ``recipient``, connecting first when needed.

        Raises:
            PermanentError: when the server refuses the recipient for good (5xx).
            OSError, smtplib.SMTPException: otherwise; the connection is dropped.
        """
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.send_message(msg, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentError(f"recipient refused: {exc.recipients}") from exc
            self.close()
            raise
        except (OSError, smtplib.SMTPException):
            self.close()
            raise

    def close(self) -> None:
        """Says QUIT (or just closes a broken connection)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    def describe(self) -> str:
        """Where mail goes (the server, without the password)."""
        return f"sending over {self.url.describe()}"


class DirectoryTransport:
    """Writes each message as ``<folder>/<message id>.eml`` (for laptops without a mail server).

    Writing the same message again replaces the file, so a retried message appears once.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, msg: EmailMessage, *, sender: str, recipient: str) -> None:
        """Writes ``msg`` atomically (temporary file, then rename).

        Raises:
            OSError: when the folder cannot be written.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(msg["Message-ID"]).strip("<>").partition("@")[0] + ".eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(msg.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("mail to %s written to %s", recipient, self.folder / name)

    def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        """Where mail goes (the folder)."""
        return f"writing .eml files into {self.folder}"


def transport_for(smtp_url: str | None, outbox_dir: Path) -> Transport:
    """The transport the settings ask for: SMTP when ``smtp_url`` is set, else the folder.

    Raises:
        ValueError: if ``smtp_url`` is malformed.
    """
    if smtp_url:
        return SmtpTransport(SmtpUrl.parse(smtp_url))
    return DirectoryTransport(outbox_dir)
