"""The docs and the code stay in step: every setting, command, rule and error code is documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from officehours import errors
from officehours.cli import build_parser, reference
from officehours.db import Database
from officehours.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_readme_shows_the_two_commands() -> None:
    assert "```sh\nmake run\n```" in README
    assert "```sh\nmake test\n```" in README


def test_every_setting_is_documented() -> None:
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in README, setting.name


def test_every_error_code_is_documented() -> None:
    for error in errors.ALL_ERRORS:
        row = f"| `{error.code}` | {error.http_status} | {errors.raised_by(error)} |"
        assert row in README, error.code


def test_every_business_rule_is_documented(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute("SELECT name FROM rule_definitions")
        defined = [row[0] for row in cur.fetchall()]
    assert defined
    for name in defined:
        assert f"| `{name}` |" in README, name


def test_every_command_is_documented() -> None:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands: dict[str, argparse.ArgumentParser] = subparsers.choices
    for name in commands:
        assert f"`officehours {name}" in README, name


def test_the_command_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text() == reference(), (
        "docs/cli.md is out of date: .venv/bin/python -c 'from officehours.cli import reference;"
        ' open("docs/cli.md", "w").write(reference())\''
    )


def test_the_readme_has_no_unfinished_parts() -> None:
    assert not re.search(r"\b(FIXME|TODO|XXX)\b|[A-Z]+_(SECTION|TABLE|BENCH)\b", README)


def test_images_in_the_readme_exist() -> None:
    for path in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / path).is_file(), path
