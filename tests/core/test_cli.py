"""The officehours command line, against a real database."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from officehours.cli import build_parser, main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("DATABASE_URL", db_url)

    def call(*argv: str) -> tuple[int, str, str]:
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return call


def test_a_coach_a_client_hours_and_a_booking(run: Run) -> None:
    status, out, _ = run(
        "user",
        "add",
        "coach@example.com",
        "--name",
        "Kim Coach",
        "--role",
        "coach",
        "--tz",
        "America/Los_Angeles",
    )
    assert status == 0 and out.startswith("kim-coach-")
    assert (
        run(
            "user",
            "add",
            "cl@example.com",
            "--name",
            "Cleo",
            "--role",
            "client",
            "--tz",
            "Asia/Kolkata",
            "--password",
            "long enough password",
        )[0]
        == 0
    )
    assert run("coach", "assign", "cl@example.com", "coach@example.com")[0] == 0
    assert (
        run("hours", "set", "coach@example.com", "mon-fri 09:00-12:00", "mon-thu 13:00-17:00")[0]
        == 0
    )
    status, out, _ = run("hours", "show", "coach@example.com")
    assert out.splitlines()[:3] == ["mon 09:00-12:00", "mon 13:00-17:00", "tue 09:00-12:00"]
    assert len(out.splitlines()) == 9
    assert run("rules", "set", "booking_horizon", "730 days")[0] == 0
    status, out, _ = run("slots", "cl@example.com", "--from", "2027-03-15", "--to", "2027-03-15")
    # 09:00 in Los Angeles on Monday 15 March 2027 (PDT) is 21:30 in Kolkata.
    assert status == 0 and out.splitlines()[0] == "2027-03-15T21:30:00+05:30 Asia/Kolkata"
    status, out, _ = run("book", "cl@example.com", "2027-03-15T21:30")
    assert status == 0 and out.strip().endswith("2027-03-15 21:30 Asia/Kolkata")
    status, _, err = run("book", "cl@example.com", "2027-03-15T21:30")
    assert status == 1 and "slot_taken" in err
    status, _, err = run("book", "cl@example.com", "2027-03-16T08:00-07:00")
    assert status == 1 and "outside_office_hours" in err


def test_exceptions_rules_and_credentials(run: Run) -> None:
    run(
        "user",
        "add",
        "coach@example.com",
        "--name",
        "Kim",
        "--role",
        "coach",
        "--tz",
        "America/Los_Angeles",
    )
    assert run("hours", "except", "coach@example.com", "2027-03-20", "10:00-12:00")[0] == 0
    assert run("hours", "except", "coach@example.com", "2027-03-22")[0] == 0  # a day off
    status, _, err = run("hours", "except", "coach@example.com", "2027-03-14", "02:30-04:00")
    assert status == 1 and "nonexistent_local_time" in err
    status, out, _ = run("hours", "clear", "coach@example.com", "2027-03-20")
    assert out.strip() == "removed 1 exception(s)"
    assert run("rules", "set", "minimum_notice", "2 hours", "--coach", "coach@example.com")[0] == 0
    status, out, _ = run("rules", "show", "--coach", "coach@example.com")
    assert "minimum_notice   2 hours (override)" in out
    status, out, _ = run("rules", "show")
    assert "minimum_notice   12 hours\t" in out and "slot_length      1 hour\t" in out
    status, _, err = run("rules", "set", "slot_length", "7 minutes")
    assert status == 1 and "invalid_rule_value" in err
    status, out, _ = run("token", "create", "coach@example.com", "--label", "script")
    assert status == 0 and out.startswith("oh_") and len(out.strip()) > 40
    status, out, _ = run("app-password", "create", "coach@example.com")
    assert status == 0 and len(out.strip()) == 24


def test_bad_arguments_get_clear_errors_and_change_nothing(run: Run) -> None:
    status, _, err = run(
        "user", "add", "x@example.com", "--name", "X", "--role", "wizard", "--tz", "UTC"
    )
    assert status == 2 and "invalid choice: 'wizard'" in err
    status, _, err = run(
        "user", "add", "x@example.com", "--name", "X", "--role", "client", "--tz", "Mars/Base"
    )
    assert status == 1 and "invalid_time_zone" in err
    status, _, err = run(
        "user",
        "add",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "client",
        "--tz",
        "UTC",
        "--password",
        "short",
    )
    assert status == 2 and "at least 12 characters" in err
    status, _, err = run("hours", "set", "nobody@example.com", "mon-fri 9-5")
    assert status == 2 and "not a time like 09:00" in err
    status, _, err = run("hours", "set", "nobody@example.com", "funday 09:00-17:00")
    assert status == 2 and "not a day" in err
    status, _, err = run("hours", "set", "nobody@example.com", "mon 09:00-17:00")
    assert status == 1 and "unknown_user" in err
    status, _, err = run("book", "x@example.com", "next tuesday")
    assert status == 2 and "not a time like" in err
    status, _, err = run("serve", "--web", "localhost")
    assert status == 2 and "HOST:PORT" in err
    status, out, _ = run("user", "list")
    assert out == ""


def test_rule_values_are_stored_as_shown_or_refused(run: Run) -> None:
    """`rules set history_shown '3 months'` was stored as '3 mons', after which `rules show`
    (and the admin page) failed for good: now it is refused, naming the units allowed."""
    for value in ("3 months", "1 year", "90 seconds", "01:30:00", "1.5 hours"):
        status, _, err = run("rules", "set", "history_shown", value)
        assert status == 1 and "invalid_rule_value" in err, value
        assert "give whole minutes, hours or days" in err and "not months, years" in err
    status, out, _ = run("rules", "show")
    assert status == 0 and "history_shown    180 days\t" in out
    assert run("rules", "set", "history_shown", "1 day 12 hours")[0] == 0
    status, out, _ = run("rules", "show")
    assert status == 0 and "history_shown    36 hours\t" in out
    assert run("rules", "set", "history_shown", "36 hours")[0] == 0  # as shown: read back
    status, _, err = run("rules", "set", "monthly_limit", "\u0663")
    assert status == 1 and "whole number" in err
    status, out, _ = run("rules", "show")
    assert "monthly_limit    2\t" in out


def test_times_and_dates_are_read_as_the_website_reads_them(run: Run) -> None:
    coach = ("user", "add", "k@example.com", "--name", "Kim", "--role", "coach")
    assert run(*coach, "--tz", "UTC")[0] == 0
    for span in ("09:00:30-17:00", "09:00+05:00-17:00", "9:00-17:00", "\u0660\u0669:00-17:00"):
        status, _, err = run("hours", "set", "k@example.com", f"mon {span}")
        assert status == 2 and "is not a time like 09:00" in err, span
        status, _, err = run("hours", "except", "k@example.com", "2027-03-20", span)
        assert status == 2 and "is not a time like 09:00" in err, span
    for day in ("2027-W11-6", "20270320", "9999-12-31"):
        status, _, err = run("hours", "except", "k@example.com", day)
        assert status == 2 and "is not a date like 2027-03-14, in the years 1900 to 2999" in err
    for start in (
        "9999-12-31T23:00:00-23:59",
        "0001-01-01T00:00:00+14:00",
        "2027-03-15T09:00+15:00",
    ):
        status, _, err = run("book", "k@example.com", start)
        assert status == 2 and "is not a time like" in err, start
    status, out, _ = run("hours", "show", "k@example.com")
    assert status == 0 and out == ""


def test_demo_seeds_people_hours_and_bookings(run: Run) -> None:
    status, out, _ = run("demo")
    assert status == 0 and "maya@example.com\tMaya Okafor\tcoach" in out
    status, out, _ = run("user", "list", "--role", "client")
    assert len(out.splitlines()) == 3
    status, _, err = run("demo")
    assert status == 1 and "email_taken" in err


def test_every_command_has_help() -> None:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands: dict[str, argparse.ArgumentParser] = subparsers.choices
    for name, sub in commands.items():
        assert sub.format_help().startswith("usage: officehours " + name)
