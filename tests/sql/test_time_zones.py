"""Office hours stay local across DST in both hemispheres; gaps and overlaps are never guessed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from officehours import accounts, booking, errors
from officehours.db import Database
from tests.lib.support import DEFAULT_NOW, weekdays

KOLKATA = ZoneInfo("Asia/Kolkata")
# The cases are 2027's DST changes, so the rules' clock is the date they were written for.
NOW = DEFAULT_NOW

# zone, weekdays either side of each 2027 transition, a time in the spring gap, one in the overlap
CASES = [
    (
        "America/Los_Angeles",
        [date(2027, 3, 12), date(2027, 3, 15), date(2027, 11, 5), date(2027, 11, 8)],
        datetime(2027, 3, 14, 2, 30),
        datetime(2027, 11, 7, 1, 30),
    ),
    (
        "Europe/London",
        [date(2027, 3, 26), date(2027, 3, 29), date(2027, 10, 29), date(2027, 11, 1)],
        datetime(2027, 3, 28, 1, 30),
        datetime(2027, 10, 31, 1, 30),
    ),
    (
        "Australia/Sydney",
        [date(2027, 4, 2), date(2027, 4, 5), date(2027, 10, 1), date(2027, 10, 4)],
        datetime(2027, 10, 3, 2, 30),
        datetime(2027, 4, 4, 2, 30),
    ),
]


def setup_coach(db: Database, zone: str) -> tuple[str, str]:
    coach = accounts.add_user(db, None, "coach@example.com", "Coach", "coach", zone)
    client = accounts.add_user(db, None, "client@example.com", "Client", "client", "Asia/Kolkata")
    accounts.assign_coach(db, None, client, coach)
    accounts.set_office_hours(db, None, coach, weekdays("09:00", "17:00"))
    accounts.set_rule(db, None, "booking_horizon", "730 days")
    accounts.set_rule(db, None, "monthly_limit", "10")
    return coach, client


@pytest.mark.parametrize(("zone", "days", "gap", "overlap"), CASES, ids=[c[0] for c in CASES])
def test_nine_oclock_stays_nine_oclock_across_dst(
    db: Database, zone: str, days: list[date], gap: datetime, overlap: datetime
) -> None:
    coach, client = setup_coach(db, zone)
    tz = ZoneInfo(zone)
    offsets = []
    for day in days:
        start = datetime.combine(day, time(0), tz)
        end = start + timedelta(days=1)
        seen_by_coach = booking.free_slots(db, coach, coach, start, end, now=NOW)
        seen_by_client = booking.free_slots(db, client, coach, start, end, now=NOW)
        assert seen_by_client == seen_by_coach  # the same instants, whoever looks
        local = [s.start.astimezone(tz).time() for s in seen_by_coach]
        assert local == [time(h) for h in range(9, 17)]
        nine = seen_by_coach[0].start
        made = booking.book(db, client, client, nine, now=NOW)
        assert made.start.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, time(9))
        offsets.append((nine.astimezone(tz).utcoffset(), nine.astimezone(KOLKATA).time()))
    # Each transition changes the coach's UTC offset, so the client in Kolkata (no DST) sees the
    # same 09:00 at a different local time of theirs.
    assert offsets[0][0] != offsets[1][0] and offsets[2][0] != offsets[3][0]
    assert offsets[0][1] != offsets[1][1] and offsets[2][1] != offsets[3][1]


@pytest.mark.parametrize(("zone", "days", "gap", "overlap"), CASES, ids=[c[0] for c in CASES])
def test_gap_and_overlap_are_refused(
    db: Database, zone: str, days: list[date], gap: datetime, overlap: datetime
) -> None:
    coach, _ = setup_coach(db, zone)
    with pytest.raises(errors.NonexistentLocalTime):
        booking.local_to_instant(db, gap, zone)
    with pytest.raises(errors.NonexistentLocalTime):
        accounts.add_exception(db, None, coach, gap.date(), gap.time(), time(5))
    with pytest.raises(errors.AmbiguousLocalTime):
        booking.local_to_instant(db, overlap, zone)
    with pytest.raises(errors.AmbiguousLocalTime):
        accounts.add_exception(db, None, coach, overlap.date(), overlap.time(), time(5))
    earlier = booking.local_to_instant(db, overlap, zone, fold=0)
    later = booking.local_to_instant(db, overlap, zone, fold=1)
    assert later - earlier == timedelta(hours=1)
    tz = ZoneInfo(zone)
    # Python never calls an ambiguous local time equal to another zone's: compare timestamps.
    assert earlier.timestamp() == overlap.replace(tzinfo=tz, fold=0).timestamp()
    assert later.timestamp() == overlap.replace(tzinfo=tz, fold=1).timestamp()
    # An ordinary time the same day converts without fuss.
    noon = datetime.combine(gap.date(), time(12))
    assert booking.local_to_instant(db, noon, zone) == noon.replace(tzinfo=tz)
    accounts.add_exception(db, None, coach, gap.date(), time(10), time(12))
    with pytest.raises(errors.InvalidTimeZone):
        booking.local_to_instant(db, noon, "Atlantis/Capital")


def test_exception_hours_on_a_transition_day_are_real_hours(db: Database) -> None:
    # Sunday 14 March 2027, 01:00-05:00 in Los Angeles lasts three hours, not four.
    coach, client = setup_coach(db, "America/Los_Angeles")
    accounts.set_rule(db, None, "minimum_notice", "0")
    day = date(2027, 3, 14)
    accounts.add_exception(db, None, coach, day, time(1), time(5))
    tz = ZoneInfo("America/Los_Angeles")
    slots = booking.free_slots(
        db,
        client,
        coach,
        datetime.combine(day, time(0), tz),
        datetime.combine(day, time(23), tz),
        now=NOW,
    )
    assert [s.start.astimezone(tz).hour for s in slots] == [1, 3, 4]
