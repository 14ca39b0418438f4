"""Input is taken exactly as it is stored, or refused with our message (issue 8, finding 4 and
the interval rule of finding 3): office hours are HH:MM, dates YYYY-MM-DD, rule durations whole
minutes, hours or days; one parser for each, shared by the pages, the API and the CLI."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from flask.testing import FlaskClient

from officehours import accounts, errors, inputs
from officehours.hours import parse_rule
from tests.lib.support import World

MIGRATION = Path(__file__).resolve().parents[2] / "sql/migrations/0033_rule_durations.sql"
NOT_HH_MM = [
    "09:00+05:00",
    "09:00:30",
    "09:00:00.5",
    "09:00\x00",
    "9:00",
    "0900",
    "09",
    "T09:00",
    "24:00",
    "09:60",
    "\u0660\u0669:\u0660\u0660",
    "\uff10\uff19:\uff10\uff10",
    "09:00 am",
    "09.00",
]
NOT_A_DATE = [
    "20270111",
    "2027-W02-1",
    "2027-1-11",
    "9999-12-31",
    "0001-01-01",
    "\u0662\u0660\u0662\u0667-\u0660\u0661-\u0661\u0661",
]


def stored(world: World) -> str:
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT (SELECT json_agg(o ORDER BY id) FROM office_hours o),"
            " (SELECT json_agg(e ORDER BY id) FROM office_hours_exceptions e),"
            " (SELECT json_agg(r ORDER BY id) FROM business_rules r)"
        )
        return json.dumps(cur.fetchone(), default=str)


def test_office_hours_are_exactly_hh_mm(client: FlaskClient, world: World, login: Any) -> None:
    token = login(client, world.x)
    before = stored(world)
    for text in NOT_HH_MM:
        for field in ("day-1-0-start", "day-1-0-end"):
            form = {"csrf_token": token, "day-1-0-start": "08:00", "day-1-0-end": "17:00"}
            form[field] = text
            response = client.post("/coach/hours", data=form)
            assert response.status_code == 400, (field, text, response.status_code)
            if "\x00" not in text:
                assert f'id="{field}-error"' in response.text, (field, text)
                assert "24-hour time like 09:00" in response.text
        for field in ("start", "end"):
            form = {"csrf_token": token, "on_date": "2027-02-01", "start": "10:00", "end": "12:00"}
            form[field] = text
            response = client.post("/coach/exceptions", data=form)
            assert response.status_code == 400, (field, text)
            if "\x00" not in text:
                assert f'id="{field}-error"' in response.text, (field, text)
    assert stored(world) == before


def test_office_hours_keep_the_minutes_as_typed(
    client: FlaskClient, world: World, login: Any
) -> None:
    token = login(client, world.x)
    form = {"csrf_token": token, "day-2-0-start": " 08:30 ", "day-2-0-end": "23:59"}
    assert client.post("/coach/hours", data=form).status_code == 303
    assert [
        (h.weekday, h.start, h.end) for h in accounts.office_hours(world.db, None, world.x)
    ] == [(2, time(8, 30), time(23, 59))]


def test_exception_dates_are_exactly_yyyy_mm_dd(
    client: FlaskClient, world: World, login: Any
) -> None:
    token = login(client, world.x)
    before = stored(world)
    for text in NOT_A_DATE:
        for url in ("/coach/exceptions", "/coach/exceptions/clear"):
            response = client.post(url, data={"csrf_token": token, "on_date": text})
            assert response.status_code == 400, (url, text)
            assert "must be a date like 2027-01-11, in the years 1900 to 2999" in response.text
    assert stored(world) == before


def test_the_command_line_reads_hours_with_the_same_parser() -> None:
    assert parse_rule("mon 09:00-17:30")[0].end == time(17, 30)
    for text in NOT_HH_MM:
        if "\x00" in text or " " in text:
            continue
        with pytest.raises(ValueError, match="is not a time like 09:00"):
            parse_rule(f"mon {text}-18:00")


def test_one_parser_per_kind_and_its_bounds() -> None:
    assert inputs.parse_week("2027-01-13") == date(2027, 1, 11)
    assert inputs.parse_instant("2027-01-11T09:00 08:00", "start").utcoffset() == timedelta(hours=8)
    assert inputs.parse_instant("2999-12-31T23:59:59.5-14:00", "start").year == 2999
    for text in ("2027-01-11T09:00", "2027-01-11T09:00+14:01", "1899-12-31T00:00Z", "x" * 200):
        with pytest.raises(errors.InvalidInput):
            inputs.parse_instant(text, "start")
    assert inputs.parse_datetime("2027-01-11T09:00", "start").utcoffset() is None
    assert inputs.parse_count("12", "months", 1, 12, "m") == 12
    for text in ("\u00b2", "\u0663", "1e1", "", "-1"):
        with pytest.raises(errors.InvalidInput, match=r"^m$"):
            inputs.parse_count(text, "months", 1, 12, "m")


RULE_REFUSALS = [
    ("history_shown", "3 months"),
    ("history_shown", "1 year"),
    ("history_shown", "1 mon"),
    ("minimum_notice", "90 seconds"),
    ("minimum_notice", "1 hour 30 seconds"),
    ("minimum_notice", "1.5 hours"),
    ("minimum_notice", "01:30:00"),
    ("minimum_notice", "P1D"),
    ("minimum_notice", "-1 hour"),
    ("minimum_notice", "\u0663 hours"),
    ("minimum_notice", "1 week"),
    ("minimum_notice", "9" * 200 + " days"),
]


def test_a_rule_is_refused_unless_it_reads_back_as_written(
    client: FlaskClient, world: World, login: Any
) -> None:
    token = login(client, world.admin)
    before = stored(world)
    for name, value in RULE_REFUSALS:
        form = {"csrf_token": token, "name": name, "value": value}
        response = client.post("/admin/rules", data=form)
        assert response.status_code == 422, (value, response.status_code)
        assert "give whole minutes, hours or days" in response.text, value
        assert "not months, years or seconds" in response.text
        with pytest.raises(errors.InvalidRuleValue, match="not months, years or seconds"):
            accounts.set_rule(world.db, None, name, value, world.x)
    assert stored(world) == before
    assert client.get("/admin/rules").status_code == 200


STORED_FORMS = [
    ("1 day 12 hours", 129600, "36 hours", "1 day 12:00:00"),
    ("36 hours", 129600, "36 hours", "1 day 12:00:00"),
    ("90 minutes", 5400, "90 minutes", "01:30:00"),
    ("2 days", 172800, "2 days", "2 days"),
    ("0", 0, "0 minutes", "00:00:00"),
    (" 1 HOUR ", 3600, "1 hour", "01:00:00"),
]


def test_a_rule_is_stored_in_one_form_and_shown_as_such(
    client: FlaskClient, world: World, login: Any
) -> None:
    token = login(client, world.admin)
    for value, seconds, words, text in STORED_FORMS:
        form = {"csrf_token": token, "name": "minimum_notice", "value": value}
        assert client.post("/admin/rules", data=form).status_code == 303
        rule = {r.name: r for r in accounts.rules(world.db, None)}["minimum_notice"]
        assert rule.value == timedelta(seconds=seconds) and rule.text == words, value
        with world.db.transaction() as cur:
            cur.execute(
                "SELECT duration_value::text FROM business_rules WHERE name = 'minimum_notice'"
            )
            assert cur.fetchone() == (text,), value
        page = client.get("/admin/rules")
        assert page.status_code == 200 and f'value="{words}"' in page.text
        # What the page shows is what set_rule reads back, unchanged.
        assert client.post("/admin/rules", data={**form, "value": words}).status_code == 303
        assert {r.name: r for r in accounts.rules(world.db, None)}["minimum_notice"] == rule


def test_counts_are_ascii_digits(world: World) -> None:
    for value in ("\u0663", "3.0", "1e1", "+3", "", "three"):
        with pytest.raises(errors.InvalidRuleValue, match="whole number"):
            accounts.set_rule(world.db, None, "monthly_limit", value)
    accounts.set_rule(world.db, None, "monthly_limit", " 3 ")
    assert {r.name: r.value for r in accounts.rules(world.db, None)}["monthly_limit"] == 3


def test_the_database_refuses_a_duration_in_another_form(world: World) -> None:
    for value in ("3 months", "90 seconds", "36 hours"):
        with pytest.raises(errors.InvalidRuleValue) as caught:
            with world.db.transaction() as cur:
                cur.execute(
                    "UPDATE business_rules SET duration_value = %s::interval"
                    " WHERE name = 'history_shown'",
                    (value,),
                )
        assert isinstance(caught.value.__cause__, psycopg2.errors.CheckViolation)
        assert "rule_duration_canonical" in str(caught.value.__cause__)


def test_the_migration_puts_older_rows_in_the_one_form(world: World) -> None:
    """A database where '3 months' was stored before 0033: the migration keeps its length as
    shown (90 days) and the page reads it."""
    with world.db.transaction() as cur:
        cur.execute("ALTER TABLE business_rules DROP CONSTRAINT rule_duration_canonical")
        cur.execute(
            "UPDATE business_rules SET duration_value = CASE name"
            " WHEN 'history_shown' THEN interval '3 months'"
            " WHEN 'minimum_notice' THEN interval '90 seconds'"
            " WHEN 'change_cutoff' THEN interval '36 hours' ELSE duration_value END"
        )
        cur.execute(MIGRATION.read_text("utf-8"))
    values = {r.name: r.value for r in accounts.rules(world.db, None)}
    assert values["history_shown"] == timedelta(days=90)
    assert values["minimum_notice"] == timedelta(minutes=2)
    assert values["change_cutoff"] == timedelta(hours=36)
    with world.db.transaction() as cur:
        cur.execute("SELECT duration_value::text FROM business_rules WHERE name = 'change_cutoff'")
        assert cur.fetchone() == ("1 day 12:00:00",)


def test_deactivation_needs_the_forms_own_value(
    client: FlaskClient, world: World, login: Any
) -> None:
    """Anything but "1" used to deactivate the account (ending coaching, cancelling calls)."""
    token = login(client, world.admin)
    for value in ("", "yes", "true", "\u0661", "0 ", "00"):
        form = {"csrf_token": token, "active": value}
        response = client.post(f"/admin/users/{world.c}/active", data=form)
        assert response.status_code == 400, repr(value)
        assert "Choose one of 0, 1." in response.text
        assert accounts.get_user(world.db, None, world.c).active
    form = {"csrf_token": token, "active": "0"}
    assert client.post(f"/admin/users/{world.c}/active", data=form).status_code == 303
    assert accounts.get_user(world.db, None, world.c).active  # only led to the confirmation
