"""One definition of an email address and a display name (issue 8), run through every part.

The same corpus goes through the database CHECK functions, their Python twins in
``ics.addresses``, the input rule (``email-validator``) behind ``accounts.add_user`` (the website
and the CLI), ``ics.model.Person`` and a raw INSERT: they agree on every value. Random text then
goes through the SQL functions and their twins. Rows from before the rules are kept and named
by ``officehours migrate``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg2 import sql

from ics import Person, addresses
from officehours import accounts, errors, migrations
from officehours.cli import main
from officehours.db import Database, one
from tests.lib.support import admin_execute, with_database

LONG_LOCAL = "l" * 65 + "@example.com"
LONG_ADDRESS = "l" * 64 + "@" + ".".join(["d" * 60] * 3) + ".example.com"  # 255 characters
LONG_LABEL = "a@" + "d" * 64 + ".com"

# (typed text, what add_user stores or None when it is refused, whether the text as it stands
# is in the stored form the database CHECK accepts)
EMAILS: list[tuple[str, str | None, bool]] = [
    ("o'brien@example.com", "o'brien@example.com", True),
    ("ann+tag@example.com", "ann+tag@example.com", True),
    ("first.last@mail.example.co.uk", "first.last@mail.example.co.uk", True),
    ("u2@123.example.com", "u2@123.example.com", True),
    ("-dash_and{braces}@example.com", "-dash_and{braces}@example.com", True),
    ("user@xn--bcher-kva.de", "user@xn--bcher-kva.de", True),  # IDN, as stored
    ("user@bücher.de", "user@xn--bcher-kva.de", False),  # IDN, as typed
    ("Ann@Example.COM", "Ann@example.com", True),
    ("l" * 64 + "@example.com", "l" * 64 + "@example.com", True),
    ("dot@example.com.", None, False),
    ("a@e..com", None, False),
    ("a@.example.com", None, False),
    ("[a]@example.com", None, False),
    ("a@[example.com", None, False),
    ("a@[192.0.2.1]", None, False),
    ('"a b"@example.com', None, False),
    (".a@example.com", None, False),
    ("a.@example.com", None, False),
    ("a..b@example.com", None, False),
    ("a@@example.com", None, False),
    ("a@-example.com", None, False),
    ("a@example-.com", None, False),
    ("a@ab--cd.com", None, False),
    ("a@example", None, False),
    ("a@localhost", None, False),
    ("a@host.test", None, False),
    ("a@printer.local", None, False),
    ("a@example.123", None, False),
    ("a b@example.com", None, False),
    ("a@example.com\n", None, False),
    ("a\x01@example.com", None, False),
    ("a@exam\x7fple.com", None, False),
    ("a\u2028b@example.com", None, False),
    ("a@exa\u2029mple.com", None, False),
    ("zoë@example.com", None, False),
    ("Name <a@example.com>", None, False),
    ("a@example.com, b@example.com", None, False),
    ("mailto:a@example.com", None, False),
    ("@example.com", None, False),
    ("a@", None, False),
    ("", None, False),
    (LONG_LOCAL, None, False),
    (LONG_ADDRESS, None, False),
    (LONG_LABEL, None, False),
    # The one difference: IDNA's check of an A-label is beyond any CHECK. Only a hand-written
    # statement can store it; it is plain ASCII, so every part can still carry it.
    ("a@xn--zz.com", None, True),
]

# (name, accepted)
NAMES: list[tuple[str, bool]] = [
    ("Siobhán O'Brien", True),
    ("Zoë Ødegård", True),
    ('<script>alert(1)</script>, "Doe; Jr."', True),
    ("李小龍", True),
    ("Ann \U0001f3f3\ufe0f\u200d\U0001f308", True),  # a flag made with a zero-width joiner
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", True),  # Persian, with a ZWNJ
    ("x" * 200, True),
    ("", False),
    (" ", False),
    (" Ann", False),
    ("Ann ", False),
    ("Ann\u00a0", False),
    ("\u3000Ann", False),
    ("Ann\u2028Client", False),
    ("Ann\u2029Client", False),
    ("Ann\nBcc: x@example.com", False),
    ("Ann\rClient", False),
    ("Ann\tClient", False),
    ("Ann\x85Client", False),
    ("Ann\x7fClient", False),
    ("Ann\u202eClient", False),
    ("Ann\u200fClient", False),
    ("Ann\u2066Client", False),
    ("Ann\ufeffClient", False),
    ("x" * 201, False),
]


def sql_verdict(db: Database, function: str, text: str) -> bool:
    """The database's verdict; a NUL never reaches it (the driver refuses it), so: no."""
    try:
        with db.transaction() as cur:
            cur.execute(f"SELECT {function}(%s)", (text,))
            return bool(one(cur)[0])
    except ValueError:
        return False


