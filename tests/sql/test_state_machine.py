"""Random book/move/cancel/book_series by four clients of two coaches, against a simple model.

After every step: no coach and no client has overlapping booked calls, every refusal carried the
code the model expected, and the model and the database hold the same booked calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from officehours import accounts, booking, errors
from officehours.db import Database
from tests.lib.support import NOW, fresh_database, moved, weekdays

HOUR = timedelta(hours=1)
MONTHLY_LIMIT = 2
COACH_ZONES = {"x": "America/Los_Angeles", "y": "Europe/London"}
CLIENTS = {
    "a": ("x", "Asia/Kolkata"),
    "b": ("x", "America/New_York"),
    "c": ("y", "Europe/London"),
    "d": ("y", "Australia/Sydney"),
}
DAYS = [
    moved(date(2027, 1, 5)),
    moved(date(2027, 1, 6)),
    moved(date(2027, 1, 9)),
    moved(date(2027, 2, 2)),
    moved(date(2027, 3, 2)),
    moved(date(2027, 3, 31)),
]
TIMES = [(9, 0), (10, 0), (16, 0), (9, 30), (16, 30), (20, 0)]


def candidate(coach: str, day: date, hm: tuple[int, int]) -> datetime:
    return datetime(day.year, day.month, day.day, *hm, tzinfo=ZoneInfo(COACH_ZONES[coach]))


def series_starts(coach: str, first: datetime, months: int) -> list[datetime]:
    """The model's reading of 'the same weekday and time each month'."""
    tz = ZoneInfo(COACH_ZONES[coach])
    local = first.astimezone(tz)
    nth = (local.day - 1) // 7 + 1
    starts = []
    for i in range(months):
        y, m = divmod(local.month - 1 + i, 12)
        month_first = date(local.year + y, m + 1, 1)
        day = month_first + timedelta(
            days=(local.isoweekday() - month_first.isoweekday()) % 7 + 7 * (nth - 1)
        )
        if day.month != month_first.month:
            day -= timedelta(days=7)
        starts.append(datetime.combine(day, local.timetz().replace(tzinfo=None), tz))
    return starts


@dataclass
class Call:
    client: str
    coach: str
    start: datetime
    booked: bool = True


@dataclass
class Model:
    calls: dict[str, Call] = field(default_factory=dict)

    def refusal(self, client: str, start: datetime, moving: str | None = None) -> str | None:
        """The code the database should give for booking ``start``, or None if it should accept."""
        coach = CLIENTS[client][0]
        local = start.astimezone(ZoneInfo(COACH_ZONES[coach]))
        minutes = local.hour * 60 + local.minute
        if local.isoweekday() > 5 or not (9 * 60 <= minutes and minutes + 60 <= 17 * 60):
            return "outside_office_hours"
        if local.minute:
            return "off_grid"
        others = [c for t, c in self.calls.items() if c.booked and t != moving]
        if any(c.coach == coach and abs(c.start - start) < HOUR for c in others):
            return "slot_taken"
        if any(c.client == client and abs(c.start - start) < HOUR for c in others):
            return "client_already_booked"
        zone = ZoneInfo(CLIENTS[client][1])
        month = start.astimezone(zone).strftime("%Y-%m")
        if (
            sum(
                c.client == client and c.start.astimezone(zone).strftime("%Y-%m") == month
                for c in others
            )
            >= MONTHLY_LIMIT
        ):
            return "monthly_limit"
        return None


