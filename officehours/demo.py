"""The demo: a coach with office hours, three clients, an admin and a few bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from officehours import accounts, booking, sqlfiles
from officehours.db import Database, one
from officehours.hours import parse_rule
from officehours.passwords import hash_password

Q: sqlfiles.Queries = sqlfiles.load(__name__)

PASSWORD = "maple lantern harbor"  # noqa: S105 - the demo's published password

PEOPLE = (
    ("maya@example.com", "Maya Okafor", "coach", "America/New_York"),
    ("sam@example.com", "Sam Rivera", "client", "America/Los_Angeles"),
    ("priya@example.com", "Priya Shah", "client", "Asia/Kolkata"),
    ("lena@example.com", "Lena Vogel", "client", "Europe/Berlin"),
    ("admin@example.com", "Ada Admin", "admin", "UTC"),
)


@dataclass(frozen=True)
class Demo:
    """What the demo made: logins, and a CalDAV app password for the coach."""

    logins: list[tuple[str, str, str]]
    password: str
    coach_app_password: str
    bookings: list[booking.Appointment]


def is_empty(db: Database) -> bool:
    """True when the database has no users yet."""
    with db.transaction() as cur:
        cur.execute(Q.has_no_users)
        return bool(one(cur)[0])


def logins_in_use(db: Database) -> list[tuple[str, str, str]]:
    """The demo's logins (email, name, role) when this database holds the demo, every one of its
    people still there; [] for any other database, so a real service never prints them."""
    with db.transaction() as cur:
        cur.execute(Q.demo_people_present, ([email for email, *_ in PEOPLE],))
        present = {str(row[0]) for row in cur.fetchall()}
    if present != {email for email, *_ in PEOPLE}:
        return []
    return [(email, name, role) for email, name, role, _ in PEOPLE]


def seed(db: Database, now: datetime | None = None) -> Demo:
    """Creates the demo people, hours and bookings. Raises EmailTaken when they exist already."""
    password_hash = hash_password(PASSWORD)
    slugs = {
        email: accounts.add_user(db, None, email, name, role, zone, password_hash)
        for email, name, role, zone in PEOPLE
    }
    coach = slugs["maya@example.com"]
    accounts.set_office_hours(db, None, coach, parse_rule("mon-fri 09:00-17:00"))
    for email in ("sam@example.com", "priya@example.com", "lena@example.com"):
        accounts.assign_coach(db, None, slugs[email], coach)
    start = now or datetime.now(timezone.utc)
    slots = booking.free_slots(
        db, coach, coach, start + timedelta(days=2), start + timedelta(days=16)
    )
    made = []
    # Sam and Priya have a call; Lena has none yet, so her home page asks her to book.
    for email, slot in zip(
        ("sam@example.com", "priya@example.com"), (slots[1], slots[6]), strict=False
    ):
        made.append(booking.book(db, slugs[email], slugs[email], slot.start))
    _, app_password = accounts.create_app_password(db, None, coach, "demo")
    return Demo(
        logins=[(email, name, role) for email, name, role, _ in PEOPLE],
        password=PASSWORD,
        coach_app_password=app_password,
        bookings=made,
    )