def raw_insert_accepted(db: Database, email: str, name: str) -> bool:
    """Whether an INSERT that skips every Python check is taken (then it is rolled back)."""
    try:
        with db.transaction() as cur:
            cur.execute(
                "INSERT INTO users (email, display_name, time_zone, role) "
                "VALUES (%s, %s, 'UTC', 'client')",
                (email, name),
            )
            raise _RollBack
    except _RollBack:
        return True
    except (errors.InvalidEmail, errors.InvalidName, ValueError):
        return False


class _RollBack(Exception):
    pass


def user_count(db: Database) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM users")
        return int(one(cur)[0])


def carried(email: str = "someone@example.com", name: str = "Someone") -> bool:
    """Whether ics.model.Person (invites, feeds, CalDAV items, mail) takes the values."""
    try:
        Person(name=name, email=email)
    except ValueError:
        return False
    return True


def forget(db: Database, slug: str) -> None:
    """Removes a user the test made, so the next value may reuse the address."""
    with db.transaction() as cur:
        cur.execute("DELETE FROM users WHERE slug = %s", (slug,))


def test_every_part_agrees_on_each_email_address(db: Database) -> None:
    """One table, every part: a list of what disagrees, empty."""
    wrong: list[str] = []
    for text, stored, in_stored_form in EMAILS:
        verdicts = {
            "sql is_email_address": sql_verdict(db, "is_email_address", text),
            "ics.addresses.is_email_address": addresses.is_email_address(text),
            "raw INSERT": raw_insert_accepted(db, text, "Someone"),
            "ics.model.Person": carried(email=text),
        }
        wrong += [f"{text!r}: {part}" for part, v in verdicts.items() if v is not in_stored_form]
        try:
            typed: str | None = addresses.email_address(text)
        except addresses.AddressError:
            typed = None
        if typed != stored:
            wrong.append(f"{text!r}: email_address gave {typed!r}, not {stored!r}")
        if stored is not None and not sql_verdict(db, "is_email_address", stored):
            wrong.append(f"{text!r}: the CHECK refuses what email_address stores")

        before = user_count(db)
        try:
            slug = accounts.add_user(db, None, text, "Someone", "client", "UTC")
        except errors.InvalidEmail as exc:
            if stored is not None or not exc.message.startswith("That is not an email address"):
                wrong.append(f"{text!r}: add_user refused it: {exc.message}")
            if user_count(db) != before:
                wrong.append(f"{text!r}: a refused add_user changed the users")
        else:
            if accounts.get_user(db, None, slug).email != stored:
                wrong.append(f"{text!r}: add_user stored {accounts.get_user(db, None, slug)}")
            forget(db, slug)
    assert wrong == []


# What add_user stores for names that differ from the name typed: it trims spaces, as ever.
TRIMMED = {" Ann": "Ann", "Ann ": "Ann"}


def test_every_part_agrees_on_each_display_name(db: Database) -> None:
    wrong: list[str] = []
    for name, accepted in NAMES:
        verdicts = {
            "sql is_display_name": sql_verdict(db, "is_display_name", name),
            "ics.addresses.is_display_name": addresses.is_display_name(name),
            "raw INSERT": raw_insert_accepted(db, "someone@example.com", name),
            "ics.model.Person": carried(name=name),
        }
        wrong += [f"{name!r}: {part}" for part, v in verdicts.items() if v is not accepted]
        expected = name if accepted else TRIMMED.get(name)
        before = user_count(db)
        try:
            slug = accounts.add_user(db, None, "someone@example.com", name, "client", "UTC")
        except errors.InvalidName:
            if expected is not None:
                wrong.append(f"{name!r}: add_user refused it")
            if user_count(db) != before:
                wrong.append(f"{name!r}: a refused add_user changed the users")
        else:
            if accounts.get_user(db, None, slug).name != expected:
                wrong.append(f"{name!r}: add_user stored {accounts.get_user(db, None, slug)}")
            forget(db, slug)
    assert wrong == []


@pytest.fixture
def raw(db_url: str) -> Iterator[Any]:
    """One autocommit cursor, for many quick questions to the database."""
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _ask(cur: Any, function: str, text: str) -> bool:
    cur.execute(f"SELECT {function}(%s)", (text,))
    return bool(cur.fetchone()[0])


_ADDRESS_PIECES = st.sampled_from(
    [*"aZ09.-_+'@@..--[]\"() ,;:<>\\`{|}~!#$%&*/=?^", "xn--", "ab--", ".com", "ü", "\u2028"]
)
_address_like = st.lists(_ADDRESS_PIECES, min_size=1, max_size=30).map("".join)
# Text PostgreSQL can hold: no NUL, no lone surrogates.
_any_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=40,
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(_address_like, _any_text, st.emails()))
def test_the_sql_address_rule_and_its_twin_agree_on_any_text(raw: Any, text: str) -> None:
    assert _ask(raw, "is_email_address", text) is addresses.is_email_address(text)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.emails())
