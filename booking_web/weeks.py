"""A week of a coach's free slots, grouped by day in the viewer's zone (booking and moving), and
what the rules say of a slot or a call before anyone acts on it.

The rules stay in SQL: ``bookable_slots``, ``slot_terms`` and ``call_changes`` (in
sql/definitions/45_free_slots.sql) answer with the same rule functions book(), move() and
cancel() use; this module only groups their answers for the templates. Its SQL is in weeks.sql.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from booking_web import queries, timefmt
from booking_web.context import actor, clock, db, rules_now
from booking_web.forms import field_errors
from officehours import errors, inputs, sqlfiles
from officehours.db import one

Q = sqlfiles.load(__name__)


class Offer(NamedTuple):
    """A free slot with what the rules say of it for the client. A named tuple, as Choice: a
    week makes one per slot, and a frozen dataclass costs several times as much to make."""

    start: datetime
    end: datetime
    inside_cutoff: bool
    month_full: bool
    month: date
    month_calls: int


class Choice(NamedTuple):
    """A free slot as the week page lists it: its times in the viewer's zone ('09:00\u201310:00'),
    its start as the choose link's start= value, and whether it is inside the change cut-off.
    The texts are escaped here once, so the template's autoescape passes them as they are."""

    times: Markup
    start: Markup
    inside_cutoff: bool


@dataclass(frozen=True)
class FullMonth:
    """A month (the client's) in which the monthly limit is reached."""

    month: date
    label: str
    calls: int


@dataclass(frozen=True)
class Day:
    """One day of the week page: the slots it offers, and the full month that hid the rest."""

    day: date
    label: Markup
    slots: list[Choice]
    full_month: str | None


@dataclass(frozen=True)
class Week:
    """What the week template shows."""

    monday: date
    label: str
    days: list[Day]
    previous: date | None
    next: date | None
    count: int
    length: timedelta
    full_months: list[FullMonth]


@dataclass(frozen=True)
class Terms:
    """What the confirm pages say of a slot: its end and length and the rules' warnings."""

    end: datetime
    length: timedelta
    inside_cutoff: bool
    month_full: bool
    month_label: str
    month_calls: int
    month_limit: int


@dataclass(frozen=True)
class Changes:
    """Whether the actor may move or cancel a call, and why not when the cut-off stops them."""

    changeable: bool
    cutoff_closed: bool
    cutoff: str


def month_label(month: date) -> str:
    """'January 2027'."""
    return f"{month:%B %Y}"


def coach_week(
    coach: str | None,
    start: datetime,
    end: datetime,
    moving: str | None = None,
    client: str | None = None,
) -> tuple[queries.CoachInfo, timedelta, list[Offer]]:
    """The coach (None: the signed-in user's own), their call length and their free slots
    between start and end with what the rules say of each (for the call ``moving``, a token,
    when one is being moved, or for ``client`` when the coach books for them), in one
    statement and one round trip: the week pages and the availability API ask this. Raises
    NoCoachingRelationship when there is no such coach the user may see, and the errors of
    bookable_slots."""
    params = {"coach": coach, "start": start, "end": end, "moving": moving, "client": client}
    rows = db().query(Q.coach_week, params, actor(), now=rules_now())
    info = queries.coach_info_of(rows[0] if rows else None)
    offers = [Offer(*r[7:]) for r in rows if r[7] is not None]
    return info, rows[0][6], offers


def parse_jump(text: str | None, field: str = "week") -> date:
    """The day a week page should show: YYYY-MM-DD, or YYYY-MM for the first of that month.
    Raises InvalidInput naming ``field`` with our message for anything else."""
    return inputs.parse_day_or_month(text, field)


