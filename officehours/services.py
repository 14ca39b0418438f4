"""The parts `officehours serve` runs, found through the ``officehours.services`` entry points,
and the HTTP server the website and CalDAV run on.

The core does not import the adapters: each adapter names a factory in setup.cfg,
``officehours.services: NAME = module:function``, with the signature of ``ServiceFactory``.

The HTTP server is waitress (see the README, "Run", for why): one I/O loop reads requests and
writes answers for every connection, and a bounded pool of threads runs the application only
for requests that have fully arrived. A slow or idle client therefore costs a socket, never a
thread; the listen backlog queues bursts of new connections instead of resetting them; request
headers and bodies have size limits; idle connections (kept alive, or stalled mid-request) are
closed after a timeout.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol

import waitress.server
from waitress import trigger, wasyncore
from waitress.channel import HTTPChannel

from officehours.db import Database
from officehours.settings import Settings

log = logging.getLogger(__name__)
# waitress warns on every request that waits for a thread; under a burst that is hundreds of
# lines for what the backlog and the queue are there to absorb.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class Service(Protocol):
    """A part of officehours that runs in the background of `officehours serve`."""

    name: str

    def start(self) -> None:
        """Starts serving without blocking."""

    def stop(self) -> None:
        """Stops serving and waits for it."""

    def describe(self) -> str:
        """One line for the console: what it is and where."""


ServiceFactory = Callable[[Settings, Database], Service]


@dataclass(frozen=True)
class HttpLimits:
    """How much one HTTP server takes on.

    threads: requests run at once (the rest wait in a queue, their connections open).
    backlog: connections the kernel queues before the server accepts them.
    connection_limit: open connections; past it the server stops accepting (new ones wait in
        the backlog) until some close.
    idle_timeout: seconds a connection may send nothing before it is closed.
    max_header_bytes, max_body_bytes: the largest request head and body (431 / 413 beyond).
    grace: seconds a stop waits for the requests in flight.
    """

    threads: int = 16
    backlog: int = 1024
    connection_limit: int = 1000
    idle_timeout: float = 30.0
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 1024 * 1024
    grace: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings, *, max_body_bytes: int) -> HttpLimits:
        """The limits the settings give a server whose requests carry at most
        ``max_body_bytes``."""
        return cls(
            threads=settings.threads,
            idle_timeout=settings.http_idle_timeout,
            max_body_bytes=max_body_bytes,
        )


class WsgiService:
    """Serves a WSGI application on HOST:PORT (port 0 picks a free one) with waitress, its I/O
    loop in a thread of its own."""

    def __init__(
        self,
        name: str,
        app: Callable[..., Any],
        address: tuple[str, int],
        label: str,
        *,
        limits: HttpLimits | None = None,
    ) -> None:
        self.name = name
        self.label = label
        self.limits = limits or HttpLimits()
        host, port = address
        self._map: dict[int, Any] = {}
        self._server: Any = waitress.server.create_server(
            app,
            map=self._map,
            listen=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            threads=self.limits.threads,
            backlog=self.limits.backlog,
            connection_limit=self.limits.connection_limit,
            channel_timeout=max(1, round(self.limits.idle_timeout)),
            cleanup_interval=max(1, round(self.limits.idle_timeout / 3)),
            max_request_header_size=self.limits.max_header_bytes,
            max_request_body_size=self.limits.max_body_bytes,
            asyncore_use_poll=True,  # select() fails past 1024 descriptors
            ident="officehours",
        )
        # By listener, then by connection: (the request being read, when it was first seen).
        self._partial: dict[int, dict[int, tuple[object, float]]] = {}
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, waitress.server.BaseWSGIServer):
                dispatcher.maintenance = functools.partial(self._maintenance, dispatcher)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    def _maintenance(self, listener: Any, now: float) -> None:
        """waitress's periodic sweep (it closes connections idle for ``idle_timeout``), plus
        deadlines of our own for a request that trickles in: its head must arrive within
        ``idle_timeout`` of its first byte, and the whole request within ten times that.
        Otherwise a client sending a byte now and then (slowloris) would keep a connection
        forever, and enough of them would fill ``connection_limit``."""
        type(listener).maintenance(listener, now)
        head, whole = self.limits.idle_timeout, 10 * self.limits.idle_timeout
        before = self._partial.get(id(listener), {})
        seen: dict[int, tuple[object, float]] = {}
        for fileno, channel in list(listener.active_channels.items()):
            partial = channel.request
            if partial is None or channel.will_close:
                continue
            known, since = before.get(fileno, (None, now))
            since = since if known is partial else now
            seen[fileno] = (partial, since)
            age = now - since
            if age > (whole if partial.headers_finished else head):
                log.info("closing a connection whose request is still arriving after %.0fs", age)
                channel.will_close = True
        self._partial[id(listener)] = seen

    @property
    def url(self) -> str:
        """Where it answers (the first address, when the host name has several)."""
        if isinstance(self._server, waitress.server.MultiSocketServer):
            host, port = self._server.effective_listen[0]
        else:
            host, port = self._server.effective_host, self._server.effective_port
        host = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Starts serving; returns at once."""
        self._thread.start()

    def stop(self) -> None:
        """Stops taking connections, lets the requests in flight finish (at most
        ``limits.grace`` seconds), then closes every connection and waits for the threads.

        waitress itself has no graceful stop (closing its loop drops the requests in hand), so
        the steps are ours, each run in the I/O loop's thread, which owns the sockets.
        """
        if not self._thread.is_alive():
            wasyncore.close_all(self._map)
            return
        self._in_loop(self._stop_listening)
        deadline = time.monotonic() + self.limits.grace
        while self._in_loop(self._close_idle) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._in_loop(lambda: wasyncore.close_all(self._map))
        self._thread.join(timeout=10)
        self._server.task_dispatcher.shutdown(timeout=5)

    def _in_loop(self, work: Callable[[], Any]) -> Any:
        """Runs ``work`` in the I/O loop's thread and returns what it returned."""
        done = threading.Event()
        result: list[Any] = []

        def thunk() -> None:
            try:
                result.append(work())
            finally:
                done.set()

        wake = next(d for d in list(self._map.values()) if isinstance(d, trigger.trigger))
        wake.pull_trigger(thunk)
        if not done.wait(timeout=10):
            raise RuntimeError(f"the {self.name} server's I/O loop does not answer")
        return result[0] if result else None

    def _stop_listening(self) -> None:
        """Closes the listening sockets: new connections are refused from now on."""
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, waitress.server.BaseWSGIServer):
                dispatcher.accepting = False
                wasyncore.dispatcher.close(dispatcher)

    def _close_idle(self) -> int:
        """Closes the connections with no request in hand; returns how many still have one."""
        busy = 0
        for channel in list(self._map.values()):
            if not isinstance(channel, HTTPChannel):
                continue
            partial = channel.request
            if (
                channel.requests
                or channel.total_outbufs_len
                or (partial is not None and partial.headers_finished)
            ):
                busy += 1
            else:
                channel.handle_close()
        return busy

    def describe(self) -> str:
        """One line for the console: what it is and where."""
        return f"{self.label} at {self.url}/"


def discover() -> dict[str, ServiceFactory]:
    """The installed service factories by name."""
    found: dict[str, ServiceFactory] = {}
    for ep in entry_points(group="officehours.services"):
        try:
            found[ep.name] = ep.load()
        except ModuleNotFoundError as exc:
            if exc.name != ep.module:
                raise
            log.warning("service %s is not part of this installation (%s)", ep.name, exc)
    return dict(sorted(found.items()))
