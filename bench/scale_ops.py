"""What bench/scale.py measures: the application's own reads and writes, each run exactly as the
application runs it, as the signed-in user with row-level security on.

``Bench`` holds one database's handles: its pool, the booking website (Flask, in-process, with
its test client) signed in as the subject admin, coach and client, and Radicale's WSGI app
in-process as the subject coach. ``OPERATIONS`` lists what is timed on each, in order: reads
first, then the writes that undo themselves, and last those that change data for good (each
run on a client of its own). The few owner statements around them are in ``scale_ops.sql``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import defusedxml.ElementTree as ET
from flask.testing import FlaskClient
from werkzeug.test import Client

from booking_web import admin_lists, create_app, queries, security
from caldav_plugin import generated, options
from caldav_plugin.service import make_app as make_dav_app
from mailer import cli as mailer_cli
from mailer import outbox
from officehours import accounts, booking, signin, sqlfiles
from officehours.db import Database
from officehours.settings import Settings

Q = sqlfiles.parse(Path(__file__).with_suffix(".sql").read_text("utf-8"), "bench/scale_ops.sql")
# The UID domain Radicale's storage uses when its configuration names none, as here.
UID_DOMAIN = Settings.from_env().uid_domain
# Runs of each operation beside the timed ones: the plans of its statements, then of those
# inside functions and triggers.
PLAN_PASSES = 2

# The rules' clock of every measurement: the tests' NOW (tests.lib.support.NOW), a Monday.
NOW = datetime(2027, 1, 4, 12, tzinfo=UTC)
WEEK = "2027-01-11"
REPORT_RANGE = ("20270111T000000Z", "20270118T000000Z")
REPORT = """<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:"
 xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{0}" end="{1}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
SYNC = """<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{0}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
PROPFIND = """<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>
</D:prop></D:propfind>"""


class BenchError(RuntimeError):
    """A measured request did not do its job (an error status, no subject user, no free slot)."""


class _Rollback(Exception):
    """Ends a measured transaction without committing it."""


@dataclass
class Subjects:
    """The users the benchmark acts as, found the same way in every database."""

    admin: str
    coach: str
    coach_email: str
    client: str
    targets: list[str]
    slot: datetime
    app_password: str
    api_token: str
    feed_secret: str


def find_subjects(db: Database, targets: int) -> Subjects:
    """The median coach, their first client, ``targets`` clients of other coaches for the writes
    that change data for good, a free slot the client may book and cancel, and the client's API
    token and feed URL and the coach's app password (made now, as the website makes them).

    Raises BenchError when the database is too small for that many targets or has no slot."""
    with db.transaction() as cur:
        cur.execute(Q.median_coach)
        coach, coach_email = cur.fetchone() or ("", "")
        cur.execute(Q.first_client_of, (coach,))
        client = (cur.fetchone() or ("",))[0]
        cur.execute(Q.target_clients, {"coach": coach, "count": targets})
        found = [slug for (slug,) in cur.fetchall()]
    if not coach or not client or len(found) < targets:
        raise BenchError(
            f"the database has {len(found)} clients of other coaches; the writes need {targets}: "
            "load more coaches or clients, or measure fewer runs (--repeat)"
        )
    # Past the change cut-off, so the client may cancel what they book.
    slots = booking.free_slots(
        db, client, coach, NOW + timedelta(days=3), NOW + timedelta(weeks=5), now=NOW
    )
    if not slots:
        raise BenchError(f"coach {coach} has no free slot in the coming weeks")
    _, password = accounts.create_app_password(db, None, coach, "scale benchmark")
    _, token = accounts.create_api_token(db, None, client, "scale benchmark")
    secret = queries.new_feed(db, client)
    return Subjects(
        "scale-admin", coach, coach_email, client, found, slots[0].start, password, token, secret
    )


@dataclass
class Bench:
    """One database's handles for the measurements, and what the writes left to undo."""

    db: Database
    subjects: Subjects
    repeat: int
    web: dict[str, FlaskClient] = field(default_factory=dict)
    dav: Client | None = None
    booked: str | None = None
    sync_token: str = ""
    sessions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, db: Database, subjects: Subjects, repeat: int) -> Bench:
        """The website and Radicale on ``db``, signed in as the subjects."""
        bench = cls(db, subjects, repeat)
        app = create_app(
            {
                "DATABASE": db,
                "SECRET_KEY": "scale benchmark",
                "NOW": NOW,
                "BASE_URL": "http://officehours.test",
                "TESTING": True,
            }
        )
        for role, slug in (
            ("admin", subjects.admin),
            ("coach", subjects.coach),
            ("client", subjects.client),
        ):
            client = app.test_client()
            secret = signin.open_session(db, slug, NOW)
            bench.sessions[role] = secret
            with client.session_transaction() as session:
                session[security.SESSION_KEY] = secret
                session["csrf"] = f"csrf-{slug}"
            bench.web[role] = client
        bench.web["anonymous"] = app.test_client()
        # Radicale finds its pool by URL: this one, so plans of its statements are caught too.
        options.register_pool(db)
        bench.dav = Client(make_dav_app(db.url, {"storage": {"clock": NOW.isoformat()}}))
        return bench

    def close(self) -> None:
        """Lets go of the pool (Radicale's registration too)."""
        options.forget_pool(self.db)
        self.db.close()

    def target(self, op: int, run: int) -> str:
        """The client that run ``run`` of the ``op``-th data-changing operation acts on."""
        return self.subjects.targets[op * (self.repeat + PLAN_PASSES + 1) + run]

    def get(self, role: str, path: str, **headers: str) -> None:
        """A page of the website as ``role``; raises BenchError unless it answers 200."""
        answer = self.web[role].get(path, headers=headers)
        if answer.status_code != 200:
            raise BenchError(f"GET {path} as {role}: {answer.status}")

    def dav_request(self, method: str, body: str, depth: str = "1") -> bytes:
        """A request to the coach's appointments calendar; raises BenchError on an error."""
        assert self.dav is not None
        pair = f"{self.subjects.coach_email}:{self.subjects.app_password}".encode()
        answer = self.dav.open(
            f"/{self.subjects.coach}/appointments/",
            method=method,
            data=body,
            headers={
                "Authorization": "Basic " + base64.b64encode(pair).decode(),
                "Depth": depth,
                "Content-Type": "application/xml; charset=utf-8",
            },
        )
        if answer.status_code >= 400:
            raise BenchError(f"{method} of the coach's appointments/: {answer.status}")
        return bytes(answer.data)

    def book(self) -> None:
        """The subject client books the free slot (through the SQL function book())."""
        s = self.subjects
        self.booked = booking.book(self.db, s.client, s.client, s.slot, now=NOW).token

    def cancel(self) -> None:
        """The subject client cancels what ``book`` booked (cancel())."""
        if self.booked:
            booking.cancel(self.db, self.subjects.client, self.booked, now=NOW)
            self.booked = None


