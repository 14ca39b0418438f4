"""Where messages go: an SMTP server (``SMTP_URL``), or ``.eml`` files in a folder."""

from __future__ import annotations

import ipaddress
import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

log = logging.getLogger(__name__)


class PermanentError(Exception):
    """Sending this message can never succeed (e.g. the server refused every recipient)."""


class ServerUnavailable(OSError):
    """No session with the mail server, so no message could be handed over: it cannot be
    reached, its certificate is not trusted, it offers no TLS to send the password over, or it
    refused the login.

    This says nothing about the message in hand, and it holds for every other message too, so
    it is never a reason to give a message up (that would throw away the whole outbox over
    one configuration mistake); the mailer records it as the message's ``last_error`` and
    pauses (see ``mailer.outbox.Mailer``). An OSError, so callers that know only the
    :class:`Transport` contract treat it as a failure that may pass.
    """


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
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{user}{self.host}:{self.port}"


def tls_context() -> ssl.SSLContext:
    """The TLS settings of every connection to the mail server: certificate and host name
    verified, against the CAs OpenSSL trusts by default.

    A deployment whose mail server has a certificate from a private CA names that CA's PEM file
    in ``SSL_CERT_FILE`` (or a hashed folder in ``SSL_CERT_DIR``), the variables OpenSSL itself
    reads for its default trust store, rather than in a setting of our own: they are what
    operators already set for such a CA (curl, git and Python honour them too), they need no
    option on each transport, and in an officehours process the mail server is the only TLS
    peer that uses them (PostgreSQL connections take ``sslrootcert`` from ``DATABASE_URL``).
    ``SSL_CERT_FILE`` replaces the system's CAs for the process, so a file naming a private CA
    must also hold the public CAs if any other TLS peer needs them. Without the variables the
    system's trust store (``/etc/ssl/certs``) is used. A certificate that does not verify is
    never accepted, whether or not a password is sent.
    """
    return ssl.create_default_context()


def may_send_password_in_clear(address: str) -> bool:
    """True when ``address`` (the IP address the connection actually reached) is this machine's
    loopback, the only place the SMTP password may travel without TLS (a local relay such as
    a Postfix on the same host, which is also where it would be read from anyway).

    The rule is applied to the connected peer, not to the name in ``SMTP_URL``: a name says
    nothing certain about where it leads.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


class SmtpTransport:
    """Sends over SMTP, one connection reused for a run of messages.

    ``smtps://`` speaks TLS from the first byte; ``smtp://`` upgrades with STARTTLS whenever
    the server offers it, and then never falls back to plain text if the upgrade fails. Both
    verify the server's certificate (see :func:`tls_context`). The login of ``SMTP_URL`` is
    sent only over TLS, or in clear to a loopback address (see
    :func:`may_send_password_in_clear`); a server that would get it in clear anywhere else is
    refused (:class:`ServerUnavailable`), since a server that stops offering STARTTLS may be
    a machine in the middle stripping it.
    """

    def __init__(self, url: SmtpUrl, *, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        """Opens a session: connection, TLS, login.

        Raises:
            ServerUnavailable: naming the server (never the password) and the cause.
        """
        try:
            return self._open()
        except ServerUnavailable:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                reply = exc.smtp_error
                if isinstance(reply, bytes):
                    reply = reply.decode("utf-8", "replace")
                cause = f"the login of {self.url.username!r} was refused: {exc.smtp_code} {reply}"
            else:
                cause = f"{type(exc).__name__}: {exc}"
            raise ServerUnavailable(f"{self.url.describe()}: {cause}") from exc

    def _open(self) -> smtplib.SMTP:
        context = tls_context()
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
                peer = str(conn.sock.getpeername()[0]) if conn.sock else ""
                if not encrypted and not may_send_password_in_clear(peer):
                    raise ServerUnavailable(
                        f"{self.url.describe()}: the server at {peer} offers no TLS,"
                        " and the password is not sent in clear"
                    )
                conn.login(self.url.username, self.url.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, msg: EmailMessage, *, sender: str, recipient: str) -> None:
        """Sends ``msg`` to ``recipient``, connecting first when needed.

        Raises:
            ServerUnavailable: when no session could be opened (nothing was sent).
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
    """Writes each message as ``<folder>/<date>_<message id>.eml`` (for laptops without a mail
    server), ``<date>`` being its Date in UTC (``20270104T120000Z``): the files list in the
    order of their messages' times, and no name starts with ``-`` (a random id may), which a
    shell would read as an option.

    Writing the same message again replaces its file, so a retried message appears once.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, msg: EmailMessage, *, sender: str, recipient: str) -> None:
        """Writes ``msg`` atomically (temporary file, then rename).

        Raises:
            OSError: when the folder cannot be written.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        name = eml_name(msg)
        identity = name.partition("_")[2]
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
        # A retried reminder is dated anew: its earlier copy goes.
        for old in self.folder.glob(f"*_{identity}"):
            if old.name != name and old.name.partition("_")[2] == identity:
                old.unlink(missing_ok=True)
        log.info("mail to %s written to %s", recipient, self.folder / name)

    def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        """Where mail goes (the folder)."""
        return f"writing .eml files into {self.folder}"


def eml_name(msg: EmailMessage) -> str:
    """The file name of ``msg`` in a :class:`DirectoryTransport` folder: its Date in UTC, then
    the left part of its Message-ID (the outbox row's public id), which never holds ``_``
    or ``/``."""
    stamp = "00000000T000000Z"
    date = msg["Date"]
    if date is not None:
        stamp = f"{parsedate_to_datetime(str(date)).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    identity = str(msg["Message-ID"]).strip("<>").partition("@")[0].replace("/", "-")
    return f"{stamp}_{identity}.eml"


def transport_for(smtp_url: str | None, outbox_dir: Path) -> Transport:
    """The transport the settings ask for: SMTP when ``smtp_url`` is set, else the folder.

    Raises:
        ValueError: if ``smtp_url`` is malformed.
    """
    if smtp_url:
        return SmtpTransport(SmtpUrl.parse(smtp_url))
    return DirectoryTransport(outbox_dir)
