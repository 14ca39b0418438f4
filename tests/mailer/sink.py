"""A real SMTP server for tests: aiosmtpd on a free loopback port, in a thread of its own.

It records a message when it accepts it (answers 250), as an MTA takes responsibility for a
message only then. ``hold_after(n)`` makes it keep the next message waiting inside DATA until
``release()``, so a test can kill the client at a known point; if the client goes away
meanwhile, aiosmtpd cancels the handler, the message is not recorded (it was never accepted)
and ``aborted`` is set. ``refuse`` answers the next DATA commands with the given replies
(e.g. ``451 ...`` or ``554 ...``).

With ``tls_context`` it offers STARTTLS (and with ``require_starttls`` takes nothing else
first); with ``ssl_context`` it speaks TLS from the first byte (SMTPS); with ``users`` it
offers AUTH and accepts those user names and passwords, recording every login tried in
``logins`` (AUTH only over TLS unless ``auth_require_tls`` is False).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, cast
from urllib.parse import quote

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    """One accepted message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    tls: bool = False
    login: str | None = None


@dataclass(frozen=True)
class Login:
    """One AUTH the server answered."""

    user: str
    accepted: bool
    tls: bool


def _over_tls(server: SMTP) -> bool:
    return (
        server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
    )


@dataclass
class _Handler:
    sink: SmtpSink
    refuse: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        if self.sink.hold_from is not None and len(self.sink.received) >= self.sink.hold_from:
            self.sink.in_data.set()
            try:
                while self.sink.hold_from is not None:
                    await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                self.sink.aborted.set()
                raise
        raw = cast(bytes, envelope.original_content or envelope.content)
        message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        with self.sink.lock:
            self.sink.received.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    raw,
                    message,
                    tls=_over_tls(server),
                    login=login,
                )
            )
            self.sink.lock.notify_all()
        return "250 OK"


class SmtpSink:
    """Starts on ``127.0.0.1`` port 0 (a free port); ``url`` is its ``SMTP_URL``."""

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        auth_require_tls: bool = True,
    ) -> None:
        self.tls_context = tls_context
        self.require_starttls = require_starttls
        self.ssl_context = ssl_context
        self.users = users
        self.auth_require_tls = auth_require_tls
        self.logins: list[Login] = []
        self.received: list[Received] = []
        self.lock = threading.Condition()
        self.in_data = threading.Event()
        self.aborted = threading.Event()
        self.hold_from: int | None = None
        self._handler = _Handler(self)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    def start(self) -> SmtpSink:
        self._thread.start()

        def protocol() -> SMTP:
            return SMTP(
                self._handler,
                hostname="sink.test",
                tls_context=self.tls_context,
                require_starttls=self.require_starttls,
                authenticator=self._authenticate if self.users is not None else None,
                auth_require_tls=self.auth_require_tls,
                loop=self._loop,
            )

        async def serve() -> asyncio.Server:
            return await self._loop.create_server(protocol, "127.0.0.1", 0, ssl=self.ssl_context)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)
        sock: Any = self._server.sockets[0]
        self.port = int(sock.getsockname()[1])
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        accepted = self.users is not None and self.users.get(user) == password
        with self.lock:
            self.logins.append(Login(user, accepted, _over_tls(server)))
        return AuthResult(success=accepted, handled=False, auth_data=data)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def url_for(self, user: str | None = None, password: str | None = None) -> str:
        """The ``SMTP_URL`` of this server (``smtps://`` when it speaks TLS from the start),
        with a login when ``user`` is given."""
        scheme = "smtps" if self.ssl_context else "smtp"
        login = ""
        if user is not None:
            login = quote(user, safe="")
            if password is not None:
                login += ":" + quote(password, safe="")
            login += "@"
        return f"{scheme}://{login}127.0.0.1:{self.port}"

    def refuse(self, *replies: str) -> None:
        """Answer the next DATA commands with these replies instead of accepting."""
        self._handler.refuse.extend(replies)

    def hold_after(self, count: int) -> None:
        """Accept ``count`` messages, then keep the next one waiting in DATA (``in_data`` is
        set) until :meth:`release`."""
        self.hold_from = count

    def release(self) -> None:
        """Stop holding messages."""
        self.hold_from = None

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Waits until at least ``count`` messages were accepted; raises AssertionError if not."""
        with self.lock:
            ok = self.lock.wait_for(lambda: len(self.received) >= count, timeout)
            got = list(self.received)
        assert ok, f"expected {count} messages, got {len(got)}"
        return got

    def message_ids(self) -> Counter[str]:
        """How often each Message-ID was accepted."""
        with self.lock:
            return Counter(str(r.message["Message-ID"]) for r in self.received)
