"""bench/serve.py's open-loop mode, at a tiny rate so that it cannot rot, and the open loop itself
against a server slow on purpose: requests keep arriving while it is behind, and the time they
wait is in the figure."""

from __future__ import annotations

import http.server
import importlib.util
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_open_loop() -> Any:
    """bench/open_loop.py, loaded from its file: bench/ is a folder of scripts, not a package
    (its scripts import each other as neighbours), so it is not on the import path."""
    spec = importlib.util.spec_from_file_location("open_loop", ROOT / "bench" / "open_loop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["open_loop"] = module
    spec.loader.exec_module(module)
    return module


open_loop = _load_open_loop()
HIGHEST = re.compile(
    r"^  highest rate with p99 < 300 ms, (?P<server>officehours serve|gunicorn): "
    r"(?P<rate>[\d.]+) req/s$"
)


class OneAtATime(http.server.BaseHTTPRequestHandler):
    """Answers after 100 ms, one request at a time (the server has no threads), and closes."""

    def do_GET(self) -> None:
        time.sleep(0.1)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads figures, not logs."""


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), OneAtATime)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_requests_keep_arriving_while_the_server_is_behind(slow_server: str) -> None:
    # 20 requests in one second to a server that does 10 a second: a closed loop would see
    # 100 ms each; arriving on schedule, the last waits about a second for its turn.
    step = open_loop.hold_rate(slow_server, "/", lambda i: {}, rate=20, seconds=1)
    assert step.sent == 20 and step.errors == 0
    assert step.p99_ms > 700
    assert not step.passes(300)
    # At a rate it can serve, nothing queues.
    easy = open_loop.hold_rate(slow_server, "/", lambda i: {}, rate=4, seconds=1)
    assert easy.passes(300) and easy.p99_ms < 250


def test_capacity_stops_at_the_first_rate_that_misses_the_goal(slow_server: str) -> None:
    steps = open_loop.capacity(
        slow_server, "/", lambda i: {}, start=4, factor=4, max_rate=64, seconds=1, goal_ms=300
    )
    assert [s.rate for s in steps] == [4, 16]
    assert open_loop.highest_passing(steps, 300) == 4


@pytest.mark.slow
def test_the_open_loop_benchmark_prints_a_capacity_for_both_servers(pg_admin_url: str) -> None:
    done = subprocess.run(
        [
            *(sys.executable, str(ROOT / "bench" / "serve.py"), "--open-loop", "--quick"),
            *("--start", "2", "--max-rate", "3", "--step-seconds", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": pg_admin_url},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    found = {m["server"]: float(m["rate"]) for m in map(HIGHEST.match, lines) if m}
    # Two and three requests a second are far below what either server serves.
    assert found == {"officehours serve": 3.0, "gunicorn": 3.0}, done.stdout
