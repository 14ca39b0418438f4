"""`officehours serve` as a real process: it starts what is installed and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import psutil

from tests.core.serving import start_serve


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["OFFICEHOURS_OUTBOX_DIR"] = str(tmp_path / "outbox")
    return env


def test_serve_on_a_given_database_stops_on_ctrl_c(db_url: str, tmp_path: Path) -> None:
    env = base_env(tmp_path) | {
        "DATABASE_URL": db_url,
        "OFFICEHOURS_DATA_DIR": str(tmp_path / "data"),
    }
    served = start_serve(env)
    assert served.stop(signal.SIGINT) == 0
    assert not (tmp_path / "data" / "postgres").exists()  # no embedded server was made


def test_serve_starts_and_stops_the_embedded_postgres(tmp_path: Path) -> None:
    data = Path("/tmp") / f"officehours-serve-test-{os.getpid()}"
    env = base_env(tmp_path) | {"OFFICEHOURS_DATA_DIR": str(data)}
    served = start_serve(env, "--demo-if-empty")
    try:
        output = served.printed()
        assert f"PostgreSQL data: {data / 'postgres'}" in output
        assert "Seeded the demo" in output and "maya@example.com" in output
        pid = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
        assert psutil.pid_exists(pid)
    finally:
        status = served.stop(signal.SIGINT)
    assert status == 0
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    # A second start keeps the data and does not seed again.
    served = start_serve(env, "--demo-if-empty")
    assert "Seeded the demo" not in served.printed()
    assert served.stop(signal.SIGINT) == 0
    subprocess.run(["rm", "-rf", str(data)], check=True)
