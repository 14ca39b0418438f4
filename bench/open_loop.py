"""Open-loop load: requests that arrive at a fixed rate, whatever the answers before them.

A closed loop (N clients, each sending its next request when the last is answered) slows down
with the server and so never shows a queue: it measures latency at whatever rate the server
allows. Real visitors do not wait for each other. Here the i-th request is due at
``start + i / rate``; a pool of sender threads (each with its own keep-alive connection) sends
it then, and its latency counts from when it was due, so time spent queued behind a slow server
(or behind busy senders) is in the figure rather than hidden (no "coordinated omission").

``capacity`` steps the rate up until the p99 crosses the goal and returns every step.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

# Senders at once: a request is late only when all of them wait on the server.
SENDERS = 256
# Seconds after which an answer counts as an error (and its latency as this).
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Step:
    """One rate held for a while, and what it gave."""

    rate: float  # requests per second asked for
    sent: int
    p50_ms: float
    p99_ms: float
    errors: int  # a failed connection, a timeout, or any answer but 200

    def passes(self, goal_ms: float) -> bool:
        """Whether the server kept up: p99 under the goal and no errors."""
        return self.errors == 0 and self.p99_ms < goal_ms


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def hold_rate(
    base: str,
    path: str,
    headers: Callable[[int], dict[str, str]],
    rate: float,
    seconds: float,
) -> Step:
    """GETs of ``path`` at ``rate`` per second for ``seconds``; request i sends ``headers(i)``."""
    parts = urlsplit(base)
    count = max(1, round(rate * seconds))
    latencies = [0.0] * count
    failed = [False] * count
    local = threading.local()

    def connection() -> http.client.HTTPConnection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(
                str(parts.hostname), parts.port, timeout=REQUEST_TIMEOUT
            )
            local.conn = conn
        return conn

    def send(i: int, due: float) -> None:
        conn = connection()
        try:
            conn.request("GET", path, headers=headers(i))
            answer = conn.getresponse()
            answer.read()
            failed[i] = answer.status != 200
        except (OSError, http.client.HTTPException):
            failed[i] = True
            conn.close()
            local.conn = None
        latencies[i] = time.perf_counter() - due

    with ThreadPoolExecutor(max_workers=SENDERS) as senders:
        start = time.perf_counter() + 0.05
        for i in range(count):
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            senders.submit(send, i, due)
    return Step(
        rate,
        count,
        percentile(latencies, 0.50) * 1000,
        percentile(latencies, 0.99) * 1000,
        sum(failed),
    )


def capacity(
    base: str,
    path: str,
    headers: Callable[[int], dict[str, str]],
    *,
    start: float,
    factor: float,
    max_rate: float,
    seconds: float,
    goal_ms: float,
) -> list[Step]:
    """Holds ``start`` requests per second, then ``factor`` times more each step, until a step
    misses the goal (``Step.passes``) or the next rate would pass ``max_rate``. Returns every
    step held, the failing one last when there was one."""
    steps: list[Step] = []
    rate = start
    while True:
        step = hold_rate(base, path, headers, rate, seconds)
        steps.append(step)
        if not step.passes(goal_ms) or rate * factor > max_rate:
            return steps
        rate *= factor
        time.sleep(min(1.0, seconds))  # let the last step's stragglers finish


def highest_passing(steps: list[Step], goal_ms: float) -> float:
    """The highest rate of a run of steps at which the server met the goal (0: none)."""
    return max((s.rate for s in steps if s.passes(goal_ms)), default=0.0)
