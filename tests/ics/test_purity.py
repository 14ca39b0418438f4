"""ics is pure: it imports the standard library, its three iCalendar libraries and email-validator
(the address rules of ics.addresses) only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ics

ALLOWED = {"icalendar", "recurring_ical_events", "dateutil", "email_validator"}
PACKAGE = Path(ics.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_modules_import_only_the_standard_library_and_icalendar_libraries() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        foreign = _imports(path) - ALLOWED - set(sys.stdlib_module_names)
        assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_importing_ics_loads_no_framework() -> None:
    code = (
        "import sys, ics; "
        "print(sorted(m for m in ('flask', 'radicale', 'psycopg2', 'officehours', "
        "'booking_web', 'caldav_plugin') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_public_modules_stay_small() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, path.name
