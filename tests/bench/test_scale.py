"""bench/scale.py at a tiny size, so that the benchmark of issue 12 cannot rot.

The full size is a benchmark, not a test (``make bench-scale``); this runs the same script,
loader and measurements included, on a few users and checks that it prints the load summary
and a ratio beside its goal for every operation the issue asks about. The figures themselves
are not judged: at this size they are noise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every query and page of issue 12's table and list, as the script labels them.
EXPECTED = [
    "signed-in user lookup",
    "upcoming calls as a client",
    "past calls as a client",
    "upcoming calls as a coach",
    "list_users as admin",
    "coaches as admin",
    "assignments as admin",
    "free_slots, 8 weeks",
    "CalDAV appointments rebuild (generated.refresh)",
    "GET /book?week= (client week page)",
    "GET /appointments (My calls)",
    "GET / (client home)",
    "GET /coach/schedule",
    "GET /coach/clients",
    "GET /admin/users",
    "GET /admin/users?q= (search by email)",
    "GET /admin/users?after= (a page further on)",
    "GET /admin/assignments",
    "GET /admin/rules",
    "GET /admin/bookings",
    "GET /admin/mail",
    "GET /api/v1/appointments (API token)",
    "GET /api/v1/availability, 8 weeks",
    "GET /feed/<secret>.ics (calendar feed)",
    "CalDAV 1-week time-range REPORT",
    "CalDAV depth-1 PROPFIND",
    "CalDAV delta sync after a booking",
    "book() through SQL",
    "cancel() through SQL",
    "mail_claim(), 2 years of sent mail",
    "officehours mailer status",
    "caldav_user_changed (owner, zone change)",
    "coaching update on deactivation (owner)",
    "admin: deactivate a user",
    "admin: assign a coach (assign_coach)",
]
# | label | where | big ms | small ms | ratio | goal | ok or FAIL |
RATIO = re.compile(
    r"^\| (?P<label>.+?) \| [^|]+ \| [\d,.]+ ms \| [\d,.]+ ms \| [\d,.]+x"
    r" \| <= 1\.3 \| (ok|FAIL) \|$"
)
TINY = {"--coaches": "3", "--clients-per-coach": "6", "--months": "2", "--repeat": "1"}


@pytest.mark.slow
def test_the_scale_benchmark_prints_every_ratio_at_a_tiny_size(
    pg_admin_url: str, tmp_path: Path
) -> None:
    options = {**TINY, "--database-url": pg_admin_url, "--out": str(tmp_path), "--plans": "all"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), *sum(options.items(), ())],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert any(line.startswith("| big (3 coaches) | ") for line in lines), done.stdout
    assert any(line.startswith("| small (10 coaches) | ") for line in lines), done.stdout
    ratios = [m["label"] for m in map(RATIO.match, lines) if m]
    assert ratios == EXPECTED, done.stdout
    assert (tmp_path / "results.md").read_text("utf-8").count("| <= 1.3 |") == len(EXPECTED)
    # The plans of every operation, on both databases, as auto_explain logged them.
    for label in EXPECTED:
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        for which in ("big", "small"):
            assert "Query Text:" in (tmp_path / f"{slug}.{which}.txt").read_text("utf-8"), label
    # The databases are dropped afterwards.
    assert "kept the databases" not in done.stdout