Run = Callable[[Bench, int], object]


@dataclass(frozen=True)
class Operation:
    """One timed operation: ``run`` is timed; ``before`` and ``after`` (untimed) set it up and
    undo it. ``writes`` numbers the operations that change data for good (each run acts on a
    client of its own: ``Bench.target``). ``too_big`` says why the operation cannot run on a
    database at all (None: it can)."""

    label: str
    where: str
    run: Run
    before: Run | None = None
    after: Run | None = None
    writes: int | None = None
    too_big: Callable[[Bench], str | None] | None = None


def _page(role: str, path: str, **headers: str) -> Run:
    return lambda b, _: b.get(role, path, **headers)


def _rebuild(b: Bench, _: int) -> None:
    with b.db.transaction(b.subjects.coach, now=NOW) as cur:
        generated.refresh(cur, b.subjects.coach, "appointments", UID_DOMAIN)


def _mark_stale(b: Bench, _: int) -> None:
    with b.db.transaction() as cur:
        cur.execute(Q.mark_appointments_stale, (b.subjects.coach,))


def _claim(b: Bench, _: int) -> None:
    # The mailer's own claim, rolled back so the same mail is due again for the next run.
    try:
        with b.db.transaction(now=NOW, dict_rows=True) as cur:
            cur.execute(outbox.Q.claim_due_mail)
            if cur.fetchone() is None:
                raise BenchError("mail_claim() found no due mail")
            raise _Rollback
    except _Rollback:
        pass


def _touch_zone(b: Bench, _: int) -> None:
    with b.db.transaction() as cur:
        cur.execute(Q.touch_time_zone, (b.subjects.client,))


def _sync_before(b: Bench, _: int) -> None:
    found = ET.fromstring(b.dav_request("REPORT", SYNC.format("")))
    b.sync_token = found.findtext("{DAV:}sync-token") or ""
    b.book()


def _sync(b: Bench, _: int) -> None:
    b.dav_request("REPORT", SYNC.format(b.sync_token))


def _week_after(start: datetime) -> str:
    return f"from={start.isoformat()}&to={(start + timedelta(weeks=8)).isoformat()}".replace(
        "+", "%2B"
    )


def _bearer(b: Bench, path: str) -> None:
    b.get("anonymous", path, Authorization=f"Bearer {b.subjects.api_token}")


