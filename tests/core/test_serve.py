"""`officehours serve` as a real process: it starts what is installed and Ctrl-C stops it all."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

READY = "Press Ctrl-C to stop."


def start(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Starts serve and returns once it says it is ready, with everything it printed."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "officehours.cli",
            "serve",
            "--web",
            "127.0.0.1:0",
            "--caldav",
            "127.0.0.1:0",
            *args,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read_lines() -> None:
        for line in proc.stdout or []:
            lines.put(line)

    threading.Thread(target=read_lines, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while READY not in "".join(seen):
        assert proc.poll() is None, "serve exited early:\n" + "".join(seen)
        try:
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            raise AssertionError("serve did not get ready:\n" + "".join(seen)) from None
    return proc, seen


def interrupt(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=60)


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["OFFICEHOURS_OUTBOX_DIR"] = str(tmp_path / "outbox")
    return env


def test_serve_on_a_given_database_stops_on_ctrl_c(db_url: str, tmp_path: Path) -> None:
    env = base_env(tmp_path) | {
        "DATABASE_URL": db_url,
        "OFFICEHOURS_DATA_DIR": str(tmp_path / "data"),
    }
    proc, _ = start(env)
    assert interrupt(proc) == 0
    assert not (tmp_path / "data" / "postgres").exists()  # no embedded server was made


def test_serve_starts_and_stops_the_embedded_postgres(tmp_path: Path) -> None:
    data = Path("/tmp") / f"officehours-serve-test-{os.getpid()}"
    env = base_env(tmp_path) | {"OFFICEHOURS_DATA_DIR": str(data)}
    proc, seen = start(env, "--demo-if-empty")
    try:
        output = "".join(seen)
        assert f"PostgreSQL data: {data / 'postgres'}" in output
        assert "Seeded the demo" in output and "maya@example.com" in output
        pid = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
        assert psutil.pid_exists(pid)
    finally:
        status = interrupt(proc)
    assert status == 0
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    # A second start keeps the data and does not seed again.
    proc, seen = start(env, "--demo-if-empty")
    assert "Seeded the demo" not in "".join(seen)
    assert interrupt(proc) == 0
    subprocess.run(["rm", "-rf", str(data)], check=True)
