"""Waiting for SIGINT or SIGTERM in the main thread, without a lock a signal could deadlock on.

A handler that sets a ``threading.Event`` can hang the process: Python runs the handler on the
main thread between two bytecodes, so it may land while that same thread is inside
``Event.wait()`` holding the Event's (non-reentrant) lock, and ``Event.set()`` then waits for that
lock forever. `officehours serve` did this once right after saying it was ready: Ctrl-C came
while the main thread was entering its wait, and the process never stopped.

Here the handler itself does nothing. The C-level handler writes the signal's number to a pipe
(``signal.set_wakeup_fd``) and :meth:`StopSignals.wait` reads that pipe, so no lock is taken
and a signal that came before the wait is not lost. The standard library has no such waiter
(``signal.sigwait`` needs the signals blocked in every thread, and child processes such as an
embedded PostgreSQL would inherit the blocked mask), hence this small class.
"""

from __future__ import annotations

import os
import select
import signal
import time
from types import FrameType

DEFAULT = (signal.SIGINT, signal.SIGTERM)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler: the wakeup pipe already holds the signal."""


class StopSignals:
    """SIGINT and SIGTERM (or ``signums``), caught from construction on; :meth:`wait` returns
    the first that came. Only the main thread may make one (a rule of ``signal``)."""

    def __init__(self, signums: tuple[signal.Signals, ...] = DEFAULT) -> None:
        self._wanted = {int(s) for s in signums}
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        # set_wakeup_fd needs it: a full pipe drops a byte, never blocks the handler.
        os.set_blocking(self._write, False)
        self._previous_fd = signal.set_wakeup_fd(self._write)
        self._previous = {s: signal.signal(s, _ignore) for s in signums}

    def wait(self, timeout: float | None = None) -> signal.Signals | None:
        """One of the signals that came since construction (or since the last wait that returned
        one; those that came together count once), waiting up to ``timeout`` seconds (None: for
        ever); None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._read], [], [], left)
            if not ready:
                return None
            try:
                came = os.read(self._read, 512)
            except BlockingIOError:
                continue
            for number in came:
                if number in self._wanted:
                    return signal.Signals(number)

    def close(self) -> None:
        """Puts back the handlers and the wakeup descriptor there were before."""
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._read)
        os.close(self._write)

    def __enter__(self) -> StopSignals:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