OPERATIONS: list[Operation] = [
    Operation(
        "signed-in user lookup",
        "every page",
        lambda b, _: signin.session_user(b.db, b.sessions["client"], NOW),
    ),
    Operation(
        "upcoming calls as a client",
        "home, My calls, API, feed",
        lambda b, _: queries.upcoming(b.db, b.subjects.client, NOW),
    ),
    Operation(
        "past calls as a client",
        "home, My calls, feed",
        lambda b, _: queries.past(b.db, b.subjects.client, NOW),
    ),
    Operation(
        "upcoming calls as a coach",
        "coach schedule",
        lambda b, _: queries.upcoming(b.db, b.subjects.coach, NOW),
    ),
    Operation(
        "list_users as admin",
        "admin users page (a page of 50)",
        lambda b, _: admin_lists.users(b.db, b.subjects.admin, admin_lists.Listing()),
    ),
    Operation(
        "coaches as admin",
        "admin rules (coach search)",
        lambda b, _: admin_lists.users(b.db, b.subjects.admin, admin_lists.Listing(), "coach"),
    ),
    Operation(
        "assignments as admin",
        "admin assignments page (a page of 50)",
        lambda b, _: admin_lists.clients(b.db, b.subjects.admin, admin_lists.Listing()),
    ),
    Operation(
        "free_slots, 8 weeks",
        "week pages, API availability",
        lambda b, _: booking.free_slots(
            b.db, b.subjects.client, b.subjects.coach, NOW, NOW + timedelta(weeks=8), now=NOW
        ),
    ),
    Operation(
        "CalDAV appointments rebuild (generated.refresh)",
        "first CalDAV read after a change",
        _rebuild,
        before=_mark_stale,
    ),
    Operation("GET /book?week= (client week page)", "HTTP", _page("client", f"/book?week={WEEK}")),
    Operation("GET /appointments (My calls)", "HTTP", _page("client", "/appointments")),
    Operation("GET / (client home)", "HTTP", _page("client", "/")),
    Operation("GET /coach/schedule", "HTTP", _page("coach", "/coach/schedule")),
    Operation("GET /coach/clients", "HTTP", _page("coach", "/coach/clients")),
    Operation("GET /admin/users", "HTTP", _page("admin", "/admin/users")),
    Operation(
        "GET /admin/users?q= (search by email)",
        "HTTP",
        lambda b, _: b.get("admin", "/admin/users?q=" + quote(b.subjects.coach_email)),
    ),
    Operation(
        "GET /admin/users?after= (a page further on)",
        "HTTP",
        lambda b, _: b.get("admin", "/admin/users?after=" + b.subjects.client),
    ),
    Operation(
        "GET /admin/assignments",
        "HTTP",
        _page("admin", "/admin/assignments"),
    ),
    Operation("GET /admin/rules", "HTTP", _page("admin", "/admin/rules")),
    Operation("GET /admin/bookings", "HTTP", _page("admin", "/admin/bookings")),
    Operation("GET /admin/mail", "HTTP", _page("admin", "/admin/mail")),
    Operation(
        "GET /api/v1/appointments (API token)",
        "HTTP",
        lambda b, _: _bearer(b, "/api/v1/appointments"),
    ),
    Operation(
        "GET /api/v1/availability, 8 weeks",
        "HTTP",
        lambda b, _: _bearer(b, "/api/v1/availability?" + _week_after(NOW)),
    ),
    Operation(
        "GET /feed/<secret>.ics (calendar feed)",
        "HTTP",
        lambda b, _: b.get("anonymous", f"/feed/{b.subjects.feed_secret}.ics"),
    ),
    Operation(
        "CalDAV 1-week time-range REPORT",
        "coach's appointments/",
        lambda b, _: b.dav_request("REPORT", REPORT.format(*REPORT_RANGE)),
    ),
    Operation(
        "CalDAV depth-1 PROPFIND",
        "coach's appointments/",
        lambda b, _: b.dav_request("PROPFIND", PROPFIND),
    ),
    Operation(
        "CalDAV delta sync after a booking",
        "coach's appointments/",
        _sync,
        before=_sync_before,
        after=lambda b, _: b.cancel(),
    ),
    Operation(
        "book() through SQL",
        "booking pages, API",
        lambda b, _: b.book(),
        after=lambda b, _: b.cancel(),
    ),
    Operation(
        "cancel() through SQL",
        "appointment pages, API",
        lambda b, _: b.cancel(),
        before=lambda b, _: b.book(),
    ),
    Operation("mail_claim(), 2 years of sent mail", "mailer", _claim),
    Operation(
        "officehours mailer status", "operators", lambda b, _: mailer_cli.status(b.db, now=NOW)
    ),
    Operation("caldav_user_changed (owner, zone change)", "operators", _touch_zone),
    Operation(
        "coaching update on deactivation (owner)",
        "officehours user deactivate",
        lambda b, i: accounts.set_active(b.db, None, b.target(0, i), False),
        writes=0,
    ),
    Operation(
        "admin: deactivate a user",
        "admin users page",
        lambda b, i: accounts.set_active(b.db, b.subjects.admin, b.target(1, i), False),
        writes=1,
    ),
    Operation(
        "admin: assign a coach (assign_coach)",
        "admin assignments page",
        lambda b, i: accounts.assign_coach(
            b.db, b.subjects.admin, b.target(2, i), b.subjects.coach
        ),
        writes=2,
    ),
]
WRITES = 1 + max(op.writes for op in OPERATIONS if op.writes is not None)
