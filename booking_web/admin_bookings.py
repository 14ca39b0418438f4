"""The admin's list of every booking: filtered by coach, client and dates, keyset-paged.

A plain GET form (it works in Lynx and without JavaScript); each page is one indexed range read
by (start, token), never OFFSET. Cancelling goes through the call's own cancel page, where an
admin gives an optional reason. The SQL is in admin_bookings.sql beside this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking_web import queries, timefmt
from booking_web.context import actor, clock, db, role_required, rules_now
from officehours import errors, inputs, sqlfiles

bp = Blueprint("admin_bookings", __name__, url_prefix="/admin")
Q: sqlfiles.Queries = sqlfiles.load(__name__)

PAGE = 50
# A page cursor's token and a user named in a filter: what slugs, emails and tokens may hold,
# at most as long as an email address.
_CURSOR_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
MAX_WHO = 254
FIRST = (datetime.min.replace(tzinfo=ZoneInfo("UTC")) + timedelta(days=1), "")


@dataclass(frozen=True)
class Filters:
    """What the admin asked for: coach and client (slug or email, None: anyone) and the days."""

    coach: str | None
    client: str | None
    start: date
    end: date | None


def _who(name: str) -> str | None:
    """A coach or client filter: None when blank; InvalidInput when it cannot name anyone."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    inputs.refuse_zero_bytes(name, value)
    if len(value) > MAX_WHO:
        raise errors.InvalidInput(f"The {name} is named by an email address or a slug.")
    return value


def _filters() -> Filters:
    """The filters of the query string (today on, in the admin's zone, by default)."""
    today = timefmt.local(clock()).date()
    start_text = request.args.get("from") or ""
    end_text = request.args.get("to") or ""
    start = inputs.parse_date(start_text, "from", "The first day") if start_text else today
    end = inputs.parse_date(end_text, "to", "The last day") if end_text else None
    if end is not None and end < start:
        raise errors.InvalidInput("The last day comes before the first.")
    return Filters(_who("coach"), _who("client"), start, end)


def _cursor() -> tuple[datetime, str]:
    """Where this page starts: after the call of ``after`` and ``after_token``."""
    after, token = request.args.get("after"), request.args.get("after_token")
    if after is None and token is None:
        return FIRST
    start = inputs.parse_instant(after, "after")
    if token is None or not _CURSOR_TOKEN.fullmatch(token):
        raise errors.InvalidInput("That page of bookings does not exist.")
    return start, token


def _midnight(day: date, zone: str) -> datetime:
    """The start of a day in a zone (a day that begins in a DST gap begins when it can)."""
    return datetime.combine(day, time(), ZoneInfo(zone))


def bookings_page(
    filters: Filters, after: tuple[datetime, str], zone: str
) -> tuple[list[queries.Call], tuple[datetime, str] | None]:
    """One page of the calls the filters name, and the cursor of the next (None: last page).

    Raises UnknownUser for a coach or client filter that names no one."""
    end = _midnight(filters.end + timedelta(days=1), zone) if filters.end else None
    params = {
        "coach": filters.coach,
        "client": filters.client,
        "from": _midnight(filters.start, zone),
        "to": end or datetime.max.replace(tzinfo=ZoneInfo("UTC")) - timedelta(days=1),
        "after": after[0],
        "after_token": after[1],
        "limit": PAGE + 1,
    }
    with db().transaction(actor(), now=rules_now()) as cur:
        cur.execute(Q.bookings, params)
        calls = [queries.call_from_row(row) for row in cur.fetchall()]
    more = len(calls) > PAGE
    calls = calls[:PAGE]
    return calls, ((calls[-1].start, calls[-1].token) if more and calls else None)


@bp.get("/bookings")
@role_required("admin")
def bookings() -> ResponseReturnValue:
    """Every booking, filtered by coach, client and dates, a page at a time."""
    form = {k: request.args.get(k, "") for k in ("coach", "client", "from", "to")}
    try:
        filters = _filters()
        calls, following = bookings_page(filters, _cursor(), timefmt.zone_name())
    except errors.OfficeHoursError as exc:
        if exc.http_status >= 500:
            raise
        page = render_template(
            "admin_bookings.html",
            calls=[],
            next_url=None,
            form=form,
            errors={"_form": exc.message},
            now=clock(),
        )
        return page, exc.http_status
    next_url = None
    if following is not None:
        kept: dict[str, Any] = {k: v for k, v in form.items() if v}
        kept.update(after=following[0].isoformat(), after_token=following[1])
        next_url = url_for("admin_bookings.bookings", **kept)
    return render_template(
        "admin_bookings.html", calls=calls, next_url=next_url, form=form, errors={}, now=clock()
    )
