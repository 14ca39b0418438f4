"""Named queries: the file format, and every module's queries exist and are used."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from officehours import sqlfiles

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("officehours", "booking_web", "caldav_plugin", "mailer")


def test_a_file_of_named_queries_reads_as_its_queries() -> None:
    q = sqlfiles.parse(
        "-- What the file is for.\n\n"
        "-- name: first\n-- Says 100% what it does: not sent.\nSELECT 1;\n\n"
        "-- name: second_one\nSELECT %s\n  -- a comment inside stays\n  FROM t\n",
        "test.sql",
    )
    assert q.names() == ["first", "second_one"]
    assert q.first == "SELECT 1\n"
    assert q["second_one"] == "SELECT %s\n  -- a comment inside stays\n  FROM t\n"
    with pytest.raises(AttributeError, match=r"test\.sql has no query named 'third'"):
        q.third  # noqa: B018


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-- name: twice\nSELECT 1\n-- name: twice\nSELECT 2\n", "defined twice"),
        ("-- name: Bad-Name\nSELECT 1\n", "is not a query name"),
        ("-- name:\nSELECT 1\n", "is not a query name"),
        ("-- name: empty\n-- only a comment\n\n-- name: next\nSELECT 1\n", "has no SQL"),
    ],
)
def test_a_malformed_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(sqlfiles.QueryFileError, match=message):
        sqlfiles.parse(text, "bad.sql")


def modules_with_queries() -> list[tuple[str, Path]]:
    found = []
    for part in PARTS:
        for sql_file in sorted((ROOT / part).glob("*.sql")):
            if sql_file.with_suffix(".py").exists():
                found.append((f"{part}.{sql_file.stem}", sql_file))
    return found


@pytest.mark.parametrize(("module", "sql_file"), modules_with_queries(), ids=lambda v: str(v))
def test_every_query_a_module_names_exists_and_every_query_is_used(
    module: str, sql_file: Path
) -> None:
    queries = sqlfiles.parse(sql_file.read_text("utf-8"), str(sql_file))
    importlib.import_module(module)  # loads the file: a malformed one fails here
    source = sql_file.with_suffix(".py").read_text("utf-8")
    named = set(re.findall(r"\bQ\.([a-z_][a-z0-9_]*)", source))
    named |= set(re.findall(r"\bQ\[\"([a-z_][a-z0-9_]*)\"\]", source))
    assert sorted(named - set(queries.names())) == []
    assert sorted(set(queries.names()) - named) == [], "queries nobody runs"


def test_no_module_builds_sql_from_pieces() -> None:
    # A string (not a raw one: those are patterns) that starts like a statement.
    statement = re.compile(
        r"(?<![rR])[\"'](\s*)(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE|DROP|LISTEN|"
        r"SAVEPOINT|SET LOCAL)\b"
    )
    offenders = []
    for part in PARTS:
        for py in sorted((ROOT / part).glob("*.py")):
            for number, line in enumerate(py.read_text("utf-8").splitlines(), 1):
                if statement.search(line):
                    offenders.append(f"{py.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
