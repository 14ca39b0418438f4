"""Resource names for generated items."""

from __future__ import annotations

import re

import pytest

from ics import item_key


@pytest.mark.parametrize(
    ("uid", "key"),
    [
        ("Zx3k9Qp2Lm7Rt5Vw_a-1@book.example.org", "Zx3k9Qp2Lm7Rt5Vw_a-1.ics"),
        (
            "jane.office-hours.weekly-1-090000-170000@book.example.org",
            "jane.office-hours.weekly-1-090000-170000.ics",
        ),
    ],
)
def test_our_uids_give_readable_keys(uid: str, key: str) -> None:
    assert item_key(uid) == key


@pytest.mark.parametrize(
    "uid", ["no-at-sign", "with space@x.org", "../etc/passwd@x.org", "..@x.org", "Zoë@x.org"]
)
def test_other_uids_are_hashed_into_safe_keys(uid: str) -> None:
    key = item_key(uid)
    assert re.fullmatch(r"[0-9a-f]{64}\.ics", key)
    assert item_key(uid) == key


def test_an_empty_uid_is_refused() -> None:
    with pytest.raises(ValueError, match="uid must not be empty"):
        item_key("")
