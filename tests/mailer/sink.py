"""A real SMTP server for tests: aiosmtpd on a free loopback port, in a thread of its own.

It records a message when it accepts it (answers 250), as an MTA takes responsibility for a
message only then. ``hold_after(n)`` makes it keep the next message waiting inside DATA until
``release()``, so a test can kill the client at a known point; if the client goes away
meanwhile, aiosmtpd cancels the handler, the message is not recorded (it was never accepted)
and ``aborted`` is set. ``refuse`` answers the next DATA commands with the given replies
(e.g. ``451 ...`` or ``554 ...``).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One accepted message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


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
        with self.sink.lock:
            self.sink.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), raw, message)
            )
            self.sink.lock.notify_all()
        return "250 OK"


class SmtpSink:
    """Starts on ``127.0.0.1`` port 0 (a free port); ``url`` is its ``SMTP_URL``."""

    def __init__(self) -> None:
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

        async def serve() -> asyncio.Server:
            return await self._loop.create_server(
                lambda: SMTP(self._handler, hostname="sink.test"), "127.0.0.1", 0
            )

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

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

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
