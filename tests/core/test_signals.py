"""officehours.signals: SIGINT and SIGTERM are waited for without a lock, so no signal, however
many and whenever they come, can leave the main thread hanging."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from officehours.signals import StopSignals


def test_a_signal_that_came_before_the_wait_is_not_lost() -> None:
    with StopSignals((signal.SIGUSR1,)) as stop:
        assert stop.wait(timeout=0) is None
        os.kill(os.getpid(), signal.SIGUSR1)
        assert stop.wait(timeout=5) == signal.SIGUSR1
        assert stop.wait(timeout=0) is None  # each signal is returned once
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


def test_a_storm_of_signals_never_hangs_the_waiting_thread() -> None:
    # The main thread enters and leaves its wait all the time while another process signals it
    # as fast as it can: a signal landing inside the wait's own code must not deadlock it (a
    # handler setting a threading.Event does, within seconds, on this very harness).
    script = textwrap.dedent(
        """
        import os, signal, sys, time
        from officehours.signals import StopSignals

        stop = StopSignals((signal.SIGUSR1,))
        parent = os.getpid()
        child = os.fork()
        if child == 0:
            try:
                for _ in range(200_000):
                    os.kill(parent, signal.SIGUSR1)
            except ProcessLookupError:
                pass
            os._exit(0)
        seen = 0
        ends = time.monotonic() + 5
        while time.monotonic() < ends:
            if stop.wait(timeout=0.00001) is not None:
                seen += 1
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        print(seen)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 10  # signals that came together are one: count the waits they ended
