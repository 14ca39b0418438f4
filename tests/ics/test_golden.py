"""Every kind of output, byte for byte, against golden files (UPDATE_GOLDEN=1 rewrites)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from icalendar import Calendar

from ics._calendar import PRODID


def test_output_matches_golden_file(
    output_name: str,
    outputs: dict[str, Callable[[], bytes]],
    check_golden: Callable[[str, bytes], None],
) -> None:
    check_golden(output_name, outputs[output_name]())


def test_output_is_byte_stable(output_name: str, outputs: dict[str, Callable[[], bytes]]) -> None:
    make = outputs[output_name]
    assert make() == make()


def test_output_survives_an_icalendar_round_trip_unchanged(
    output_name: str, outputs: dict[str, Callable[[], bytes]]
) -> None:
    data = outputs[output_name]()
    parsed = Calendar.from_ical(data)
    assert parsed.errors == []
    assert all(component.errors == [] for component in parsed.walk())
    assert parsed.to_ical() == data


def test_output_is_crlf_folded_utf8(
    output_name: str, outputs: dict[str, Callable[[], bytes]]
) -> None:
    data = outputs[output_name]()
    text = data.decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2:] == ["END:VCALENDAR", ""]
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert f"PRODID:{PRODID}" in lines
    assert "VERSION:2.0" in lines


def test_every_golden_file_belongs_to_an_output(
    outputs: dict[str, Callable[[], bytes]],
) -> None:
    """A renamed or removed output must not leave a stale golden file behind."""
    golden = Path(__file__).parent / "golden"
    on_disk = {path.relative_to(golden).as_posix() for path in golden.rglob("*.ics")}
    assert on_disk == set(outputs)
