"""caldav-server-tester (PyPI) against the server; its findings must match the committed
baseline. After a deliberate change, rewrite the baseline with OFFICEHOURS_UPDATE_BASELINE=1."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.caldav.dav import Login

pytestmark = pytest.mark.slow
BASELINE = Path(__file__).with_name("caldav_server_tester_baseline.json")
MUST_BE_FULL = (
    "sync-token",
    "sync-token.delete",
    "sync-token.invalid-token",
    "search.time-range.event",
    "search.time-range.open.start",
    "search.time-range.open.end",
    "freebusy-query",
    "save.no-uid-conflict",
)


def _observed(caldav_url: str, login: Login, home: Path) -> dict[str, object]:
    tester = Path(sys.executable).with_name("caldav-server-tester")
    result = subprocess.run(
        [
            str(tester),
            "--caldav-url",
            caldav_url,
            "--caldav-username",
            login.email,
            "--caldav-password",
            login.password,
            "--format",
            "hints",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=home,
        env={**os.environ, "HOME": str(home)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # The hints format lists every feature checked, as a Python dict literal.
    hints = ast.literal_eval(result.stdout[result.stdout.index("{") :])
    return {name: info.get("support", info) for name, info in sorted(hints.items())}


def test_caldav_server_tester_matches_baseline(
    caldav_url: str, coach: Login, tmp_path: Path
) -> None:
    observed = _observed(caldav_url, coach, tmp_path)
    if os.environ.get("OFFICEHOURS_UPDATE_BASELINE") == "1":
        BASELINE.write_text(json.dumps(observed, indent=2, sort_keys=True) + "\n")
    expected = json.loads(BASELINE.read_text())
    for feature in MUST_BE_FULL:
        assert observed.get(feature) == "full", feature
    differences = {
        name: {"baseline": expected.get(name), "observed": observed.get(name)}
        for name in sorted(set(expected) | set(observed))
        if expected.get(name) != observed.get(name)
    }
    assert differences == {}