def test_random_operations_agree_with_the_model(pg_admin_url: str, template_url: str) -> None:
    class Bookings(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self._database = fresh_database(pg_admin_url, template_url)
            self.db = Database(self._database.__enter__(), max_connections=2)
            self.slugs: dict[str, str] = {}
            for key, zone in COACH_ZONES.items():
                self.slugs[key] = accounts.add_user(
                    self.db, None, f"{key}@example.com", f"Coach {key}", "coach", zone
                )
                accounts.set_office_hours(
                    self.db, None, self.slugs[key], weekdays("09:00", "17:00")
                )
            for key, (coach, zone) in CLIENTS.items():
                self.slugs[key] = accounts.add_user(
                    self.db, None, f"{key}@example.com", f"Client {key}", "client", zone
                )
                accounts.assign_coach(self.db, None, self.slugs[key], self.slugs[coach])
            for name, value in (
                ("minimum_notice", "0"),
                ("change_cutoff", "0"),
                ("booking_horizon", "730 days"),
                ("monthly_limit", str(MONTHLY_LIMIT)),
            ):
                accounts.set_rule(self.db, None, name, value)
            self.model = Model()

        def teardown(self) -> None:
            self.db.close()
            self._database.__exit__(None, None, None)

        def attempt(self, expected: str | None, call: Callable[[], object]) -> object:
            try:
                result = call()
            except errors.OfficeHoursError as exc:
                assert exc.code == expected, f"expected {expected}, got {exc.code}: {exc.message}"
                return None
            assert expected is None, f"expected {expected}, but it was accepted"
            return result

        @rule(
            client=st.sampled_from(sorted(CLIENTS)),
            day=st.sampled_from(DAYS),
            hm=st.sampled_from(TIMES),
        )
        def book(self, client: str, day: date, hm: tuple[int, int]) -> None:
            start = candidate(CLIENTS[client][0], day, hm)
            made = self.attempt(
                self.model.refusal(client, start),
                lambda: booking.book(
                    self.db, self.slugs[client], self.slugs[client], start, now=NOW
                ),
            )
            if isinstance(made, booking.Appointment):
                self.model.calls[made.token] = Call(client, CLIENTS[client][0], start)

        @rule(data=st.data(), day=st.sampled_from(DAYS), hm=st.sampled_from(TIMES))
        def move(self, data: st.DataObject, day: date, hm: tuple[int, int]) -> None:
            if not self.model.calls:
                return
            token = data.draw(st.sampled_from(list(self.model.calls)))
            call = self.model.calls[token]
            start = candidate(call.coach, day, hm)
            expected = (
                "already_cancelled"
                if not call.booked
                else "same_slot"
                if start == call.start
                else self.model.refusal(call.client, start, moving=token)
            )
            moved = self.attempt(
                expected,
                lambda: booking.move(self.db, self.slugs[call.client], token, start, now=NOW),
            )
            if isinstance(moved, booking.Appointment):
                call.start = start

        @rule(data=st.data())
        def cancel(self, data: st.DataObject) -> None:
            if not self.model.calls:
                return
            token = data.draw(st.sampled_from(list(self.model.calls)))
            call = self.model.calls[token]
            expected = None if call.booked else "already_cancelled"
            if self.attempt(
                expected, lambda: booking.cancel(self.db, self.slugs[call.client], token, now=NOW)
            ):
                call.booked = False

        @rule(
            client=st.sampled_from(sorted(CLIENTS)),
            day=st.sampled_from(DAYS[:4]),
            hm=st.sampled_from(TIMES[:3]),
            months=st.integers(1, 3),
        )
        def book_series(self, client: str, day: date, hm: tuple[int, int], months: int) -> None:
            coach = CLIENTS[client][0]
            trial = Model(dict(self.model.calls))
            expected = None
            starts = series_starts(coach, candidate(coach, day, hm), months)
            for i, start in enumerate(starts):
                expected = trial.refusal(client, start)
                if expected:
                    break
                trial.calls[f"new{i}"] = Call(client, coach, start)
            made = self.attempt(
                expected,
                lambda: booking.book_series(
                    self.db, self.slugs[client], self.slugs[client], starts[0], months, now=NOW
                ),
            )
            if isinstance(made, list):
                assert [m.start for m in made] == starts
                for m in made:
                    self.model.calls[m.token] = Call(client, coach, m.start)

        @invariant()
        def database_agrees(self) -> None:
            with self.db.transaction() as cur:
                cur.execute(
                    "SELECT a.token, lower(a.during) FROM appointments a WHERE a.status = 'booked'"
                )
                stored = dict(cur.fetchall())
                for column in ("coach_id", "client_id"):
                    cur.execute(
                        f"SELECT count(*) FROM appointments a JOIN appointments b "
                        f"ON a.{column} = b.{column} AND a.id < b.id "
                        "AND a.during && b.during "
                        "WHERE a.status = 'booked' AND b.status = 'booked'"
                    )
                    assert cur.fetchone() == (0,)
            expected = {t: c.start for t, c in self.model.calls.items() if c.booked}
            assert stored == expected

    run_state_machine_as_test(
        Bookings,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
