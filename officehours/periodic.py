"""A job that runs in a thread of its own: once at start, then every ``interval`` seconds.

`officehours serve` keeps some work going beside the requests (expanding recurring busy time
ahead of the booking horizon, pruning what the retention rules let go); each is a Periodic.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Periodic(Generic[T]):
    """Runs ``job`` now and then every ``interval`` seconds until ``stop``. A failing run is
    logged (the next one tries again), never raised; ``last`` is the latest result.

    name: the thread's; what: the job in words, for the log ("pruning ...").
    """

    def __init__(self, name: str, job: Callable[[], T], *, interval: float, what: str) -> None:
        self.name = name
        self.what = what
        self.job = job
        self.interval = interval
        self.runs = 0
        self.last: T | None = None
        self._stopping = threading.Event()
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        """Starts the thread; returns at once."""
        self._thread.start()

    def stop(self) -> None:
        """Lets the run in hand finish, then stops the thread."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    @property
    def alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread.is_alive()

    def wait(self, runs: int, timeout: float) -> bool:
        """Waits until ``runs`` runs have ended (health checks and tests); False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: self.runs >= runs, timeout)

    def _loop(self) -> None:
        while True:
            self.run_once()
            if self._stopping.wait(self.interval):
                return

    def run_once(self) -> T | None:
        """One run; an error is logged, never raised."""
        result: T | None = None
        try:
            result = self.job()
        except Exception:
            log.exception("%s failed; next try in %ss", self.what, self.interval)
        with self._done:
            self.runs += 1
            self.last = result
            self._done.notify_all()
        return result
