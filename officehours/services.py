"""The parts `officehours serve` runs, found through the ``officehours.services`` entry points.

The core does not import the adapters: each adapter names a factory in setup.cfg,
``officehours.services: NAME = module:function``, with the signature of ``ServiceFactory``.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from officehours.db import Database
from officehours.settings import Settings

log = logging.getLogger(__name__)


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


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class WsgiService:
    """Serves a WSGI application on HOST:PORT from a thread (port 0 picks a free one)."""

    def __init__(
        self, name: str, app: Callable[..., Any], address: tuple[str, int], label: str
    ) -> None:
        self.name = name
        self.label = label
        self._server = make_server(
            address[0],
            address[1],
            app,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def describe(self) -> str:
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