def week_of(
    coach: str | None,
    week: str | None,
    zone: str,
    moving: str | None = None,
    client: str | None = None,
) -> tuple[queries.CoachInfo, Week]:
    """The free slots of ``coach`` (None: the signed-in client's coach) in the week named by
    ``week`` (YYYY-MM-DD, any day of it, or YYYY-MM, its first day; None or empty: this week),
    in ``zone``, for the call ``moving`` (a token) when one is being moved, or for ``client``
    (a slug) when the coach books for them. Weeks before this
    one show this one, weeks beyond the booking horizon the last one. Slots in a month whose
    limit is reached are not offered; the week names that month instead. Raises InvalidInput
    for a bad week, and the errors of bookable_slots."""
    now = clock()
    this_monday = timefmt.week_start(timefmt.local(now, zone).date())
    monday = max(timefmt.week_start(parse_jump(week)) if week else this_monday, this_monday)
    start, end = timefmt.week_bounds(monday, zone)
    info, length, offers = coach_week(coach, start, end, moving, client)
    last_monday = timefmt.week_start(timefmt.local(now + info.horizon, zone).date())
    if monday > last_monday:
        monday = last_monday
        start, end = timefmt.week_bounds(monday, zone)
        info, length, offers = coach_week(coach, start, end, moving, client)
    full: dict[date, FullMonth] = {}
    by_day: dict[date, list[Choice]] = {}
    hidden: dict[date, str] = {}
    # Worked out here once per slot, not in the template: a week can hold a hundred slots.
    tz = ZoneInfo(zone)
    for offer in offers:
        begins = offer.start.astimezone(tz)
        day = begins.date()
        if offer.month_full:
            label = month_label(offer.month)
            full.setdefault(offer.month, FullMonth(offer.month, label, offer.month_calls))
            hidden[day] = label
        else:
            # The clock fields rather than strftime, and the instant's own encoder rather than
            # quote(): each is a fraction of the cost, with the same text.
            ends = offer.end.astimezone(tz)
            times = escape(
                f"{begins.hour:02}:{begins.minute:02}\u2013{ends.hour:02}:{ends.minute:02}"
            )
            start_value = escape(timefmt.instant_query_value(offer.start))
            by_day.setdefault(day, []).append(Choice(times, start_value, offer.inside_cutoff))
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        noon = datetime.combine(day, datetime.min.time().replace(hour=12), start.tzinfo)
        slots = by_day.get(day, [])
        label = escape(timefmt.day_text(noon, zone))
        days.append(Day(day, label, slots, None if slots else hidden.get(day)))
    return info, Week(
        monday=monday,
        label=f"{monday.day} {monday:%B %Y}",
        days=days,
        previous=monday - timedelta(days=7) if monday > this_monday else None,
        next=monday + timedelta(days=7) if monday < last_monday else None,
        count=sum(len(d.slots) for d in days),
        length=length,
        full_months=sorted(full.values(), key=lambda m: m.month),
    )


def week_page(
    template: str,
    coach: str | None,
    moving: str | None,
    heading: str | None,
    default_week: str | None = None,
    **context: object,
) -> ResponseReturnValue:
    """A week page (booking, or moving the call ``moving``) for the week the query names, else
    ``default_week`` (else this week), headed ``heading`` (None: "Book a call with" the coach).
    A week or jump the parsers refuse shows the default week with the message at the jump box,
    status 400. Raises the errors of bookable_slots."""
    errs: dict[str, str] = {}
    status = 200
    # "go" is the jump box (any date or month typed in), "week" the links' Monday.
    jump = request.args.get("go")
    asked = request.args.get("week")
    try:
        if jump is not None:
            asked = parse_jump(jump, "go").isoformat()
        info, shown = week_of(coach, asked or default_week, timefmt.zone_name(), moving)
    except errors.InvalidInput as exc:
        errs, status = field_errors(exc, ("go", "week")), exc.http_status
        info, shown = week_of(coach, default_week, timefmt.zone_name(), moving)
    page = render_template(
        template,
        info=info,
        week=shown,
        errors=errs,
        jump=jump or "",
        heading=heading or f"Book a call with {info.coach.name}",
        **context,
    )
    return page, status


def slot_terms(
    coach: str, start: datetime, moving: str | None = None, client: str | None = None
) -> Terms:
    """What the rules say of a call with ``coach`` at ``start`` (for the call ``moving`` when
    one is being moved, for ``client`` when the coach books for them): its end and length,
    whether it is inside the change cut-off for the client, and whether their month is full.
    Raises the errors of slot_terms (forbidden, unknown_appointment, not_your_appointment,
    no_coaching_relationship)."""
    params = {"coach": coach, "start": start, "moving": moving, "client": client}
    with db().transaction(actor(), now=rules_now()) as cur:
        cur.execute(Q.slot_terms, params)
        end, length, inside, full, month, calls, limit = one(cur)
    return Terms(end, length, inside, full, month_label(month), calls, limit)


def call_changes(token: str) -> Changes:
    """Whether the signed-in user may move or cancel the call ``token`` now (the tests
    find_appointment applies), and whether the change cut-off is what stops them. Raises
    unknown_appointment or not_your_appointment."""
    with db().transaction(actor(), now=rules_now()) as cur:
        cur.execute(Q.call_changes, (token,))
        changeable, closed, cutoff = one(cur)
    return Changes(bool(changeable), bool(closed), str(cutoff))
