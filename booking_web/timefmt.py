"""Times as people read them: in the viewer's own zone, with the zone named, and week math."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

from booking_web.context import user


def zone_name() -> str:
    """The viewer's IANA zone (UTC when nobody is signed in)."""
    current = user()
    return current.time_zone if current else "UTC"


def local(moment: datetime, zone: str | None = None) -> datetime:
    """An instant in the viewer's zone (or ``zone``)."""
    return moment.astimezone(ZoneInfo(zone or zone_name()))


def day_text(moment: datetime, zone: str | None = None) -> str:
    """'Monday 11 January 2027' in the viewer's zone."""
    value = local(moment, zone)
    return f"{value:%A} {value.day} {value:%B %Y}"


def clock_text(moment: datetime, zone: str | None = None) -> str:
    """'09:30' in the viewer's zone."""
    return f"{local(moment, zone):%H:%M}"


def when_text(start: datetime, end: datetime | None = None, zone: str | None = None) -> str:
    """'Monday 11 January 2027, 09:30-10:30 (Asia/Kolkata, IST)': the zone always named."""
    name = zone or zone_name()
    value = local(start, name)
    text = f"{day_text(start, name)}, {value:%H:%M}"
    if end is not None:
        text += "\u2013" + f"{clock_text(end, name)}"
    abbreviation = value.tzname() or ""
    suffix = (
        name if abbreviation in ("", name) or abbreviation[0] in "+-" else f"{name}, {abbreviation}"
    )
    return f"{text} ({suffix})"


def when_html(start: datetime, end: datetime | None = None, zone: str | None = None) -> Markup:
    """``when_text`` inside a <time> element carrying the instant."""
    iso = start.isoformat(timespec="seconds")
    return Markup('<time datetime="{}">{}</time>').format(iso, escape(when_text(start, end, zone)))


def length_text(length: timedelta) -> str:
    """A call's length in minutes, as the slot_length rule is usually set: '60 minutes',
    '45 minutes', '1 minute'."""
    minutes = int(length.total_seconds() // 60)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 call', '3 calls': a count with the word in its number (``many`` defaults to one+'s')."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date, zone: str) -> tuple[datetime, datetime]:
    """The instants at which a week (local midnight Monday to the next) begins and ends."""
    tz = ZoneInfo(zone)
    start = datetime.combine(monday, datetime.min.time(), tz)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tz)
    return start, end


def query_value(text: str) -> str:
    """A value for a URL's query string, encoded as url_for encodes it ('+' as %2B, ':' kept)."""
    return quote(text, safe=":")


def instant_query_value(moment: datetime) -> str:
    """``query_value(moment.isoformat())``, made faster: an ISO 8601 instant holds digits,
    '-', 'T', ':', '.' and '+', of which only '+' is encoded."""
    return moment.isoformat().replace("+", "%2B")


def init_app(app: Flask) -> None:
    """Template helpers: when(start, end), day(moment), hm(moment), zone_name(),
    length(timedelta), plural(count, word), and the query_value filter."""
    app.jinja_env.globals.update(
        when=when_html,
        day=day_text,
        hm=clock_text,
        zone_name=zone_name,
        when_text=when_text,
        length=length_text,
        plural=plural,
    )
    app.jinja_env.filters["query_value"] = query_value
