"""Check iCalendar data with libical, run by the system Python (not the project's venv).

Reads one VCALENDAR on stdin and prints a JSON report:
``{"parse_errors": [...], "restriction_ok": bool, "restriction_errors": [...]}``.
``restriction_ok`` is libical's iTIP check (RFC 5546 restriction tables, chosen by the
METHOD; without METHOD, RFC 5545 only), ``i_cal_restriction_check``. Errors are the
X-LIC-ERROR properties libical adds to the components it rejects.

Exit status: 0 when there are no errors, 1 when there are, 3 when libical's GObject
bindings cannot be loaded (Debian: apt-get install gir1.2-ical-3.0 python3-gi).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _errors(component: Any, kind: Any) -> list[str]:
    """Collect X-LIC-ERROR texts from ``component`` and everything inside it."""
    found: list[str] = []
    prop = component.get_first_property(kind.XLICERROR_PROPERTY)
    while prop is not None:
        name = component.kind_to_string(component.isa())
        found.append(f"{name}: {prop.get_xlicerror()}")
        prop = component.get_next_property(kind.XLICERROR_PROPERTY)
    return found


def _walk(component: Any, ical: Any) -> list[str]:
    found = _errors(component, ical.PropertyKind)
    child = component.get_first_component(ical.ComponentKind.ANY_COMPONENT)
    while child is not None:
        found.extend(_walk(child, ical))
        child = component.get_next_component(ical.ComponentKind.ANY_COMPONENT)
    return found


def main() -> int:
    try:
        import gi

        gi.require_version("ICalGLib", "3.0")
        from gi.repository import ICalGLib
    except (ImportError, ValueError) as exc:
        print(f"libical GObject bindings not available: {exc}", file=sys.stderr)
        return 3
    text = sys.stdin.buffer.read().decode("utf-8")
    try:
        calendar = ICalGLib.Component.new_from_string(text)
    except TypeError:  # the bindings turn a NULL component into this
        calendar = None
    if calendar is None:
        report = {"parse_errors": ["libical could not parse the data"], "restriction_ok": False}
        print(json.dumps({**report, "restriction_errors": []}))
        return 1
    parse_errors = _walk(calendar, ICalGLib)
    calendar.strip_errors()
    restriction_ok = bool(ICalGLib.restriction_check(calendar))
    restriction_errors = _walk(calendar, ICalGLib)
    report = {
        "parse_errors": parse_errors,
        "restriction_ok": restriction_ok,
        "restriction_errors": restriction_errors,
    }
    print(json.dumps(report))
    return 0 if restriction_ok and not parse_errors and not restriction_errors else 1


if __name__ == "__main__":
    sys.exit(main())
