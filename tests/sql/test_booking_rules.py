"""Each booking rule on both sides: accepted, and refused with its own code, changing nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from officehours import accounts, booking, errors
from officehours.db import one
from tests.lib.support import DEFAULT_NOW, NOW, World, moved, weekdays

LA = ZoneInfo("America/Los_Angeles")


def la(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    """A local time in Los Angeles, written on the calendar of DEFAULT_NOW and moved with NOW."""
    return moved(la_2027(day, hour, minute, month))


def la_2027(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    """The same on the 2027 calendar itself, for tests about its months (their clock is
    DEFAULT_NOW)."""
    return datetime(2027, month, day, hour, minute, tzinfo=LA)


def count_booked(w: World) -> int:
    with w.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM appointments WHERE status = 'booked'")
        return int(one(cur)[0])


def refused(
    w: World,
    error: type[errors.OfficeHoursError],
    actor: str,
    client: str,
    start: datetime,
    end: datetime | None = None,
    now: datetime = NOW,
) -> errors.OfficeHoursError:
    before = count_booked(w)
    with pytest.raises(error) as caught:
        booking.book(w.db, actor, client, start, end, now=now)
    assert count_booked(w) == before
    assert caught.value.code == error.code
    return caught.value


def test_a_slot_inside_office_hours_is_booked(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    assert (a.start, a.end, a.status, a.revision) == (la(5, 9), la(5, 10), "booked", 1)
    assert (a.coach, a.client) == (world.x, world.a)
    assert len(a.token) >= 20 and a.token.isascii()


def test_end_before_start_is_refused(world: World) -> None:
    refused(world, errors.RangeNotPositive, world.a, world.a, la(5, 10), la(5, 9))
    refused(world, errors.RangeNotPositive, world.a, world.a, la(5, 10), la(5, 10))


def test_a_past_start_is_refused(world: World) -> None:
    refused(world, errors.InThePast, world.a, world.a, la(1, 9, month=1).replace(year=2026))


def test_a_call_of_the_wrong_length_is_refused(world: World) -> None:
    refused(world, errors.WrongLength, world.a, world.a, la(5, 9), la(5, 9, 30))
    booking.book(world.db, world.a, world.a, la(5, 9), la(5, 10), now=NOW)


def test_minimum_notice(world: World) -> None:
    refused(world, errors.TooSoon, world.a, world.a, la(4, 9))  # five hours ahead
    booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)  # 29 hours ahead


def test_booking_horizon(world: World) -> None:
    refused(world, errors.BeyondHorizon, world.a, world.a, la(12, 9, month=4))
    booking.book(world.db, world.a, world.a, la(29, 9, month=3), now=NOW)


def test_outside_office_hours(world: World) -> None:
    refused(world, errors.OutsideOfficeHours, world.a, world.a, la(5, 8))
    refused(world, errors.OutsideOfficeHours, world.a, world.a, la(9, 10))  # a Saturday
    refused(world, errors.OutsideOfficeHours, world.a, world.a, la(5, 16, 30), la(5, 17, 30))
    booking.book(world.db, world.a, world.a, la(5, 16), now=NOW)


def test_off_the_grid(world: World) -> None:
    refused(world, errors.OffGrid, world.a, world.a, la(5, 9, 30))
    booking.book(world.db, world.a, world.a, la(5, 10), now=NOW)


def test_a_per_coach_slot_length_changes_the_grid(world: World) -> None:
    accounts.set_rule(world.db, None, "slot_length", "30 minutes", world.x)
    a = booking.book(world.db, world.a, world.a, la(5, 9, 30), now=NOW)
    assert a.end - a.start == timedelta(minutes=30)
    refused(world, errors.WrongLength, world.b, world.b, la(5, 11), la(5, 12))


def test_coach_busy(world: World) -> None:
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source) "
            "VALUES ((find_user(%s)).id, tstzrange(%s, %s), 'manual')",
            (world.x, la(5, 10), la(5, 11)),
        )
    refused(world, errors.CoachBusy, world.a, world.a, la(5, 10))
    booking.book(world.db, world.a, world.a, la(5, 11), now=NOW)


def test_slot_taken(world: World) -> None:
    booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    refused(world, errors.SlotTaken, world.b, world.b, la(5, 9))
    booking.book(world.db, world.b, world.b, la(5, 10), now=NOW)


def test_client_already_booked_with_another_coach(world: World) -> None:
    # book() never leaves a client two coaches' calls (a reassignment cancels the former coach's
    # future calls: tests/sql/test_lifecycle.py); one written by the owner is still refused.
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO appointments (coach_id, client_id, during)"
            " SELECT y.id, a.id, tstzrange(%s, %s) FROM users y, users a"
            " WHERE y.slug = %s AND a.slug = %s",
            (la(5, 9), la(5, 10), world.y, world.a),
        )
    refused(world, errors.ClientAlreadyBooked, world.a, world.a, la(5, 9))
    booking.book(world.db, world.a, world.a, la(5, 10), now=NOW)


def test_after_a_reassignment_the_former_coachs_slot_is_free_for_the_new_coach(
    world: World,
) -> None:
    booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    accounts.set_office_hours(world.db, None, world.y, weekdays("00:00", "23:00"))
    accounts.assign_coach(world.db, None, world.a, world.y, now=NOW)
    booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)


def test_monthly_limit(world: World) -> None:
    now = DEFAULT_NOW  # about January 2027
    booking.book(world.db, world.a, world.a, la_2027(5, 9), now=now)
    booking.book(world.db, world.a, world.a, la_2027(6, 9), now=now)
    error = refused(world, errors.MonthlyLimit, world.a, world.a, la_2027(7, 9), now=now)
    assert "January 2027" in error.message
    booking.book(world.db, world.a, world.a, la_2027(2, 9, month=2), now=now)  # next month is fine


def test_monthly_limit_counts_the_clients_own_month(world: World) -> None:
    # Friday 31 December 16:00 in Los Angeles is already January 2028 in Kolkata (client A),
    # and still December in New York (client B).
    accounts.set_rule(world.db, None, "monthly_limit", "1", world.x)
    december = datetime(2027, 12, 1, tzinfo=LA)
    new_year_eve = datetime(2027, 12, 31, 16, tzinfo=LA)
    booking.book(world.db, world.a, world.a, datetime(2027, 12, 30, 9, tzinfo=LA), now=december)
    booking.book(world.db, world.a, world.a, new_year_eve, now=december)
    booking.book(world.db, world.b, world.b, datetime(2027, 12, 30, 10, tzinfo=LA), now=december)
    with pytest.raises(errors.MonthlyLimit):
        booking.book(world.db, world.b, world.b, new_year_eve - timedelta(hours=1), now=december)


def test_who_may_book(world: World) -> None:
    refused(world, errors.Forbidden, world.b, world.a, la(5, 9))
    refused(world, errors.Forbidden, world.y, world.a, la(5, 9))
    refused(world, errors.Forbidden, world.c, world.a, la(5, 9))
    refused(world, errors.NotSignedIn, "nobody-here", world.a, la(5, 9))
    booking.book(world.db, world.x, world.a, la(5, 9), now=NOW)  # the client's coach
    booking.book(world.db, world.admin, world.b, la(5, 10), now=NOW)


def test_unknown_inactive_and_wrong_role(world: World) -> None:
    refused(world, errors.UnknownUser, world.admin, "no-such-client", la(5, 9))
    refused(world, errors.WrongRole, world.admin, world.x, la(5, 9))
    lone = accounts.add_user(world.db, None, "lone@example.com", "Lone", "client", "UTC")
    refused(world, errors.NoCoachingRelationship, lone, lone, la(5, 9))
    accounts.set_active(world.db, None, world.b, False, now=NOW)
    refused(world, errors.InactiveUser, world.admin, world.b, la(5, 9))
    refused(world, errors.NotSignedIn, world.b, world.b, la(5, 9))


def test_move_frees_the_old_slot_and_takes_the_new(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    moved = booking.move(world.db, world.a, a.token, la(6, 11), now=NOW)
    assert (moved.token, moved.start, moved.revision) == (a.token, la(6, 11), 2)
    free = booking.free_slots(world.db, world.b, world.x, la(5, 0), la(7, 0), now=NOW)
    assert la(5, 9) in [s.start for s in free] and la(6, 11) not in [s.start for s in free]


def test_a_failed_move_keeps_the_old_slot(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    booking.book(world.db, world.b, world.b, la(5, 10), now=NOW)
    for start, error in (
        (la(5, 10), errors.SlotTaken),
        (la(5, 9, 30), errors.OffGrid),
        (la(5, 9), errors.SameSlot),
        (la(5, 20), errors.OutsideOfficeHours),
    ):
        with pytest.raises(error):
            booking.move(world.db, world.a, a.token, start, now=NOW)
    with world.db.transaction() as cur:
        cur.execute("SELECT lower(during), revision FROM appointments WHERE token = %s", (a.token,))
        assert one(cur) == (la(5, 9), 1)


def test_cancel_and_its_refusals(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    with pytest.raises(errors.NotYourAppointment):
        booking.cancel(world.db, world.b, a.token, now=NOW)
    with pytest.raises(errors.NotYourAppointment):
        booking.cancel(world.db, world.y, a.token, now=NOW)
    with pytest.raises(errors.UnknownAppointment):
        booking.cancel(world.db, world.a, "no-such-token", now=NOW)
    cancelled = booking.cancel(world.db, world.a, a.token, now=NOW)
    assert (cancelled.status, cancelled.revision) == ("cancelled", 2)
    with pytest.raises(errors.AlreadyCancelled):
        booking.cancel(world.db, world.a, a.token, now=NOW)
    with pytest.raises(errors.AlreadyCancelled):
        booking.move(world.db, world.a, a.token, la(6, 9), now=NOW)
    booking.book(world.db, world.b, world.b, la(5, 9), now=NOW)  # the slot is free again


def test_change_cutoff_binds_clients_not_their_coach(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    late = la(5, 9) - timedelta(hours=10)
    with pytest.raises(errors.InsideCutoff):
        booking.cancel(world.db, world.a, a.token, now=late)
    with pytest.raises(errors.InsideCutoff):
        booking.move(world.db, world.a, a.token, la(6, 9), now=late)
    assert booking.cancel(world.db, world.x, a.token, now=late).status == "cancelled"
    b = booking.book(world.db, world.b, world.b, la(6, 9), now=NOW)
    with pytest.raises(errors.InThePast):
        booking.cancel(world.db, world.x, b.token, now=la(6, 9, 30))


def test_history_records_who_and_what(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    booking.move(world.db, world.a, a.token, la(6, 9), now=NOW)
    booking.cancel(world.db, world.x, a.token, now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "SELECT h.revision, h.action::text, u.slug FROM appointment_history h "
            "JOIN appointments a ON a.id = h.appointment_id JOIN users u ON u.id = h.actor_id "
            "WHERE a.token = %s ORDER BY h.revision",
            (a.token,),
        )
        assert cur.fetchall() == [
            (1, "booked", world.a),
            (2, "moved", world.a),
            (3, "cancelled", world.x),
        ]


def test_appointments_are_never_deleted_or_rewritten(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    for statement in (
        "DELETE FROM appointments WHERE token = %s",
        "UPDATE appointments SET client_id = coach_id WHERE token = %s",
        "DELETE FROM appointment_history WHERE appointment_id = "
        "(SELECT id FROM appointments WHERE token = %s)",
    ):
        with pytest.raises(errors.AppointmentImmutable), world.db.transaction() as cur:
            cur.execute(statement, (a.token,))
    booking.cancel(world.db, world.a, a.token, now=NOW)
    with pytest.raises(errors.AppointmentImmutable), world.db.transaction() as cur:
        cur.execute("UPDATE appointments SET status = 'booked' WHERE token = %s", (a.token,))


def test_the_database_refuses_overlaps_whatever_path_writes(world: World) -> None:
    booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    with pytest.raises(errors.SlotTaken), world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO appointments (coach_id, client_id, during) "
            "SELECT (find_user(%s)).id, (find_user(%s)).id, tstzrange(%s, %s)",
            (world.x, world.b, la(5, 9, 30), la(5, 10, 30)),
        )
    with pytest.raises(errors.ClientAlreadyBooked), world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO appointments (coach_id, client_id, during) "
            "SELECT (find_user(%s)).id, (find_user(%s)).id, tstzrange(%s, %s)",
            (world.y, world.a, la(5, 9, 30), la(5, 10, 30)),
        )


def test_deactivating_a_client_ends_coaching_and_cancels_future_calls(world: World) -> None:
    a = booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)
    # An hour later on the rules' clock: "future" is after it, whatever the wall clock says.
    with world.db.transaction(now=NOW + timedelta(hours=1)) as cur:
        cur.execute("SELECT set_user_active(%s, false)", (world.a,))
    with world.db.transaction() as cur:
        cur.execute("SELECT status::text, revision FROM appointments WHERE token = %s", (a.token,))
        assert one(cur) == ("cancelled", 2)
        cur.execute(
            "SELECT count(*) FROM coaching WHERE upper_inf(during) "
            "AND client_id = (find_user(%s)).id",
            (world.a,),
        )
        assert one(cur)[0] == 0


def test_series_books_the_same_weekday_each_month(world: World) -> None:
    # Tuesday 12 January 2027 is the second Tuesday; so are 9 February and 9 March.
    made = booking.book_series(world.db, world.a, world.a, la_2027(12, 9), 3, now=DEFAULT_NOW)
    assert [m.start for m in made] == [
        la_2027(12, 9),
        la_2027(9, 9, month=2),
        la_2027(9, 9, month=3),
    ]
    assert len({m.series for m in made}) == 1 and made[0].series


def test_series_is_all_or_nothing_and_names_the_failing_month(world: World) -> None:
    accounts.add_exception(world.db, None, world.x, la_2027(9, 0, month=2).date())
    with pytest.raises(errors.OutsideOfficeHours) as caught:
        booking.book_series(world.db, world.a, world.a, la_2027(12, 9), 3, now=DEFAULT_NOW)
    assert caught.value.month == "2027-02"
    assert "February 2027" in caught.value.message
    assert count_booked(world) == 0
    for months in (0, 13):
        with pytest.raises(errors.InvalidSeries):
            booking.book_series(world.db, world.a, world.a, la_2027(12, 9), months, now=DEFAULT_NOW)


def test_free_slots_follow_every_rule(world: World) -> None:
    booking.book(world.db, world.b, world.b, la(5, 10), now=NOW)
    with world.db.transaction() as cur:
        cur.execute(
            "INSERT INTO busy_intervals (coach_id, during, source) "
            "VALUES ((find_user(%s)).id, tstzrange(%s, %s), 'manual')",
            (world.x, la(5, 12, 30), la(5, 13, 15)),
        )
    slots = booking.free_slots(world.db, world.a, world.x, la(4, 0), la(6, 0), now=NOW)
    starts = [(s.start.astimezone(LA).day, s.start.astimezone(LA).hour) for s in slots]
    # Monday before 16:00 is inside the 12-hour notice (now is 04:00 there); Tuesday loses 10:00
    # (booked), 12:00 and 13:00 (busy from 12:30 to 13:15).
    mon, tue = la(4, 0).day, la(5, 0).day
    assert starts == [(mon, 16), (tue, 9), (tue, 11), (tue, 14), (tue, 15), (tue, 16)]
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)
    with pytest.raises(errors.Forbidden):
        booking.free_slots(world.db, world.c, world.x, la(4, 0), la(6, 0), now=NOW)
    with pytest.raises(errors.RangeTooLong):
        booking.free_slots(
            world.db, world.a, world.x, la(4, 0), la(4, 0) + timedelta(days=425), now=NOW
        )
    with pytest.raises(errors.RangeNotPositive):
        booking.free_slots(world.db, world.a, world.x, la(6, 0), la(4, 0), now=NOW)
    with pytest.raises(errors.WrongRole):
        booking.free_slots(world.db, world.a, world.a, la(4, 0), la(6, 0), now=NOW)


def test_exceptions_replace_the_weekly_hours(world: World) -> None:
    tue = la(5, 0).date()
    accounts.add_exception(world.db, None, world.x, tue)
    assert booking.free_slots(world.db, world.a, world.x, la(5, 0), la(6, 0), now=NOW) == []
    refused(world, errors.OutsideOfficeHours, world.a, world.a, la(5, 9))
    accounts.add_exception(
        world.db, None, world.x, la(9, 0).date(), la(9, 10).time(), la(9, 12).time()
    )  # a Saturday
    sat = booking.free_slots(world.db, world.a, world.x, la(9, 0), la(10, 0), now=NOW)
    assert [s.start for s in sat] == [la(9, 10), la(9, 11)]
    assert accounts.clear_exceptions(world.db, None, world.x, tue) == 1
    booking.book(world.db, world.a, world.a, la(5, 9), now=NOW)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("slot_length", "7 minutes"),
        ("slot_length", "5 hours"),
        ("minimum_notice", "-1 hour"),
        ("booking_horizon", "0"),
        ("monthly_limit", "0"),
        ("monthly_limit", "1 hour"),
        ("change_cutoff", "30 days"),
        ("history_shown", "abc"),
        ("slot_length", "3"),
    ],
)
def test_rule_values_are_checked(world: World, name: str, value: str) -> None:
    before = accounts.rules(world.db, None)
    with pytest.raises(errors.InvalidRuleValue):
        accounts.set_rule(world.db, None, name, value)
    assert accounts.rules(world.db, None) == before


def test_rules_global_and_per_coach(world: World) -> None:
    with pytest.raises(errors.UnknownRule):
        accounts.set_rule(world.db, None, "no_such_rule", "1")
    accounts.set_rule(world.db, None, "minimum_notice", "2 days")
    accounts.set_rule(world.db, None, "minimum_notice", "1 hour", world.x)
    by_coach = {r.name: r for r in accounts.rules(world.db, None, world.x)}
    assert by_coach["minimum_notice"].value == timedelta(hours=1)
    assert by_coach["minimum_notice"].overridden
    by_y = {r.name: r for r in accounts.rules(world.db, None, world.y)}
    assert by_y["minimum_notice"].value == timedelta(days=2)
    booking.book(world.db, world.a, world.a, la(4, 9), now=NOW)  # 5 hours ahead is enough now
    assert accounts.unset_rule(world.db, None, "minimum_notice", world.x)
    refused(world, errors.TooSoon, world.b, world.b, la(4, 10))


def test_user_and_office_hours_constraints(world: World) -> None:
    add = accounts.add_user
    with pytest.raises(errors.EmailTaken):
        add(world.db, None, "A@Example.com", "Again", "client", "UTC")
    with pytest.raises(errors.InvalidEmail):
        add(world.db, None, "not-an-email", "Someone", "client", "UTC")
    with pytest.raises(errors.InvalidTimeZone):
        add(world.db, None, "z@example.com", "Zed", "client", "Mars/Olympus_Mons")
    with pytest.raises(errors.InvalidName):
        add(world.db, None, "z@example.com", "", "client", "UTC")
    with pytest.raises(errors.InvalidName):
        add(world.db, None, "z@example.com", "bell\x07", "client", "UTC")
    assert add(world.db, None, "z@example.com", "Zoë Ødegård", "client", "UTC").startswith("zo-")
    with pytest.raises(errors.OfficeHoursOverlap):
        accounts.set_office_hours(
            world.db, None, world.x, weekdays("09:00", "12:00") + weekdays("11:00", "13:00")
        )
    with pytest.raises(errors.InvalidOfficeHours):
        accounts.set_office_hours(world.db, None, world.x, weekdays("12:00", "09:00"))
    assert len(accounts.office_hours(world.db, None, world.x)) == 5  # unchanged
    with pytest.raises(errors.WrongRole):
        accounts.assign_coach(world.db, None, world.a, world.b, now=NOW)