def test_what_the_input_rule_stores_the_database_takes(raw: Any, text: str) -> None:
    try:
        stored = addresses.email_address(text)
    except addresses.AddressError:
        return
    assert _ask(raw, "is_email_address", stored)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(_any_text, st.text(alphabet="a \u00a0\u2028\u202e\x85\x1f\u3000")))
def test_the_sql_name_rule_and_its_twin_agree_on_any_text(raw: Any, text: str) -> None:
    assert _ask(raw, "is_display_name", text) is addresses.is_display_name(text)


# Existing rows that break the new rules: kept, and named by `officehours migrate`.


@pytest.fixture
def before_0030(pg_admin_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database migrated as a release before 0030 left it: its migrations only."""
    name = "officehours_before_0030"
    admin_execute(pg_admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(pg_admin_url, name)
    try:
        with monkeypatch.context() as m:
            older = [mig for mig in migrations.available() if mig.version < "0030"]
            m.setattr(migrations, "available", lambda: older)
            m.setattr(migrations, "definitions", lambda: [])
            migrations.migrate(url)
        yield url
    finally:
        admin_execute(
            pg_admin_url, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _execute(url: str, statement: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


OLD_ROWS = [
    ("trailing-dot", "dot@example.com.", "Dot"),
    ("double-dot", "a@e..com", "Double"),
    ("bad-name", "ok@example.com", "Ann\u2028Client"),
    ("fine", "fine@example.com", "Fine"),
]


def _insert_old_rows(url: str) -> None:
    for slug, email, name in OLD_ROWS:
        _execute(
            url,
            "INSERT INTO users (slug, email, display_name, time_zone, role) "
            "VALUES (%s, %s, %s, 'UTC', 'client')",
            (slug, email, name),
        )


def _validated(url: str) -> dict[str, bool]:
    rows = _execute(
        url,
        "SELECT conname, convalidated FROM pg_constraint"
        " WHERE conname IN ('user_email_format', 'user_display_name_sane')",
    )
    return {str(name): bool(valid) for name, valid in rows}


def test_migrate_keeps_and_names_the_users_that_break_the_new_rules(
    before_0030: str, caplog: pytest.LogCaptureFixture
) -> None:
    _insert_old_rows(before_0030)
    with caplog.at_level(logging.WARNING, logger="officehours.migrations"):
        assert "0030_addresses.sql" in migrations.migrate(before_0030)
    named = sorted(
        (str(r.args[0]), str(r.args[1]))
        for r in caplog.records
        if r.name == "officehours.migrations" and isinstance(r.args, tuple)
    )
    assert named == [
        ("bad-name", "display_name"),
        ("double-dot", "email"),
        ("trailing-dot", "email"),
    ]
    assert len(_execute(before_0030, "SELECT slug FROM users")) == 4  # nothing lost
    assert _validated(before_0030) == {"user_email_format": False, "user_display_name_sane": False}
    # New and changed rows are checked at once all the same.
    with pytest.raises(psycopg2.errors.CheckViolation):
        _execute(before_0030, "UPDATE users SET email = 'x@e..com' WHERE slug = 'fine'")

    # Every run names them again, until they are corrected; then the CHECKs are validated.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="officehours.migrations"):
        assert migrations.migrate(before_0030) == []
    assert len([r for r in caplog.records if r.name == "officehours.migrations"]) == 3
    _execute(before_0030, "UPDATE users SET email = 'dot@example.com' WHERE slug = 'trailing-dot'")
    _execute(before_0030, "UPDATE users SET email = 'a@e.com' WHERE slug = 'double-dot'")
    migrations.migrate(before_0030)
    assert _validated(before_0030) == {"user_email_format": True, "user_display_name_sane": False}
    _execute(before_0030, "UPDATE users SET display_name = 'Ann Client' WHERE slug = 'bad-name'")
    migrations.migrate(before_0030)
    assert _validated(before_0030) == {"user_email_format": True, "user_display_name_sane": True}


def test_officehours_migrate_prints_them(before_0030: str) -> None:
    _insert_old_rows(before_0030)
    done = subprocess.run(
        [sys.executable, "-m", "officehours.cli", "migrate"],
        env={**os.environ, "DATABASE_URL": before_0030},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "user trailing-dot: the stored email breaks the address rules" in done.stderr
    assert "user bad-name: the stored display_name breaks the address rules" in done.stderr
    assert "user fine" not in done.stderr


def test_the_cli_refuses_a_bad_address_with_the_reason(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    argv = ["user", "add", "dot@example.com.", "--name", "Dot", "--role", "client", "--tz", "UTC"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "invalid_email" in err and "period" in err
